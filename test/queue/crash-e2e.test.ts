import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { SinkMessage } from '../../src/sink/sink.js';
import { freePort, inject, labConfig, seqOf, sinksOnOnePort, startLabServer, tagged, waitUntil } from './lab.js';

const cleanups: (() => unknown)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

const ZONE = `
["crash.test"]
mx = ["10 mx.sink.test"]
["mx.sink.test"]
a = ["127.0.0.2"]
`;

test('kill -9 during delivery, restart: every accepted message is delivered at least once', { timeout: 120_000 }, async (t) => {
  const got: SinkMessage[] = [];
  // a slightly slow receiver so that deliveries are in flight when the process dies
  const [sink] = await sinksOnOnePort(['127.0.0.2'], () => ({ onMessage: (m) => got.push(m), dataDelayMs: 20 }));
  cleanups.push(() => sink.close());
  const smtpPort = await freePort();
  const lab = labConfig({ smtpPort, sinkPort: sink.port, zone: ZONE });
  cleanups.push(lab.cleanup);
  let kumo = await startLabServer(lab.dir);
  cleanups.push(() => kumo.stop('SIGKILL'));

  const msgs = Array.from({ length: 1500 }, (_, i) => ({ from: 'sender@kumo.test', to: [`u${i}@crash.test`], data: tagged(i) }));
  const injecting = inject(smtpPort, msgs, 8, { stopOnError: true });
  await waitUntil(() => got.length >= 150, 30_000, 'deliveries under way');
  kumo.child.kill('SIGKILL');
  const accepted = await injecting;
  await kumo.stop('SIGKILL');
  const atCrash = got.length;
  t.diagnostic(`killed with ${accepted.size} messages accepted, ${atCrash} delivered`);
  assert.ok(accepted.size > atCrash, 'some accepted messages were still queued when the process died');

  kumo = await startLabServer(lab.dir);
  const seen = () => new Set(got.map((m) => seqOf(m.data)));
  await waitUntil(() => {
    const s = seen();
    return [...accepted].every((i) => s.has(i));
  }, 60_000, 'every accepted message delivered after the restart');
  await new Promise((r) => setTimeout(r, 500));
  const unique = seen().size;
  const duplicates = got.length - unique;
  t.diagnostic(`after restart: ${got.length} deliveries of ${unique} distinct messages; duplicates: ${duplicates}; accepted: ${accepted.size}`);
  const final = seen();
  for (const i of accepted) assert.ok(final.has(i), `message ${i} delivered`);
  // a duplicate is a message sent but not yet removed from the spool when the process died
  assert.ok(duplicates <= 8 * 32 + 100, `duplicates bounded by what was in flight (${duplicates})`);
});
