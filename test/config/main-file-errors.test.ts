// Issue 14 item 6: semantic errors of the main file ([http], [acme], files, listener TLS from
// Vault under `validate`), each at its file:line:col, and what a broken main file still checks.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { compileConfig } from '../../src/config/compile.js';
import type { CompileResult } from '../../src/config/compile.js';
import { formatIssue } from '../../src/config/issues.js';
import { forgetCachedKeys } from '../../src/keys/key-source.js';
import { tempTree } from '../helpers/tmp.js';
import { issue, makeCa } from '../helpers/test-ca.js';
import type { Pem } from '../helpers/test-ca.js';
import { FakeVault } from '../keys/vault-server.js';

const BASE = `
[server]
smtp = false
[spool]
path = "spool"
[dns]
mode = "static"
zone_file = "zone.toml"
`;

const trees: ReturnType<typeof tempTree>[] = [];
after(() => trees.forEach((t) => t.cleanup()));

async function compile(main: string, files: Record<string, string> = {}, testLoad = false): Promise<CompileResult> {
  const t = tempTree({ 'kumo.toml': main, 'zone.toml': '', ...files });
  trees.push(t);
  return compileConfig({ root: t.dir, testLoad });
}

/** every issue as `name:line:col: code: message` (the file's base name) */
function lines(res: CompileResult): string[] {
  const list = res.ok ? res.warnings : res.issues;
  return list.map((i) => `${i.file.split('/').pop()}:${i.line}:${i.col}: ${i.code}: ${formatIssue(i).replace(/^.*?:\d+:\d+: /, '')}`);
}

function expect(res: CompileResult, ...res_: RegExp[]): void {
  const got = lines(res);
  for (const re of res_) assert.ok(got.some((l) => re.test(l)), `${re} in\n${got.join('\n')}`);
}

/** the line (1-based) of the first line of `text` containing `needle` */
const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

let ca: Pem;
let leaf: Pem;
before(async () => {
  ca = await makeCa();
  leaf = await issue(ca, ['mx.example.test']);
});

test('[http] allowed_hostnames: a URL or a host:port is not a host name, named by index', async () => {
  const main = `${BASE}[http]\nlisten = "127.0.0.1:0"\nallowed_hostnames = ["api.example.test", "http://api.example.test", "[::1]"]\n`;
  const res = await compile(main);
  assert.equal(res.ok, false);
  expect(res, new RegExp(`^kumo\\.toml:${lineOf(main, 'allowed_hostnames')}:\\d+: value\\.hostname: http: allowed_hostnames\\[1\\]: "http://api\\.example\\.test" is not a host name`));
  assert.equal(lines(res).filter((l) => /allowed_hostnames/.test(l)).length, 1, 'only the bad entry: "[::1]" and a plain name are fine');
});

test('[http.tls.sni]: a name that is not a host name is an error at its key; a good one is used, lower-cased', async () => {
  const files = { 'c.pem': leaf.cert, 'k.pem': leaf.key };
  const bad = `${BASE}[http]\nlisten = "127.0.0.1:0"\n[http.tls]\ncertificate = "c.pem"\nprivate_key = "k.pem"\n[http.tls.sni."no spaces.test"]\ncertificate = "c.pem"\nprivate_key = "k.pem"\n`;
  const res = await compile(bad, files);
  assert.equal(res.ok, false);
  expect(res, new RegExp(`^kumo\\.toml:${lineOf(bad, 'no spaces')}:\\d+: value\\.hostname: http TLS: SNI name "no spaces\\.test" is not a host name or "\\*\\.suffix"`));

  const good = `${BASE}[http]\nlisten = "127.0.0.1:0"\n[http.tls]\ncertificate = "c.pem"\nprivate_key = "k.pem"\n[http.tls.sni."MX.Example.Test."]\ncertificate = "c.pem"\nprivate_key = "k.pem"\n[http.tls.sni."*.example.test"]\ncertificate = "c.pem"\nprivate_key = "k.pem"\n`;
  const ok = await compile(good, files);
  assert.ok(ok.ok, lines(ok).join('\n'));
  assert.deepEqual([...ok.snapshot.main.http.tls!.sni.keys()].sort(), ['*.example.test', 'mx.example.test']);
});

test('[acme.cert]: a bad name, a challenge without its listener, a wildcard without dns-01: each an error', async () => {
  const main = `${BASE}[acme]
http01_listen = "127.0.0.1:0"
[acme.cert.badname]
names = ["mx.example.test", "not a host"]
[acme.cert.alpn]
names = ["mx.example.test"]
challenge = "tls-alpn-01"
[acme.cert.wild]
names = ["*.example.test"]
challenge = "http-01"
`;
  const res = await compile(main);
  assert.equal(res.ok, false);
  expect(res,
    new RegExp(`^kumo\\.toml:${lineOf(main, 'not a host')}:\\d+: value\\.hostname: acme\\.cert\\.badname: "not a host" is not a host name`),
    new RegExp(`^kumo\\.toml:${lineOf(main, 'tls-alpn-01')}:\\d+: value\\.acme-challenge: acme\\.cert\\.alpn: the tls-alpn-01 challenge needs acme\\.tls_alpn01_listen`),
    new RegExp(`^kumo\\.toml:${lineOf(main, '*.example.test')}:\\d+: value\\.acme-challenge: acme\\.cert\\.wild: a wildcard name can only be validated with dns-01`),
  );
});

test('[acme.cert] without challenge and without any way to answer one defaults to dns-01 and says it needs dns01_hook', async () => {
  const main = `${BASE}[acme]\n[acme.cert.mx]\nnames = ["mx.example.test"]\n`;
  const res = await compile(main);
  assert.equal(res.ok, false);
  expect(res, new RegExp(`^kumo\\.toml:${lineOf(main, '[acme.cert.mx]')}:\\d+: value\\.acme-challenge: acme\\.cert\\.mx: the dns-01 challenge needs acme\\.dns01_hook`));
});

test('a main file that fails its schema check: its files listing is used where it has the right shape', async () => {
  // files.queues = 5 is a schema error (a path or a list of paths): reported once as a type error,
  // and queues.toml is then found by its default name; files.sources is used as listed
  const main = `${BASE}[files]\nqueues = 5\nsources = "my-sources.toml"\n`;
  const res = await compile(main, {
    'queues.toml': '[queue."bad pattern!"]\nretry_interval = "5m"\n',
    'my-sources.toml': '[source."a"]\nsource_address = "127.0.0.1"\n[pool."dead"."a"]\nweight = 0\n',
  });
  assert.equal(res.ok, false);
  expect(res,
    new RegExp(`^kumo\\.toml:${lineOf(main, 'queues = 5')}:\\d+: schema\\.type: .*expected string or array, got (number|integer)`),
    /^queues\.toml:1:\d+: value\.domain: /,
    /^my-sources\.toml:3:\d+: value\.pool-weight: /,
  );
  assert.equal(lines(res).filter((l) => /schema\.type/.test(l)).length, 1, lines(res).join('\n'));
});

test('a main file that cannot be read (a directory named kumo.toml) is file.read, not a crash', async () => {
  const t = tempTree({ 'zone.toml': '' });
  trees.push(t);
  mkdirSync(join(t.dir, 'kumo.toml'));
  const res = await compileConfig({ root: t.dir });
  assert.equal(res.ok, false);
  expect(res, /^kumo\.toml:1:1: file\.read: cannot read file: .*EISDIR/);
});

test('a helper file with an extension that is not a config format is file.format', async () => {
  const res = await compile(`${BASE}[files]\nqueues = "queues.txt"\n`, { 'queues.txt': 'retry_interval = "5m"\n' });
  assert.equal(res.ok, false);
  expect(res, /^queues\.txt:1:1: file\.format: unsupported config file extension \(use \.toml, \.json, \.yaml or \.yml\)/);
});

test('validate (testLoad): a listener certificate from Vault is loaded; a missing secret or a bad certificate is an error naming the listener', async () => {
  const vault = new FakeVault('s.token');
  const addr = await vault.start();
  try {
    vault.set('tls/mx', { cert: leaf.cert, key: leaf.key });
    vault.set('tls/garbage', { cert: 'not a certificate', key: leaf.key });
    const src = (path: string, field: string) => `{ vault_mount = "secret", vault_path = "${path}", vault_key = "${field}", vault_address = "${addr}", vault_token = "s.token" }`;
    const main = (path: string) => `${BASE.replace('smtp = false', 'smtp = true')}[listener.smtp]\nlisten = "127.0.0.1:0"\n[listener.smtp.tls]\ncertificate = ${src(path, 'cert')}\nprivate_key = ${src(path, 'key')}\n`;
    forgetCachedKeys();
    const good = await compile(main('tls/mx'), {}, true);
    assert.ok(good.ok, lines(good).join('\n'));
    forgetCachedKeys();
    const missing = await compile(main('tls/none'), {}, true);
    assert.equal(missing.ok, false);
    expect(missing, new RegExp(`^kumo\\.toml:${lineOf(main('tls/none'), 'certificate =')}:\\d+: key\\.[a-z-]+: listener "smtp" TLS: .*tls/none`));
    forgetCachedKeys();
    const garbage = await compile(main('tls/garbage'), {}, true);
    assert.equal(garbage.ok, false);
    expect(garbage, new RegExp(`^kumo\\.toml:${lineOf(main('tls/garbage'), 'certificate =')}:\\d+: value\\.tls-[a-z-]+: listener "smtp" TLS: `));
    // without testLoad nothing is fetched: the same config compiles
    forgetCachedKeys();
    const before = vault.requests;
    assert.ok((await compile(main('tls/none'))).ok);
    assert.equal(vault.requests, before);
  } finally {
    await vault.stop();
  }
});
