import { test } from 'node:test';
import assert from 'node:assert/strict';
import { delayedReply, humanDuration } from '../../src/queue/records.js';

test('humanDuration writes a duration as humantime does, to the millisecond', () => {
  assert.equal(humanDuration(0), '0s');
  assert.equal(humanDuration(7), '7ms');
  assert.equal(humanDuration(47_120), '47s 120ms');
  assert.equal(humanDuration(63_000), '1m 3s');
  assert.equal(humanDuration(90_061_001), '1d 1h 1m 1s 1ms');
});

test("a Delayed record's response is KumoMTA's: 400, no enhanced code, the context and the due time", () => {
  const now = Date.parse('2026-12-07T16:00:00.000Z');
  const r = delayedReply('ReadyQueueWasFull', now + 47_120, now);
  assert.equal(r.code, 400);
  assert.equal(r.enhanced, undefined);
  assert.equal(r.command, undefined);
  assert.equal(r.text, 'Context: ReadyQueueWasFull. Next due in 47s 120ms at 2026-12-07T16:00:47.120Z');
  // a due time already past reads as due now
  assert.match(delayedReply('ReadyQueueWasFull', now - 5, now).text, /Next due in 0s at /);
});
