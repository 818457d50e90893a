// The retry schedule of TLS-RPT reports (RFC 8460 §5.3) and which HTTP replies are final.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nextTry, statusError } from '../../src/tls-policy/tls-rpt-outbox.js';

test('nextTry: retry_interval, doubling, at most an hour apart, none past retry_for', () => {
  const m = 60_000;
  const at = (attempts: number, now: number) => nextTry({ attempts, firstAt: 0 }, now, 5 * m, 24 * 60 * m);
  assert.equal(at(1, 0), 5 * m);
  assert.equal(at(2, 5 * m), 15 * m);
  assert.equal(at(3, 15 * m), 35 * m);
  assert.equal(at(8, 10 * 60 * m), 11 * 60 * m, 'capped at one hour');
  assert.equal(at(20, 23.5 * 60 * m), undefined, 'past retry_for: given up');
  // a retry_interval longer than an hour is not cut to an hour
  assert.equal(nextTry({ attempts: 1, firstAt: 0 }, 0, 2 * 60 * m, 24 * 60 * m), 2 * 60 * m);
});

test('statusError: 2xx sent; 5xx, 408, 429 transient; other replies final', () => {
  for (const s of [200, 201, 204]) assert.equal(statusError(s), undefined);
  for (const s of [500, 502, 503, 408, 429]) assert.equal(statusError(s)?.permanent, false, String(s));
  for (const s of [301, 400, 403, 404, 413, 415]) assert.equal(statusError(s)?.permanent, true, String(s));
  assert.equal(statusError(503)?.code, 'TLSRPT_SEND_TRANSIENT');
  assert.equal(statusError(404)?.code, 'TLSRPT_SEND_PERMANENT');
});
