// Issue 9 item 2: a full spool disk answers 451, keeps the process serving, shows in the
// metrics, and recovers by itself when space returns. Needs a real tmpfs (root); skipped
// with a message when it cannot mount one.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { SmtpClient } from '../smtp/helpers.js';
import { freePort, labConfig, sinksOnOnePort, startLabServer, waitUntil } from '../queue/lab.js';
import type { SinkMessage } from '../../src/sink/sink.js';

const cleanups: (() => unknown)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) {
    try {
      await c();
    } catch {
      // keep cleaning up
    }
  }
});

function tryMount(dir: string): string | undefined {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=20m', 'tmpfs', dir], { stdio: 'pipe' });
    return undefined;
  } catch (e) {
    return String((e as { stderr?: Buffer }).stderr ?? e).trim() || String(e);
  }
}

const bigBody = (seq: number) =>
  `From: fill@kumo.test\r\nTo: someone\r\nSubject: filler ${seq}\r\n\r\n${`${'x'.repeat(76)}\r\n`.repeat(5000)}`; // ~390 KB

test('disk full: 451 while the spool cannot write, the process keeps serving, recovers when space returns', { timeout: 90_000 }, async (t) => {
  const received: SinkMessage[] = [];
  const [sink] = await sinksOnOnePort(['127.0.0.2'], () => ({ onMessage: (m) => received.push(m) }));
  cleanups.push(() => sink.close());
  const smtpPort = await freePort();
  const httpPort = await freePort();
  // hold.test: MX on 127.0.0.3 where nothing listens: its mail stays spooled (retried in 1h)
  const zone = `
["ok.test"]
mx = ["10 mx.ok.test"]
["mx.ok.test"]
a = ["127.0.0.2"]
["hold.test"]
mx = ["10 mx.hold.test"]
["mx.hold.test"]
a = ["127.0.0.3"]
`;
  const lab = labConfig({ smtpPort, sinkPort: sink.port, zone, httpPort, queues: '[queue.default]\nretry_interval = "1h"\n' });
  cleanups.push(lab.cleanup);
  const mnt = join(lab.dir, 'spool');
  mkdirSync(mnt, { recursive: true });
  const why = tryMount(mnt);
  if (why !== undefined) {
    t.skip(`cannot mount a tmpfs for the spool (needs root): ${why}`);
    return;
  }
  cleanups.push(() => execFileSync('umount', ['-l', mnt], { stdio: 'pipe' }));

  const kumo = await startLabServer(lab.dir);
  cleanups.push(() => kumo.stop('SIGKILL'));
  const metrics = async () => (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  const gauge = (text: string, name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);

  // fill the 20 MB spool with ~390 KB messages until the server refuses with 451
  const c = await SmtpClient.connect(smtpPort);
  await c.hello('filler.test');
  let accepted = 0;
  let refusal: string | undefined;
  for (let i = 0; i < 200 && !refusal; i++) {
    const r = await c.send('fill@kumo.test', [`u${i}@hold.test`], bigBody(i));
    if (r.final?.code === 250) accepted++;
    else if (r.final?.code === 451) refusal = r.final.text;
    else assert.fail(`unexpected reply ${r.final?.code} ${r.final?.text}`);
  }
  t.diagnostic(`${accepted} messages accepted before the first 451: ${refusal}`);
  assert.ok(refusal, 'the full spool gave a 451');
  assert.ok(accepted >= 10, `some mail was accepted first (${accepted})`);

  // while full: further mail of that size is refused at once, the session and process go on
  for (let i = 0; i < 5; i++) {
    const r = await c.send('fill@kumo.test', [`again${i}@hold.test`], bigBody(1000 + i));
    assert.equal(r.final?.code, 451, `still refused while full (${r.final?.text})`);
  }
  // give lmdb's commit failures time to surface as rejections (on today's code they kill the process)
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(kumo.child.exitCode, null, 'the process is alive');
  assert.equal(kumo.child.signalCode, null, 'the process is alive');
  assert.match(refusal, /^4\.3\.0 spool unavailable/);
  const other = await SmtpClient.connect(smtpPort);
  const caps = await other.hello('still-there.test');
  assert.ok(caps.length > 0, 'a new session gets EHLO');
  await other.quit();
  assert.equal((await fetch(`http://127.0.0.1:${httpPort}/api/check-liveness/v1`)).status, 200);
  const m1 = await metrics();
  assert.equal(gauge(m1, 'kumo_ts_spool_healthy'), 0, 'the metric shows the spool unhealthy');
  assert.ok(gauge(m1, 'kumo_ts_spool_write_failures_total') >= 1, 'failures are counted');

  // space returns: the spool recovers by itself; new mail gets 250 and is delivered
  execFileSync('mount', ['-o', 'remount,size=200m', mnt], { stdio: 'pipe' });
  const t0 = Date.now();
  let healthy = 0;
  while (Date.now() - t0 < 20_000 && !(healthy = gauge(await metrics(), 'kumo_ts_spool_healthy'))) await new Promise((r) => setTimeout(r, 200));
  assert.equal(healthy, 1, 'the spool is healthy again without a restart');
  const r = await c.send('fill@kumo.test', ['back@ok.test'], 'From: fill@kumo.test\r\nSubject: after\r\nX-After: 1\r\n\r\nspace is back\r\n');
  assert.equal(r.final?.code, 250, `accepted after recovery (${r.final?.text})`);
  const big = await c.send('fill@kumo.test', ['big@hold.test'], bigBody(2000));
  assert.equal(big.final?.code, 250, `a large message too (${big.final?.text})`);
  await waitUntil(() => received.some((m) => /^X-After: 1\r?$/m.test(m.data.toString('latin1'))), 20_000, 'the new message delivered');
  await c.quit();

  // logged once when it happened and once when it recovered, not per refused message
  const lines = kumo.lines.map((l) => String(l.msg ?? ''));
  assert.equal(lines.filter((l) => l.startsWith('spool cannot write')).length, 1, 'the outage is logged once');
  assert.equal(lines.filter((l) => l.startsWith('spool writable again')).length, 1, 'the recovery is logged once');
  assert.equal(lines.filter((l) => l.startsWith('spool write failed')).length, 0, 'no log line per refused message');
  const stray = kumo.lines.filter((l) => /unhandled|uncaught/.test(String(l.msg ?? '')));
  assert.deepEqual(stray, [], 'no stray rejection reached the process guard');
  assert.equal(kumo.child.exitCode, null, 'still alive at the end');
});
