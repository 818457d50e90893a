// The spool's health log: the first failed write is logged at once, further failures while it
// stays unhealthy are summed up in one "still cannot write" line per interval.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '../../src/logging/logger.js';
import { SpoolHealth } from '../../src/spool/health.js';

test('a long outage is summed up once per interval, with the failures counted since the last line', () => {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({ level: 'debug', out: (l) => lines.push(JSON.parse(l)) });
  const h = new SpoolHealth('/var/spool/x', { log, logIntervalMs: 60_000 });
  const t0 = Date.now();
  h.failed('ENOSPC one');
  assert.equal(h.healthy, false);
  h.failed('ENOSPC two');
  h.maybeLogStill(t0 + 1_000);
  assert.deepEqual(lines.map((l) => l.msg), ['spool cannot write: new mail is refused with 451 until it can'], 'within the interval: no summary');
  h.maybeLogStill(t0 + 61_000);
  const still = lines.filter((l) => l.msg === 'spool still cannot write: refusing new mail with 451');
  assert.equal(still.length, 1);
  assert.equal(still[0].failed_writes, 1, 'the failures since the first line');
  assert.equal(still[0].error, 'ENOSPC two', 'the last error');
  assert.equal(still[0].path, '/var/spool/x');
  h.maybeLogStill(t0 + 62_000);
  assert.equal(lines.filter((l) => l.msg === still[0].msg).length, 1, 'the next summary waits for the next interval');
  h.succeeded();
  h.maybeLogStill(t0 + 500_000);
  assert.equal(lines.filter((l) => l.msg === still[0].msg).length, 1, 'healthy again: no summary');
  assert.equal(h.failures, 2);
});
