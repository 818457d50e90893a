import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { SinkMessage } from '../../src/sink/sink.js';
import { freePort, inject, labConfig, seqOf, sinksOnOnePort, startLabServer, tagged, waitUntil } from './lab.js';

const cleanups: (() => unknown)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

const ZONE = `
["term.test"]
mx = ["10 mx.sink.test"]
["mx.sink.test"]
a = ["127.0.0.2"]
`;

test('SIGTERM under load exits within 10 s and the restart delivers the rest', { timeout: 120_000 }, async (t) => {
  const got: SinkMessage[] = [];
  // a slow receiver (50 ms per message): a backlog builds while messages keep coming in
  const [sink] = await sinksOnOnePort(['127.0.0.2'], () => ({ onMessage: (m) => got.push(m), dataDelayMs: 50 }));
  cleanups.push(() => sink.close());
  const smtpPort = await freePort();
  const lab = labConfig({ smtpPort, sinkPort: sink.port, zone: ZONE });
  cleanups.push(lab.cleanup);
  let kumo = await startLabServer(lab.dir);
  cleanups.push(() => kumo.stop('SIGKILL'));

  const msgs = Array.from({ length: 3000 }, (_, i) => ({ from: 'sender@kumo.test', to: [`u${i}@term.test`], data: tagged(i) }));
  const injecting = inject(smtpPort, msgs, 8, { stopOnError: true });
  await waitUntil(() => got.length >= 100, 30_000, 'deliveries under way');
  const t0 = Date.now();
  const code = await kumo.stop('SIGTERM');
  const took = Date.now() - t0;
  const accepted = await injecting;
  t.diagnostic(`SIGTERM → exit ${code} in ${took} ms; ${accepted.size} accepted, ${got.length} delivered before the restart`);
  assert.equal(code, 0);
  assert.ok(took <= 10_000, `exited in ${took} ms`);
  assert.ok(accepted.size > got.length, 'there was a backlog at SIGTERM');
  const before = got.length;

  kumo = await startLabServer(lab.dir);
  const seen = () => new Set(got.map((m) => seqOf(m.data)));
  await waitUntil(() => {
    const s = seen();
    return [...accepted].every((i) => s.has(i));
  }, 40_000, 'every accepted message delivered after the restart').catch((e: Error) => {
    throw new Error(`${e.message}; delivered ${seen().size}/${accepted.size}; kumo log:\n${kumo.lines.slice(-20).map((l) => JSON.stringify(l)).join('\n')}`);
  });
  await new Promise((r) => setTimeout(r, 300));
  const duplicates = got.length - seen().size;
  t.diagnostic(`restart delivered ${got.length - before} more; duplicates: ${duplicates}`);
  assert.equal(duplicates, 0, 'a graceful stop finishes or hands back in-flight deliveries: no duplicates');
});
