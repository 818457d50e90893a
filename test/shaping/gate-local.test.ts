import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseThrottle } from '../../src/config/values.js';
import { LocalShapingGate } from '../../src/shaping/gate.js';
import type { Lease } from '../../src/shaping/gate.js';
import { LocalLimits } from '../../src/shaping/limits.js';
import { DEFAULT_SHAPING } from '../../src/shaping/types.js';
import type { EffectiveShaping, ShapingQuery } from '../../src/shaping/types.js';

function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

test('GCRA: "10/s" allows a burst of 10, then one every 100 ms, and says how long to wait', () => {
  const c = clock();
  const l = new LocalLimits(c.now);
  const t = parseThrottle('10/s');
  const take = () => l.takeRates([{ key: 'k', t }]);
  for (let i = 0; i < 10; i++) assert.equal(take(), 0, `burst ${i}`);
  assert.equal(take(), 100);
  c.advance(60);
  assert.equal(take(), 40);
  c.advance(40);
  assert.equal(take(), 0);
  assert.equal(take(), 100);
  // over a long run the rate converges to 10/s
  let sent = 0;
  for (let ms = 0; ms < 10_000; ms += 5) {
    c.advance(5);
    if (take() === 0) sent++;
  }
  assert.ok(sent >= 99 && sent <= 101, `sent ${sent} in 10 s`);
});

test('GCRA: max_burst=1 spaces every unit; keys are independent', () => {
  const c = clock();
  const l = new LocalLimits(c.now);
  const t = parseThrottle('60/min,max_burst=1');
  assert.equal(l.takeRates([{ key: 'a', t }]), 0);
  assert.equal(l.takeRates([{ key: 'a', t }]), 1000);
  assert.equal(l.takeRates([{ key: 'b', t }]), 0);
});

test('GCRA: all or none over several throttles; refunds give a unit back', () => {
  const c = clock();
  const l = new LocalLimits(c.now);
  const small = { key: 'small', t: parseThrottle('1/s') };
  const big = { key: 'big', t: parseThrottle('100/s') };
  assert.equal(l.takeRates([small, big]), 0);
  assert.equal(l.takeRates([small, big]), 1000);
  // the refused decision did not consume the big throttle: 99 more fit in its burst
  for (let i = 0; i < 99; i++) assert.equal(l.takeRates([big]), 0);
  assert.ok(l.takeRates([big]) > 0);
  l.refundRates([big]);
  assert.equal(l.takeRates([big]), 0);
});

test('connection counters are all or none', () => {
  const l = new LocalLimits();
  assert.ok(l.acquire([{ key: 'a', limit: 1 }, { key: 'b', limit: 5 }]));
  assert.ok(!l.acquire([{ key: 'a', limit: 1 }, { key: 'b', limit: 5 }]));
  assert.equal(l.count('b'), 1);
  l.release([{ key: 'a', limit: 1 }, { key: 'b', limit: 5 }]);
  assert.equal(l.count('a'), 0);
});

const q = (site: string, source = 'ip-1', domain = 'd.example'): ShapingQuery => ({ domain, site, mxHosts: [site], source });
const shaping = (o: Partial<EffectiveShaping>): EffectiveShaping => ({ ...DEFAULT_SHAPING, ...o });
const isLease = (x: Lease | { waitMs: number }): x is Lease => 'release' in x;

test('gate: connection_limit per source × site; release frees the slot; double release is harmless', async () => {
  const g = new LocalShapingGate();
  const s = shaping({ connection_limit: 2 });
  const a = await g.acquireConnection(q('mx.a'), s);
  const b = await g.acquireConnection(q('mx.a'), s);
  const c = await g.acquireConnection(q('mx.a'), s);
  assert.ok(isLease(a) && isLease(b));
  assert.ok(!isLease(c) && c.waitMs > 0);
  assert.ok(isLease(await g.acquireConnection(q('mx.b'), s)), 'another site has its own limit');
  assert.ok(isLease(await g.acquireConnection(q('mx.a', 'ip-2'), s)), 'another source has its own limit');
  a.release();
  a.release();
  assert.ok(isLease(await g.acquireConnection(q('mx.a'), s)));
  assert.ok(!isLease(await g.acquireConnection(q('mx.a'), s)));
  await g.close();
});

test('gate: a provider limit is shared by every site of the provider (per source)', async () => {
  const g = new LocalShapingGate();
  const s = shaping({ connection_limit: 10, provider: 'google', provider_connection_limit: 3 });
  const leases = [];
  for (const site of ['mx.one', 'mx.two', 'mx.one']) {
    const l = await g.acquireConnection(q(site), s);
    assert.ok(isLease(l));
    leases.push(l);
  }
  assert.ok(!isLease(await g.acquireConnection(q('mx.two'), s)), 'fourth connection across both sites is refused');
  assert.ok(isLease(await g.acquireConnection(q('mx.two', 'ip-2'), s)), 'another source has its own provider budget');
  leases[0].release();
  assert.ok(isLease(await g.acquireConnection(q('mx.two'), s)));
  await g.close();
});

test('gate: named additional limits cut across sites; a refusal by one limit takes nothing from the others', async () => {
  const g = new LocalShapingGate();
  const s = shaping({ connection_limit: 1, additional_connection_limits: { global: 2 } });
  const a = await g.acquireConnection(q('mx.a'), s);
  assert.ok(isLease(a));
  assert.ok(!isLease(await g.acquireConnection(q('mx.a'), s)), 'per-site limit 1');
  assert.ok(isLease(await g.acquireConnection(q('mx.b'), s)));
  assert.ok(!isLease(await g.acquireConnection(q('mx.c'), s)), 'global limit 2');
  await g.close();
});

test('gate: max_connection_rate and message throttles (site, provider, additional)', async () => {
  const g = new LocalShapingGate();
  const s = shaping({
    connection_limit: 100,
    max_connection_rate: parseThrottle('2/min'),
    max_message_rate: parseThrottle('3/min'),
    provider: 'p',
    provider_max_message_rate: parseThrottle('4/min'),
  });
  assert.ok(isLease(await g.acquireConnection(q('mx.a'), s)));
  assert.ok(isLease(await g.acquireConnection(q('mx.a'), s)));
  const third = await g.acquireConnection(q('mx.a'), s);
  assert.ok(!isLease(third) && third.waitMs > 20_000, 'connection rate');
  for (let i = 0; i < 3; i++) assert.equal(await g.messageDelay(q('mx.a'), s), 0);
  assert.ok((await g.messageDelay(q('mx.a'), s)) > 0, 'site message rate');
  assert.equal(await g.messageDelay(q('mx.b'), s), 0, 'provider rate has one unit left');
  assert.ok((await g.messageDelay(q('mx.c'), s)) > 0, 'provider rate shared by sites');
  await g.close();
});

test('gate: source_selection_rate (IP warm-up) and its provider-wide form', async () => {
  const g = new LocalShapingGate();
  const s = shaping({ source_selection_rate: parseThrottle('2/d,max_burst=2'), additional_source_selection_rates: { 'shaping-provider-p-new-selection-rate': parseThrottle('3/d') } });
  assert.equal(await g.trySelectSource(q('mx.a', 'new'), s), true);
  assert.equal(await g.trySelectSource(q('mx.a', 'new'), s), true);
  assert.equal(await g.trySelectSource(q('mx.a', 'new'), s), false);
  assert.equal(await g.trySelectSource(q('mx.b', 'new'), s), true);
  assert.equal(await g.trySelectSource(q('mx.c', 'new'), s), false, 'provider-wide selection rate used up');
  await g.close();
});
