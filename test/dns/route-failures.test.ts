// Route resolution when lookups fail (static zones with SERVFAIL names): smarthosts and MX hosts
// whose addresses cannot be had; the route cache keeping failures briefly, permanent answers
// for the TTL, and staying within its size; a zone file that does not load is a config error.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { compileConfig } from '../../src/config/compile.js';
import { formatIssue } from '../../src/config/issues.js';
import { StaticResolver } from '../../src/dns/static-resolver.js';
import { resolveRoute, RouteError } from '../../src/dns/route.js';
import { RouteCache } from '../../src/dns/route-cache.js';
import { tempTree } from '../helpers/tmp.js';

const zone = new StaticResolver({
  'broken-host.test': { fail: 'SERVFAIL' },
  'ok-host.test': { a: ['192.0.2.1'] },
  'mxfail.test': { mx: ['10 broken-host.test', '20 gone.test'] },
  'fine.test': { mx: ['10 ok-host.test'] },
  'broken.test': { fail: 'SERVFAIL' },
  '192.0.2.1': { ptr: ['ok-host.test'] },
  '_25._tcp.ok-host.test': { tlsa: ['3 1 1 ABCDEF', { usage: 2, selector: 0, matchingType: 0, data: Buffer.from([1, 2]) }] },
});

const rejectsWith = (enhanced: string, text: RegExp) => (e: unknown) => e instanceof RouteError && !e.permanent && e.enhanced === enhanced && text.test(e.message);

test('smarthosts: a lookup that failed is 4.4.3 (transient); no address for any is 4.4.4', async () => {
  await assert.rejects(
    resolveRoute(zone, 'x.test', { mxList: [{ name: 'gone.test' }, { name: 'broken-host.test' }] }),
    rejectsWith('4.4.3', /^smarthost lookup failed: broken-host\.test: SERVFAIL$/),
  );
  await assert.rejects(
    resolveRoute(zone, 'x.test', { mxList: [{ name: 'gone.test' }, { name: 'gone2.test' }] }),
    rejectsWith('4.4.4', /^no address for any smarthost of x\.test: gone\.test, gone2\.test$/),
  );
  // one good smarthost is enough
  const r = await resolveRoute(zone, 'x.test', { mxList: [{ name: 'broken-host.test' }, { name: 'ok-host.test' }] });
  assert.deepEqual(r.hosts, [{ name: 'ok-host.test', addrs: ['192.0.2.1'], port: undefined }]);
});

test('MX hosts whose address lookups fail (SERVFAIL) are 4.4.3, naming the domain', async () => {
  await assert.rejects(resolveRoute(zone, 'mxfail.test'), rejectsWith('4.4.3', /^address lookup for the MX hosts of mxfail\.test failed: SERVFAIL$/));
});

test('the route cache: a transient failure is kept for errorTtl, a permanent one for the TTL; clear() forgets', async () => {
  let now = 1_000_000;
  const calls: string[] = [];
  const counting = Object.create(zone, { mx: { value: (d: string) => (calls.push(d), zone.mx(d)) } }) as StaticResolver;
  const cache = new RouteCache(60_000, 5_000, 100, () => now);
  await assert.rejects(cache.get(counting, 1, 'broken.test'));
  await assert.rejects(cache.get(counting, 1, 'nowhere.test'), (e: RouteError) => e.permanent);
  await assert.rejects(cache.get(counting, 1, 'broken.test'));
  assert.deepEqual(calls, ['broken.test', 'nowhere.test'], 'both remembered for now');
  now += 6_000;
  await assert.rejects(cache.get(counting, 1, 'broken.test'));
  await assert.rejects(cache.get(counting, 1, 'nowhere.test'));
  assert.deepEqual(calls, ['broken.test', 'nowhere.test', 'broken.test'], 'the transient failure is asked again after errorTtl, NXDOMAIN is not');
  await cache.get(counting, 1, 'fine.test');
  cache.clear();
  await cache.get(counting, 1, 'fine.test');
  assert.deepEqual(calls.slice(3), ['fine.test', 'fine.test']);
});

test('the route cache stays within maxEntries: expired entries go first, then everything', async () => {
  let now = 0;
  const calls: string[] = [];
  const counting = Object.create(zone, { mx: { value: (d: string) => (calls.push(d), zone.mx(d)) } }) as StaticResolver;
  const cache = new RouteCache(10_000, 1_000, 2, () => now);
  await cache.get(counting, 1, 'fine.test');
  now = 5_000;
  await cache.get(counting, 1, 'mx1.test').catch(() => undefined);
  now = 11_000; // fine.test expired, mx1.test not
  await cache.get(counting, 1, 'mx2.test').catch(() => undefined); // full: fine.test pruned
  await cache.get(counting, 1, 'mx1.test').catch(() => undefined);
  assert.deepEqual(calls, ['fine.test', 'mx1.test', 'mx2.test'], 'mx1.test was kept');
  await cache.get(counting, 1, 'fine.test'); // full, nothing expired: all dropped
  await cache.get(counting, 1, 'mx1.test').catch(() => undefined);
  assert.deepEqual(calls.slice(3), ['fine.test', 'mx1.test']);
});

test('static zones: TLSA records as text or objects, PTR records', async () => {
  assert.deepEqual(await zone.tlsa('_25._tcp.ok-host.test'), [
    { usage: 3, selector: 1, matchingType: 1, data: Buffer.from('abcdef', 'hex') },
    { usage: 2, selector: 0, matchingType: 0, data: Buffer.from([1, 2]) },
  ]);
  assert.deepEqual(await zone.ptr('192.0.2.1'), ['ok-host.test']);
  await assert.rejects(zone.ptr('192.0.2.2'), { code: 'NXDOMAIN' });
});

test('a static zone file that does not parse is a config error at the zone file', async () => {
  const t = tempTree({ 'kumo.toml': '[server]\nsmtp = false\n[dns]\nmode = "static"\nzone_file = "zone.toml"\n', 'zone.toml': '["a.test"]\nmx = [\n' });
  after(() => t.cleanup());
  const res = await compileConfig({ root: t.dir });
  assert.equal(res.ok, false);
  if (res.ok) return;
  assert.equal(res.issues.length, 1, res.issues.map(formatIssue).join('\n'));
  assert.match(res.issues[0].file, /zone\.toml$/);
  assert.equal(res.issues[0].severity, 'error');
});
