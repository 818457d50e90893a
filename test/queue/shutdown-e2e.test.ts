import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { loadLab, waitUntil } from './lab.js';

const cleanups: (() => unknown)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

test('SIGTERM under load exits within 10 s and the restart delivers the rest', { timeout: 120_000 }, async (t) => {
  // a slow receiver (50 ms per message): a backlog builds while messages keep coming in
  const lab = await loadLab('term.test', { count: 3000, dataDelayMs: 50, cleanups });
  const { got } = lab;
  await waitUntil(() => got.length >= 100, 30_000, 'deliveries under way');
  const t0 = Date.now();
  const code = await lab.kumo.stop('SIGTERM');
  const took = Date.now() - t0;
  const accepted = await lab.injecting;
  t.diagnostic(`SIGTERM → exit ${code} in ${took} ms; ${accepted.size} accepted, ${got.length} delivered before the restart`);
  assert.equal(code, 0);
  assert.ok(took <= 10_000, `exited in ${took} ms`);
  assert.ok(accepted.size > got.length, 'there was a backlog at SIGTERM');
  const before = got.length;

  await lab.restart();
  await lab.allDelivered(accepted, 40_000);
  await new Promise((r) => setTimeout(r, 300));
  const duplicates = got.length - lab.seen().size;
  t.diagnostic(`restart delivered ${got.length - before} more; duplicates: ${duplicates}`);
  assert.equal(duplicates, 0, 'a graceful stop finishes or hands back in-flight deliveries: no duplicates');
});
