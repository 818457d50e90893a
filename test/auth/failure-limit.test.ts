import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FailureLimiter } from '../../src/auth/failure-limit.js';

test('failures count per address across usernames; a success clears only its own username', () => {
  const l = new FailureLimiter();
  const w = 60_000;
  for (let i = 0; i < 4; i++) l.fail('192.0.2.1', 'a', w, 1000 + i);
  l.succeed('192.0.2.1', 'b');
  assert.equal(l.blocked('192.0.2.1', 5, w, 2000), false);
  assert.equal(l.fail('192.0.2.1', 'a', w, 2000), 5);
  assert.equal(l.blocked('192.0.2.1', 5, w, 2001), true);
  assert.equal(l.blocked('::ffff:192.0.2.1', 5, w, 2001), true, 'IPv4-mapped is the same address');
  assert.equal(l.blocked('192.0.2.2', 5, w, 2001), false);
  // the window slides: the oldest failure leaves it at 61 000
  assert.equal(l.blocked('192.0.2.1', 5, w, 61_001), false);
  // the username's own success clears its failures ("A" and "a" are one username here)
  l.succeed('192.0.2.1', 'A');
  assert.equal(l.fail('192.0.2.1', 'c', w, 3000), 1);
});

test('IPv6: one /64 is one address; memory is bounded', () => {
  const l = new FailureLimiter(3);
  l.fail('2001:db8:0:1::1', 'x', 1000, 0);
  l.fail('2001:db8:0:1:8000::1', 'y', 1000, 0);
  assert.equal(l.blocked('2001:db8:0:1::ffff', 2, 1000, 1), true);
  assert.equal(l.blocked('2001:db8:0:2::1', 2, 1000, 1), false);
  for (let i = 0; i < 5; i++) l.fail(`198.51.100.${i}`, 'x', 1000, 2);
  assert.equal(l.blocked('2001:db8:0:1::1', 1, 1000, 3), false, 'the oldest address was evicted');
});

test('an address whose failures all left the window is forgotten (it no longer takes a tracked slot)', () => {
  const l = new FailureLimiter(2);
  l.fail('192.0.2.10', 'x', 10_000, 0); // b: the oldest
  l.fail('192.0.2.20', 'x', 10_000, 500); // a
  // a's failure is out of a 1 s window at 2000: a is dropped
  assert.equal(l.blocked('192.0.2.20', 1, 1000, 2000), false);
  // a third address now fits without evicting b
  l.fail('192.0.2.30', 'x', 10_000, 2000);
  assert.equal(l.blocked('192.0.2.10', 1, 10_000, 2001), true, 'b is still tracked');
});
