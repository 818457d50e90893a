// Issue 9: SIGTERM with 20 deliveries hung in DATA must stop well inside 10 s (delivery has its
// own drain budget), and every message stays spooled for the restart.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { Socket } from 'node:net';
import { startSink } from '../../src/sink/sink.js';
import type { SinkMessage } from '../../src/sink/sink.js';
import { join } from 'node:path';
import { freePort, inject, labConfig, readRecords, seqOf, startLabServer, tagged, waitUntil } from './lab.js';
import { spooledCount } from '../helpers/spool-peek.js';

const cleanups: (() => unknown)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** An SMTP server that accepts every envelope and then never answers the end of DATA. */
async function hungServer(host: string) {
  const sockets = new Set<Socket>();
  let stuck = 0;
  const server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    let buf = '';
    let inData = false;
    s.write('220 hung.test ESMTP\r\n');
    s.on('data', (d) => {
      buf += d.toString('latin1');
      if (inData) {
        if (buf.includes('\r\n.\r\n')) {
          stuck++; // and never reply
          buf = '';
        }
        return;
      }
      let i;
      while (!inData && (i = buf.indexOf('\r\n')) >= 0) {
        const line = buf.slice(0, i).toUpperCase();
        buf = buf.slice(i + 2);
        if (line.startsWith('EHLO')) s.write('250-hung.test\r\n250 PIPELINING\r\n');
        else if (line.startsWith('DATA')) {
          inData = true;
          s.write('354 go on\r\n');
        } else if (line.startsWith('QUIT')) s.end('221 bye\r\n');
        else s.write('250 ok\r\n');
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  return {
    port: (server.address() as { port: number }).port,
    get stuck() {
      return stuck;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

test('SIGTERM with 20 deliveries hung in DATA exits in < 9 s; the restart delivers all 20', { timeout: 90_000 }, async (t) => {
  const hung = await hungServer('127.0.0.2');
  cleanups.push(() => hung.close());
  const smtpPort = await freePort();
  // 20 domains with their own MX host: 20 sites, 20 ready queues, 20 sends hung at once
  const zone = Array.from({ length: 20 }, (_, i) => `["d${i}.hang.test"]\nmx = ["10 mx${i}.hang.test"]\n["mx${i}.hang.test"]\na = ["127.0.0.2"]\n`).join('');
  const lab = labConfig({ smtpPort, sinkPort: hung.port, zone });
  cleanups.push(lab.cleanup);
  let kumo = await startLabServer(lab.dir);
  cleanups.push(() => kumo.stop('SIGKILL'));

  const msgs = Array.from({ length: 20 }, (_, i) => ({ from: 'sender@kumo.test', to: [`u${i}@d${i}.hang.test`], data: tagged(i) }));
  const accepted = await inject(smtpPort, msgs, 4);
  assert.equal(accepted.size, 20);
  await waitUntil(() => hung.stuck >= 20, 30_000, '20 deliveries hung after their DATA').catch((e: Error) => {
    throw new Error(`${e.message} (${hung.stuck} hung); log:\n${kumo.lines.slice(-15).map((l) => JSON.stringify(l)).join('\n')}`);
  });

  const t0 = Date.now();
  const code = await kumo.stop('SIGTERM');
  const took = Date.now() - t0;
  t.diagnostic(`SIGTERM with ${hung.stuck} hung deliveries → exit ${code} in ${took} ms`);
  assert.equal(code, 0);
  assert.ok(took < 9_000, `the stop took ${took} ms`);
  assert.ok(kumo.lines.some((l) => typeof l.msg === 'string' && /delivery drain budget/.test(l.msg)), 'the log names the delivery drain budget');
  // the sends cut off at the deadline left their messages in the spool as they were, with no outcome recorded
  assert.equal(spooledCount(join(lab.dir, 'spool')), 20, 'all 20 still in the spool after the exit');
  assert.deepEqual(readRecords(join(lab.dir, 'logs')).filter((r) => r.type !== 'Reception').map((r) => `${r.type} ${r.recipient}`), [], 'no outcome for a cut-off send');

  // the receiver recovers: every message is still spooled and gets delivered
  await hung.close();
  const got: SinkMessage[] = [];
  const sink = await startSink({ host: '127.0.0.2', port: hung.port, onMessage: (m) => got.push(m) });
  cleanups.push(() => sink.close());
  kumo = await startLabServer(lab.dir);
  await waitUntil(() => new Set(got.map((m) => seqOf(m.data))).size >= 20, 40_000, 'all 20 delivered after the restart');
  assert.deepEqual([...new Set(got.map((m) => seqOf(m.data)))].sort((a, b) => a - b), [...Array(20).keys()]);
});
