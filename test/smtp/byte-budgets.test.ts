// The process-wide byte bounds of reception, as classes: the spool write window, one
// message's in-flight reservation, and the per-address connection count.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InflightBudget } from '../../src/smtp/inflight-budget.js';
import { IpConnections } from '../../src/smtp/ip-connections.js';
import { SpoolWriteGate } from '../../src/smtp/spool-write-gate.js';

const KB = 1024;

test('spool write window: a large write waits until the bytes ahead of it settle; small writes never wait', async () => {
  const g = new SpoolWriteGate(1000 * KB);
  const a = await g.acquire(600 * KB);
  assert.equal(g.bytes, 600 * KB);
  let bIn = false;
  let cIn = false;
  const b = g.acquire(600 * KB).then((rel) => ((bIn = true), rel));
  const c = g.acquire(300 * KB).then((rel) => ((cIn = true), rel));
  const small = await g.acquire(10 * KB); // under 256 KB: passes at once, not counted
  small();
  await new Promise((r) => setImmediate(r));
  assert.equal(bIn, false, 'over the window: waits');
  assert.equal(cIn, false, 'it would fit, but waits behind b (first come, first served)');
  a();
  a(); // once only
  const relB = await b;
  const relC = await c;
  assert.ok(bIn && cIn, 'both fit now: 600 + 300 KB');
  assert.equal(g.bytes, 900 * KB);
  relB();
  relC();
  assert.equal(g.bytes, 0);
});

test('a reservation grows in steps, reports what it holds, and gives it all back once', () => {
  const budget = new InflightBudget();
  const r = budget.reservation();
  assert.equal(r.ensure(100, 10_000, 1000), true);
  assert.equal(r.bytes, 1000, 'reserved a whole step');
  assert.equal(r.ensure(900, 10_000, 1000), true);
  assert.equal(r.bytes, 1000, 'already held');
  assert.equal(r.ensure(10_001, 10_000, 1000), false, 'over the limit');
  assert.equal(r.bytes, 1000);
  r.release();
  r.release();
  assert.equal(r.bytes, 0);
  assert.equal(budget.bytes, 0);
  assert.equal(r.ensure(1, 10_000), false, 'released: reserves nothing more');
});

test('connections per address: counted up to the cap, released once each', () => {
  const c = new IpConnections();
  const a = c.acquire('192.0.2.1', 2);
  const b = c.acquire('::ffff:192.0.2.1', 2);
  assert.equal(c.count('192.0.2.1'), 2, 'IPv4-mapped is the same address');
  const over = c.acquire('192.0.2.1', 2);
  assert.equal(over.release, undefined, 'over the cap: not counted');
  assert.equal(c.count('192.0.2.1'), 2);
  a.release!();
  a.release!();
  assert.equal(c.count('192.0.2.1'), 1, 'a second release does nothing');
  b.release!();
  assert.equal(c.count('192.0.2.1'), 0);
});
