// The static resolver built from [dns] zone_file: built once per text of the file and shared
// by every caller of the epoch (compile, queue manager, listeners, TLS-RPT), rebuilt when the
// text changes, and a broken file is reported every time, never answered from the last good one.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Reporter } from '../../src/config/report.js';
import { createResolver } from '../../src/dns/create.js';
import { DnsError } from '../../src/dns/resolver.js';
import { tempTree } from '../helpers/tmp.js';

const tree = tempTree();
after(() => tree.cleanup());
const zone = tree.write('zone.toml', '["a.test"]\nmx = ["10 mx1.a.test"]\n');
const dns = { mode: 'static' as const, zoneFile: zone, timeoutMs: 1000 } as Parameters<typeof createResolver>[0];
const build = () => {
  const r = new Reporter();
  const res = createResolver(dns, r);
  return { ...res, errors: r.issues.filter((i) => i.severity === 'error') };
};
const nxdomain = (e: unknown) => e instanceof DnsError && e.code === 'NXDOMAIN';

test('the same text gives the same resolver; a changed file is read again', async () => {
  const first = build();
  assert.deepEqual(first.errors, []);
  assert.deepEqual(first.files, [zone]);
  assert.deepEqual(await first.resolver.mx('a.test'), [{ priority: 10, exchange: 'mx1.a.test' }]);
  assert.equal(build().resolver, first.resolver, 'unchanged text: not parsed again');

  tree.write('zone.toml', '["a.test"]\nmx = ["20 mx2.a.test"]\n["b.test"]\na = ["127.0.0.5"]\n');
  const second = build();
  assert.notEqual(second.resolver, first.resolver);
  assert.deepEqual(await second.resolver.mx('a.test'), [{ priority: 20, exchange: 'mx2.a.test' }]);
  assert.deepEqual(await second.resolver.a('b.test'), ['127.0.0.5']);
});

test('a broken or invalid zone file is reported each time, not answered from the last good text', async () => {
  tree.write('zone.toml', '["a.test"]\nmx = ["10 mx1.a.test"]\n');
  assert.deepEqual(build().errors, []);
  tree.write('zone.toml', '["a.test"\nmx = 1\n');
  for (let i = 0; i < 2; i++) {
    const bad = build();
    assert.equal(bad.errors.length, 1, JSON.stringify(bad.errors));
    assert.match(bad.errors[0]!.file, /zone\.toml$/);
    await assert.rejects(bad.resolver.mx('a.test'), nxdomain);
  }
  tree.write('zone.toml', '["a.test"]\nmx = 10\n');
  for (let i = 0; i < 2; i++) assert.ok(build().errors.length >= 1, 'schema error reported again');
  tree.write('zone.toml', '["a.test"]\nmx = ["10 mx1.a.test"]\n');
  const good = build();
  assert.deepEqual(good.errors, []);
  assert.deepEqual(await good.resolver.mx('a.test'), [{ priority: 10, exchange: 'mx1.a.test' }]);
});
