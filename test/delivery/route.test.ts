import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StaticResolver } from '../../src/dns/static-resolver.js';
import { resolveRoute, RouteError } from '../../src/dns/route.js';
import { RouteCache } from '../../src/dns/route-cache.js';

const zone = new StaticResolver({
  'multi.test': { mx: ['20 mx2.hosting.test', '10 mx1.hosting.test'] },
  'other.test': { mx: ['5 MX1.hosting.test.', '5 mx2.hosting.test'] },
  'mx1.hosting.test': { a: ['192.0.2.1'] },
  'mx2.hosting.test': { a: ['192.0.2.2'], aaaa: ['2001:db8::2'] },
  'implicit.test': { a: ['192.0.2.9'] },
  'nullmx.test': { mx: ['0 .'] },
  'broken.test': { fail: 'SERVFAIL' },
  'loop.test': { mx: ['10 mx.loop.test'] },
  'mx.loop.test': { a: ['127.0.0.5'] },
  'halfbroken.test': { mx: ['10 gone.test', '20 mx1.hosting.test'] },
  'deadmx.test': { mx: ['10 gone.test'] },
});

test('MX by preference, site name is the MX rollup shared by domains on the same hosts', async () => {
  const a = await resolveRoute(zone, 'multi.test');
  assert.deepEqual(a.mxHosts, ['mx1.hosting.test', 'mx2.hosting.test']);
  assert.deepEqual(a.hosts.map((h) => [h.name, h.addrs]), [['mx1.hosting.test', ['192.0.2.1']], ['mx2.hosting.test', ['192.0.2.2', '2001:db8::2']]]);
  assert.equal(a.site, '(mx1|mx2).hosting.test');
  const b = await resolveRoute(zone, 'other.test');
  assert.equal(b.site, a.site);
  assert.equal(a.explicit, false);
});

test('no MX: the domain itself (A/AAAA)', async () => {
  const r = await resolveRoute(zone, 'implicit.test');
  assert.deepEqual(r.hosts, [{ name: 'implicit.test', addrs: ['192.0.2.9'] }]);
  assert.equal(r.site, 'implicit.test');
});

test('null MX and NXDOMAIN are permanent; SERVFAIL is transient', async () => {
  await assert.rejects(resolveRoute(zone, 'nullmx.test'), (e: RouteError) => e.permanent && e.code === 556 && e.enhanced === '5.1.10');
  await assert.rejects(resolveRoute(zone, 'nowhere.test'), (e: RouteError) => e.permanent && e.enhanced === '5.1.2');
  await assert.rejects(resolveRoute(zone, 'broken.test'), (e: RouteError) => !e.permanent && e.code === 451);
  await assert.rejects(resolveRoute(zone, 'deadmx.test'), (e: RouteError) => !e.permanent);
  // an MX host without address is skipped
  assert.deepEqual((await resolveRoute(zone, 'halfbroken.test')).hosts.map((h) => h.name), ['mx1.hosting.test']);
});

test('loopback destinations are prohibited unless allowed or routed explicitly', async () => {
  await assert.rejects(resolveRoute(zone, 'loop.test'), (e: RouteError) => e.permanent && e.enhanced === '5.4.4');
  const allowed = await resolveRoute(zone, 'loop.test', { allowLoopback: true });
  assert.deepEqual(allowed.hosts[0].addrs, ['127.0.0.5']);
  const smart = await resolveRoute(zone, 'anything.test', { mxList: [{ name: 'mx.loop.test', port: 2526 }, { name: '127.0.0.9', addr: '127.0.0.9' }] });
  assert.equal(smart.explicit, true);
  assert.deepEqual(smart.hosts, [{ name: 'mx.loop.test', addrs: ['127.0.0.5'], port: 2526 }, { name: '127.0.0.9', addrs: ['127.0.0.9'], port: undefined }]);
  assert.deepEqual(smart.mxHosts, ['mx.loop.test', '127.0.0.9']);
});

test('the route cache shares lookups per epoch', async () => {
  let calls = 0;
  const counting = Object.create(zone, { mx: { value: (d: string) => (calls++, zone.mx(d)) } });
  const cache = new RouteCache();
  const [x, y] = await Promise.all([cache.get(counting, 1, 'multi.test'), cache.get(counting, 1, 'multi.test')]);
  assert.equal(x, y);
  assert.equal(calls, 1);
  await cache.get(counting, 1, 'multi.test');
  assert.equal(calls, 1);
  await cache.get(counting, 2, 'multi.test');
  assert.equal(calls, 2, 'a new epoch looks up again');
});
