import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { loadLab, readRecords, waitUntil } from './lab.js';
import { describeSpool, spooledCount } from '../helpers/spool-peek.js';

const cleanups: (() => unknown)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

test('kill -9 during delivery, restart: every accepted message is delivered at least once', { timeout: 120_000 }, async (t) => {
  // a slightly slow receiver so that deliveries are in flight when the process dies
  const lab = await loadLab('crash.test', { count: 1500, dataDelayMs: 20, cleanups });
  const { got } = lab;
  await waitUntil(() => got.length >= 150, 30_000, 'deliveries under way');
  lab.kumo.child.kill('SIGKILL');
  const accepted = await lab.injecting;
  await lab.kumo.stop('SIGKILL');
  const atCrash = got.length;
  t.diagnostic(`killed with ${accepted.size} messages accepted, ${atCrash} delivered`);
  assert.ok(accepted.size > atCrash, 'some accepted messages were still queued when the process died');

  await lab.restart();
  await lab.allDelivered(accepted, 60_000);
  // duplicates come from messages still spooled: count them once nothing is
  await waitUntil(() => spooledCount(lab.spoolDir) === 0, 60_000, 'an empty spool').catch((e: Error) => {
    const left = describeSpool(lab.spoolDir);
    const ids = new Set(left.split('\n').map((l) => l.split(' ')[0]));
    const records = readRecords(lab.logsDir).filter((r) => ids.has(r.id)).map((r) => `${r.id} ${r.type} ${JSON.stringify(r.response ?? '')}`);
    throw new Error(`${e.message}; still spooled:\n${left}\ntheir records:\n${records.join('\n')}\nkumo log:\n${lab.kumo.lines.slice(-30).map((l) => JSON.stringify(l)).join('\n')}`);
  });
  const unique = lab.seen().size;
  const duplicates = got.length - unique;
  t.diagnostic(`after restart: ${got.length} deliveries of ${unique} distinct messages; duplicates: ${duplicates}; accepted: ${accepted.size}`);
  const final = lab.seen();
  for (const i of accepted) assert.ok(final.has(i), `message ${i} delivered`);
  // a duplicate is a message sent but not yet removed from the spool when the process died
  assert.ok(duplicates <= 8 * 32 + 100, `duplicates bounded by what was in flight (${duplicates})`);
});
