// Record timestamps (event_time, created_time): RFC 3339 in UTC as KumoMTA's chrono writes
// them, the same answer however the calls interleave (rfc3339 keeps its last two answers).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rfc3339 } from '../../src/logging/record-fields.js';

test('no fraction for a whole second, else milliseconds; any order of calls gives the same strings', () => {
  const whole = Date.UTC(2026, 11, 7, 8, 30, 0);
  const cases: Array<[number, string]> = [
    [whole, '2026-12-07T08:30:00Z'],
    [whole + 5, '2026-12-07T08:30:00.005Z'],
    [whole + 999, '2026-12-07T08:30:00.999Z'],
    [0, '1970-01-01T00:00:00Z'],
  ];
  // in order, repeated, alternating between two, then cycling through all of them
  const order = [0, 0, 1, 0, 1, 1, 2, 0, 2, 3, 1, 3, 0, 2, 1, 3, 3, 2];
  for (const i of order) assert.equal(rfc3339(cases[i]![0]), cases[i]![1], `case ${i}`);
});
