import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileConfig, compileOrThrow } from '../../src/config/compile.js';
import { SourceSelector } from '../../src/egress/selector.js';
import { tempTree } from '../helpers/tmp.js';

const MAIN = `[server]\nsmtp = false\n[spool]\npath = "./spool"\n[dns]\nmode = "static"\nzone_file = "zone.toml"\n`;

test('sources.toml in KumoMTA format compiles to sources and weighted pools', async () => {
  const t = tempTree({
    'kumo.toml': MAIN,
    'zone.toml': '',
    'sources.toml': `
[source."ip-1"]
source_address = "10.0.0.1"
ehlo_domain = "mta1.example.com"

[source."ip-2"]
source_address = "10.0.0.2"
remote_port = 2525

[source."ip-3"]
ha_proxy_server = "10.1.0.1:5000"
ha_proxy_source_address = "192.0.2.3"

[pool."BestReputation"]
[pool."BestReputation"."ip-1"]

[pool."MediumReputation"."ip-2"]
weight = 2
[pool."MediumReputation"."ip-3"]
weight = 1
`,
  });
  try {
    const snap = await compileOrThrow({ root: t.dir });
    const e = snap.egress;
    assert.deepEqual([...e.sources.keys()].sort(), ['ip-1', 'ip-2', 'ip-3', 'unspecified']);
    assert.equal(e.sources.get('ip-1')?.sourceAddress, '10.0.0.1');
    assert.equal(e.sources.get('ip-1')?.ehloDomain, 'mta1.example.com');
    assert.equal(e.sources.get('ip-2')?.remotePort, 2525);
    assert.deepEqual(e.sources.get('ip-3')?.haProxy, { server: { host: '10.1.0.1', port: 5000 }, sourceAddress: '192.0.2.3' });
    assert.equal(e.sources.get('unspecified')?.sourceAddress, undefined);
    assert.deepEqual(e.pools.get('BestReputation')?.entries, [{ source: 'ip-1', weight: 1 }]);
    assert.deepEqual(e.pools.get('MediumReputation')?.entries, [{ source: 'ip-2', weight: 2 }, { source: 'ip-3', weight: 1 }]);
    assert.deepEqual(e.pools.get('unspecified')?.entries, [{ source: 'unspecified', weight: 1 }]);
    assert.throws(() => (e.pools as Map<string, unknown>).set('x', {}), /immutable/);
  } finally {
    t.cleanup();
  }
});

test('without sources files the default pool and source are "unspecified"', async () => {
  const t = tempTree({ 'kumo.toml': MAIN, 'zone.toml': '' });
  try {
    const snap = await compileOrThrow({ root: t.dir });
    assert.deepEqual([...snap.egress.sources.keys()], ['unspecified']);
    assert.deepEqual([...snap.egress.pools.keys()], ['unspecified']);
  } finally {
    t.cleanup();
  }
});

test('a pool naming an unknown source and bad addresses are reported with file:line', async () => {
  const t = tempTree({
    'kumo.toml': MAIN,
    'zone.toml': '',
    'sources.toml': [
      '[source."a"]', // 1
      'source_address = "10.0.0.300"', // 2
      '', // 3
      '[source."b"]', // 4
      'ha_proxy_server = "proxy:99999"', // 5
      '', // 6
      '[pool."p"."a"]', // 7
      '[pool."p"."nope"]', // 8
      'weight = 3', // 9
    ].join('\n'),
  });
  try {
    const res = await compileConfig({ root: t.dir });
    assert.equal(res.ok, false);
    if (res.ok) return;
    const by = (code: string) => res.issues.filter((i) => i.code === code);
    const unknown = by('ref.unknown-source');
    assert.equal(unknown.length, 1);
    assert.equal(unknown[0].line, 8);
    assert.match(unknown[0].file, /sources\.toml$/);
    assert.match(unknown[0].message, /"nope"/);
    assert.equal(by('value.address')[0]?.line, 2);
    assert.equal(by('value.host-port')[0]?.line, 5);
    // ha_proxy_server without ha_proxy_source_address
    assert.equal(by('value.proxy')[0]?.line, 5);
  } finally {
    t.cleanup();
  }
});

test('unknown keys in sources.toml are schema errors', async () => {
  const t = tempTree({ 'kumo.toml': MAIN, 'zone.toml': '', 'sources.toml': '[source."a"]\nsource_adress = "10.0.0.1"\n' });
  try {
    const res = await compileConfig({ root: t.dir });
    assert.equal(res.ok, false);
    if (!res.ok) {
      assert.equal(res.issues[0].code, 'schema.unknown-key');
      assert.equal(res.issues[0].line, 2);
    }
  } finally {
    t.cleanup();
  }
});

test('JSON and YAML spellings of sources are equivalent', async () => {
  const data = { source: { a: { source_address: '10.0.0.1' } }, pool: { p: { a: { weight: 3 } } } };
  for (const [name, text] of [
    ['sources.json', JSON.stringify(data)],
    ['sources.yaml', 'source:\n  a:\n    source_address: 10.0.0.1\npool:\n  p:\n    a:\n      weight: 3\n'],
  ]) {
    const t = tempTree({ 'kumo.toml': MAIN, 'zone.toml': '', [name]: text });
    try {
      const snap = await compileOrThrow({ root: t.dir });
      assert.deepEqual(snap.egress.pools.get('p')?.entries, [{ source: 'a', weight: 3 }], name);
    } finally {
      t.cleanup();
    }
  }
});

test('smooth weighted round robin spreads picks by weight and lives outside the snapshot', async () => {
  const t = tempTree({
    'kumo.toml': MAIN,
    'zone.toml': '',
    'sources.toml': '[source.a]\n[source.b]\n[source.c]\n[source.z]\n[pool.p.a]\nweight = 5\n[pool.p.b]\n[pool.p.c]\n[pool.p.z]\nweight = 0\n',
  });
  try {
    const snap = await compileOrThrow({ root: t.dir });
    const sel = new SourceSelector();
    const picks = Array.from({ length: 7 }, () => sel.pick(snap.egress, 'p'));
    assert.deepEqual(picks, ['a', 'a', 'b', 'a', 'c', 'a', 'a']);
    const counts: Record<string, number> = {};
    for (let i = 0; i < 700; i++) {
      const s = sel.pick(snap.egress, 'p')!;
      counts[s] = (counts[s] ?? 0) + 1;
    }
    assert.deepEqual(counts, { a: 500, b: 100, c: 100 });
    assert.equal(sel.pick(snap.egress, 'missing'), undefined);
    assert.equal(sel.pick(snap.egress, undefined), 'unspecified');
    // a suspended source is skipped until its time is up
    sel.suspend('a', Date.now() + 60_000);
    const later = Array.from({ length: 4 }, () => sel.pick(snap.egress, 'p'));
    assert.ok(!later.includes('a'));
    assert.ok(Object.isFrozen(snap.egress));
  } finally {
    t.cleanup();
  }
});
