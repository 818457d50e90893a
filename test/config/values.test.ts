import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDuration, parseThrottle, parseHostPort, parseCidr, CidrSet } from '../../src/config/values.js';
import { DomainMap } from '../../src/config/domain-map.js';

test('durations', () => {
  assert.equal(parseDuration('90s'), 90_000);
  assert.equal(parseDuration('5m'), 300_000);
  assert.equal(parseDuration('2 hours'), 7_200_000);
  assert.equal(parseDuration('3 days'), 3 * 86_400_000);
  assert.equal(parseDuration('1h 30m'), 5_400_000);
  assert.equal(parseDuration(30), 30_000);
  assert.equal(parseDuration('250ms'), 250);
  assert.throws(() => parseDuration('5 fortnights'), /unknown unit "fortnights"/);
  assert.throws(() => parseDuration('soon'), /invalid duration "soon"/);
  assert.throws(() => parseDuration(''), /invalid duration/);
});

test('throttles', () => {
  const a = parseThrottle('100/min');
  assert.deepEqual([a.limit, a.periodMs, a.maxBurst, a.local], [100, 60_000, 100, false]);
  assert.equal(a.intervalMs, 600);
  const b = parseThrottle('10/5m');
  assert.deepEqual([b.limit, b.periodMs], [10, 300_000]);
  const c = parseThrottle('1,000/h');
  assert.deepEqual([c.limit, c.periodMs], [1000, 3_600_000]);
  const d = parseThrottle('local:5/s,max_burst=10');
  assert.deepEqual([d.local, d.limit, d.periodMs, d.maxBurst], [true, 5, 1000, 10]);
  assert.equal(parseThrottle('20/day').periodMs, 86_400_000);
  assert.throws(() => parseThrottle('100/fortnight'), /unknown period "fortnight"/);
  assert.throws(() => parseThrottle('fast'), /invalid throttle "fast"/);
  assert.throws(() => parseThrottle('0/s'), /at least 1/);
});

test('host:port and CIDRs', () => {
  assert.deepEqual(parseHostPort('127.0.0.1:2525'), { host: '127.0.0.1', port: 2525 });
  assert.deepEqual(parseHostPort('[::1]:25'), { host: '::1', port: 25 });
  assert.deepEqual(parseHostPort('mx.example.com', 25), { host: 'mx.example.com', port: 25 });
  assert.throws(() => parseHostPort('::1:25'), /\[addr\]:port/);
  assert.throws(() => parseHostPort('127.0.0.1:70000'), /port must be/);
  assert.throws(() => parseHostPort('a b:25'), /neither an IP address nor a host name/);
  assert.equal(parseCidr('10.0.0.0/8').prefix, 8);
  assert.throws(() => parseCidr('10.0.0.0/33'), /prefix must be 0-32/);
  assert.throws(() => parseCidr('10.0.0/8'), /invalid CIDR/);
  const set = new CidrSet(['127.0.0.0/8', '::1', '192.0.2.0/24']);
  assert.ok(set.has('127.3.2.1'));
  assert.ok(set.has('::ffff:127.0.0.1'));
  assert.ok(set.has('::1'));
  assert.ok(!set.has('10.0.0.1'));
  assert.ok(!set.has('not-an-ip'));
  // answers are remembered per address: asked again, and again after the memo filled up
  // and was cleared, each gives the same answer
  for (let round = 0; round < 2; round++) {
    assert.ok(set.has('127.3.2.1') && !set.has('10.0.0.1') && set.has('::ffff:127.0.0.1'));
    for (let i = 0; i < 5000; i++) assert.equal(set.has(`192.0.${i >> 8}.${i & 255}`), i >> 8 === 2);
  }
});

test('domain map: exact, *.suffix (not the bare suffix) and *', () => {
  const m = new DomainMap<number>([['example.com', 1], ['*.example.com', 2], ['*.sub.example.com', 3]]);
  assert.equal(m.get('EXAMPLE.com'), 1);
  assert.equal(m.get('a.example.com'), 2);
  assert.equal(m.get('b.sub.example.com'), 3);
  assert.equal(m.get('example.org'), undefined);
  const n = new DomainMap<number>([['*.example.com', 2], ['*', 9]]);
  assert.equal(n.get('example.com'), 9, '*.example.com must not match example.com');
  assert.equal(n.match('x.example.com'), '*.example.com');
  assert.equal(m.size, 3, 'one exact, two suffixes');
  assert.equal(n.size, 2, 'a suffix and the star');
  assert.equal(new DomainMap<number>([]).size, 0);
});
