import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { compileConfig } from '../../src/config/compile.js';
import type { ConfigIssue } from '../../src/config/issues.js';
import { StaticResolver } from '../../src/dns/static-resolver.js';
import { DEFAULT_SIGNED_HEADERS } from '../../src/dkim/config.js';
import { keySourceFor } from '../../src/dkim/keys.js';
import { MINIMAL_MAIN, snapshotWith, tempDir, write } from './helpers.js';

const tmp = tempDir();
after(tmp.cleanup);
let n = 0;
const root = () => join(tmp.dir, `c${n++}`);

async function issuesOf(files: Record<string, string>): Promise<ConfigIssue[]> {
  const dir = root();
  write(dir, 'kumo.toml', MINIMAL_MAIN);
  for (const [name, text] of Object.entries(files)) write(dir, name, text);
  const res = await compileConfig({ root: dir, resolver: new StaticResolver({}) });
  return res.ok ? res.warnings : res.issues;
}

const at = (i: ConfigIssue) => `${i.file.split('/').pop()}:${i.line}:${i.col} ${i.code}`;

describe('dkim.toml compile', () => {
  it('compiles KumoMTA-style base, domain and signature blocks with defaults', async () => {
    const dir = root();
    const snap = await snapshotWith(dir, {
      'dkim.toml': `
[base]
selector = "s1"
additional_signatures = ["esp"]
expiration = "7d"

[domain."example.com"]
filename = "keys/example.pem"

[domain."*.example.org"]
selector = "wild"
algo = "ed25519"
header_canonicalization = "simple"
body_canonicalization = "simple"
over_sign = true
headers = ["From", "Subject"]
on_key_error = "SendUnsigned"

[signature.esp]
domain = "ESP.example.net"
policy = "OnlyIfMissingDomainBlock"
key = { key_data = "-----BEGIN PRIVATE KEY-----" }
`,
    });
    const d = snap.dkim;
    assert.equal(d.enabled, true);
    const ex = d.domains.get('EXAMPLE.com')!;
    assert.equal(ex.selector, 's1');
    assert.equal(ex.algorithm, 'rsa-sha256');
    assert.equal(ex.headerCanonicalization, 'relaxed');
    assert.equal(ex.bodyCanonicalization, 'relaxed');
    assert.equal(ex.overSign, false);
    assert.equal(ex.expirationMs, 7 * 86_400_000);
    assert.deepEqual(ex.headers, DEFAULT_SIGNED_HEADERS);
    assert.equal(ex.onKeyError, 'defer');
    assert.deepEqual(ex.key, { kind: 'source', spec: { kind: 'file', path: join(dir, 'keys/example.pem'), describe: `file ${join(dir, 'keys/example.pem')}` } });

    const w = d.domains.get('a.b.example.org')!;
    assert.equal(w.pattern, '*.example.org');
    assert.equal(w.selector, 'wild');
    assert.equal(w.algorithm, 'ed25519-sha256');
    assert.equal(w.headerCanonicalization, 'simple');
    assert.equal(w.bodyCanonicalization, 'simple');
    assert.equal(w.overSign, true);
    assert.deepEqual(w.headers, ['From', 'Subject']);
    assert.equal(w.onKeyError, 'unsigned');
    // no key given: KumoMTA's <dir>/<domain>/<selector>.key under the default key_dir "dkim"
    assert.deepEqual(keySourceFor(w.key, 'a.b.example.org', 'wild'), { kind: 'file', path: join(dir, 'dkim/a.b.example.org/wild.key'), describe: `file ${join(dir, 'dkim/a.b.example.org/wild.key')}` });
    assert.equal(d.domains.get('example.org'), undefined, '*.example.org does not match the bare domain');
    assert.equal(d.domains.get('example.net'), undefined);

    assert.equal(d.signatures.length, 1);
    assert.equal(d.signatures[0].name, 'esp');
    assert.equal(d.signatures[0].domain, 'esp.example.net');
    assert.equal(d.signatures[0].policy, 'OnlyIfMissingDomainBlock');
    assert.equal(d.signatures[0].key.kind, 'source');
    assert.throws(() => (d.signatures as unknown[]).push(1), 'the compiled config is frozen');
  });

  it('maps base.vault_mount (KumoMTA) to Vault key sources', async () => {
    const snap = await snapshotWith(root(), {
      'dkim.toml': `
[base]
selector = "s1"
vault_mount = "secret"
vault_path_prefix = "dkim-keys"
vault_address = "http://127.0.0.1:8200"
ttl = "30s"

[domain."example.com"]

[domain."example.org"]
filename = "custom/path"
`,
    });
    const a = keySourceFor(snap.dkim.domains.get('example.com')!.key, 'example.com', 's1');
    assert.deepEqual(a, { kind: 'vault', mount: 'secret', path: 'dkim-keys/example.com/s1.key', key: 'key', address: 'http://127.0.0.1:8200', ttlMs: 30_000, describe: 'vault secret/dkim-keys/example.com/s1.key (field "key")' });
    const b = keySourceFor(snap.dkim.domains.get('example.org')!.key, 'example.org', 's1');
    assert.equal(b.kind === 'vault' && b.path, 'custom/path');
  });

  it('accepts JSON and YAML spellings of the same data', async () => {
    const json = await snapshotWith(root(), {
      'dkim.json': JSON.stringify({ base: { selector: 's' }, domain: { 'example.com': { algo: 'ed25519', key: { path: 'k.pem' } } } }),
    });
    assert.equal(json.dkim.domains.get('example.com')!.algorithm, 'ed25519-sha256');
    const yaml = await snapshotWith(root(), {
      'dkim.yaml': 'base:\n  selector: s\ndomain:\n  example.com:\n    algo: ed25519\n    key: k.pem\n',
    });
    assert.equal(yaml.dkim.domains.get('example.com')!.algorithm, 'ed25519-sha256');
  });

  it('no dkim file: disabled', async () => {
    const snap = await snapshotWith(root(), {});
    assert.equal(snap.dkim.enabled, false);
  });

  it('reports an additional signature naming an unknown block at its position (TOML)', async () => {
    const issues = await issuesOf({
      'dkim.toml': `[base]\nselector = "s"\nadditional_signatures = ["esp", "nope"]\n\n[signature.esp]\ndomain = "esp.example"\n`,
    });
    assert.deepEqual(issues.map(at), ['dkim.toml:3:33 ref.unknown-dkim-block']);
    assert.match(issues[0].message, /no \[signature\."nope"\] block \(defined: "esp"\)/);
  });

  it('reports the same error in JSON and YAML at its position', async () => {
    const json = await issuesOf({
      'dkim.json': '{\n  "base": {\n    "selector": "s",\n    "additional_signatures": [\n      "nope"\n    ]\n  }\n}\n',
    });
    assert.deepEqual(json.map(at), ['dkim.json:5:7 ref.unknown-dkim-block']);
    const yaml = await issuesOf({ 'dkim.yaml': 'base:\n  selector: s\n  additional_signatures:\n    - nope\n' });
    assert.deepEqual(yaml.map(at), ['dkim.yaml:4:7 ref.unknown-dkim-block']);
  });

  it('reports schema problems (unknown keys, bad enums) with positions', async () => {
    const issues = await issuesOf({
      'dkim.toml': `[base]\nselector = "s"\n\n[domain."example.com"]\nalgo = "rsa"\nselectr = "x"\n`,
    });
    assert.deepEqual(issues.map(at).sort(), ['dkim.toml:5:8 schema.enum', 'dkim.toml:6:1 schema.unknown-key']);
  });

  it('reports value problems: selector, headers without From, duration, key source, domain pattern', async () => {
    const issues = await issuesOf({
      'dkim.toml': [
        '[domain."example.com"]', // 1: no selector anywhere
        '',
        '[domain."bad..name"]', // 3
        'selector = "ok"',
        '',
        '[domain."example.org"]', // 6
        'selector = "bad selector"', // 7
        'headers = ["Subject", "To"]', // 8
        'expiration = "soon"', // 9
        '',
        '[domain."example.net"]', // 11
        'selector = "s"',
        'key = { key_data = "x", path = "y" }', // 13
        '',
        '[domain."example.info"]', // 15
        'selector = "s"',
        'key = { vault_mount = "secret" }', // 17
      ].join('\n'),
    });
    assert.deepEqual(issues.map(at).sort(), [
      'dkim.toml:1:9 value.dkim-selector',
      'dkim.toml:13:1 value.key-source',
      'dkim.toml:17:1 value.key-source',
      'dkim.toml:3:9 value.dkim-domain',
      'dkim.toml:7:12 value.dkim-selector',
      'dkim.toml:8:11 value.dkim-headers',
      'dkim.toml:9:14 value.duration',
    ].sort());
  });

  it('an empty filename is value.key-source at its position', async () => {
    const issues = await issuesOf({ 'dkim.toml': '[domain."example.com"]\nselector = "s"\nfilename = "  "\n' });
    assert.deepEqual(issues.map(at), ['dkim.toml:3:12 value.key-source']);
    assert.match(issues[0].message, /filename must not be empty/);
  });

  it('warns about signatures never applied and DNS-based policies', async () => {
    const issues = await issuesOf({
      'dkim.toml': `[base]\nselector = "s"\n\n[domain."example.com"]\npolicy = "TempFailIfNotInDNS"\n\n[signature.orphan]\ndomain = "esp.example"\n`,
    });
    assert.deepEqual(issues.map((i) => `${at(i)} ${i.severity}`).sort(), [
      'dkim.toml:5:10 dkim.policy-ignored warning',
      'dkim.toml:7:12 dkim.unused-signature warning',
    ]);
  });

  it('merges several dkim files key by key, later files winning (files.dkim list)', async () => {
    const dir = root();
    write(dir, 'kumo.toml', MINIMAL_MAIN + '\n[files]\ndkim = ["dkim-a.toml", "dkim-b.yaml"]\n');
    write(dir, 'dkim-a.toml', '[base]\nselector = "a"\n[domain."example.com"]\nalgo = "ed25519"\nfilename = "a.pem"\n');
    write(dir, 'dkim-b.yaml', 'base:\n  selector: b\ndomain:\n  example.com:\n    filename: b.pem\n');
    const res = await compileConfig({ root: dir, resolver: new StaticResolver({}) });
    assert.ok(res.ok, JSON.stringify(!res.ok && res.issues));
    const blk = res.snapshot.dkim.domains.get('example.com')!;
    assert.equal(blk.selector, 'b');
    assert.equal(blk.algorithm, 'ed25519-sha256');
    assert.equal(blk.key.kind === 'source' && blk.key.spec.kind === 'file' && blk.key.spec.path, join(dir, 'b.pem'));
  });
});
