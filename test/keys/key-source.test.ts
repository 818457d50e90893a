import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Reporter } from '../../src/config/report.js';
import { loadSourceFile } from '../../src/config/source-file.js';
import type { SourceFile } from '../../src/config/source-file.js';
import {
  compileKeySource, describeKeySource, forgetCachedKeys, KeySourceError, loadKey, vaultKeySource,
} from '../../src/keys/key-source.js';
import type { KeySource } from '../../src/keys/key-source.js';
import { tempDir, write } from '../dkim/helpers.js';
import { FakeVault } from './vault-server.js';

const tmp = tempDir('kumo-keys-');
after(tmp.cleanup);

function compile(raw: KeySource, root = '/etc/kumo', ctx: { acmeDir?: string } = {}) {
  const file = loadSourceFile(write(tmp.dir, 'k.toml', 'x = 1\n')) as { ok: true; file: SourceFile };
  const r = new Reporter();
  return { spec: compileKeySource(file.file, ['x'], raw, root, r, ctx), issues: r.issues.map((i) => `${i.code}: ${i.message}`) };
}

async function rejects(p: Promise<unknown>, code: string, re: RegExp) {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof KeySourceError, String(e));
    assert.equal(e.code, code);
    assert.match(e.message, re);
    return true;
  });
}

describe('compileKeySource', () => {
  it('compiles paths (relative to the root), inline data and Vault entries', () => {
    assert.deepEqual(compile('keys/a.pem').spec, { kind: 'file', path: '/etc/kumo/keys/a.pem', describe: 'file /etc/kumo/keys/a.pem' });
    assert.deepEqual(compile({ path: '/abs/b.pem' }).spec, { kind: 'file', path: '/abs/b.pem', describe: 'file /abs/b.pem' });
    const inline = compile({ key_data: 'PEM' }).spec!;
    assert.equal(inline.kind === 'inline' && inline.data, 'PEM');
    assert.doesNotMatch(describeKeySource(inline), /PEM/, 'describe never shows the secret');
    assert.deepEqual(compile({ vault_mount: 'secret/', vault_path: '/dkim/a', ttl: '30s', vault_address: 'http://v:8200' }).spec, {
      kind: 'vault', mount: 'secret', path: 'dkim/a', key: 'key', address: 'http://v:8200', ttlMs: 30_000,
      describe: 'vault secret/dkim/a (field "key")',
    });
    assert.equal(compile({ vault_mount: 's', vault_path: 'p' }).spec!.kind === 'vault' && (compile({ vault_mount: 's', vault_path: 'p' }).spec as { ttlMs: number }).ttlMs, 300_000);
  });

  it('reports ambiguous, incomplete and misplaced keys', () => {
    assert.match(compile({ key_data: 'a', path: 'b' }).issues[0], /^value.key-source: .*only one of key_data, path or vault_mount/);
    assert.match(compile({}).issues[0], /^value.key-source: .*needs one of/);
    assert.match(compile({ vault_mount: 's' }).issues[0], /needs vault_path/);
    assert.match(compile({ path: 'a', vault_token: 't' }).issues[0], /vault_token only applies to a Vault key source/);
    assert.match(compile({ vault_mount: 's', vault_path: 'p', ttl: 'soon' }).issues[0], /^value.duration/);
    assert.match(compile('  ').issues[0], /must not be empty/);
  });

  it('reports empty key_data or path, and an ACME source outside a listener or with other keys', () => {
    assert.deepEqual(compile({ key_data: ' ' }), { spec: undefined, issues: ['value.key-source: x: key_data must not be empty'] });
    assert.deepEqual(compile({ path: '' }), { spec: undefined, issues: ['value.key-source: x: path must not be empty'] });
    const acme = { acme: 'mx' } as unknown as KeySource;
    assert.deepEqual(compile(acme), { spec: undefined, issues: ["value.key-source: x: an ACME certificate can only be a listener's TLS certificate"] });
    const mixed = { acme: 'mx', path: 'a.pem' } as unknown as KeySource;
    assert.deepEqual(compile(mixed, '/etc/kumo', { acmeDir: '/var/acme' }), { spec: undefined, issues: ['value.key-source: x: an ACME key source takes only acme (found path)'] });
    assert.equal(compile(acme, '/etc/kumo', { acmeDir: '/var/acme' }).issues.length, 0);
  });
});

describe('loadKey: files and inline data', () => {
  it('reads a file fresh on every call (rotation), inline data as is', async () => {
    const p = write(tmp.dir, 'a.pem', 'one');
    const spec = compile(p).spec!;
    assert.equal((await loadKey(spec)).toString(), 'one');
    write(tmp.dir, 'a.pem', 'two');
    assert.equal((await loadKey(spec)).toString(), 'two');
    assert.equal((await loadKey(compile({ key_data: 'inline' }).spec!)).toString(), 'inline');
  });

  it('a missing or empty file is a typed error naming the file', async () => {
    await rejects(loadKey(compile(join(tmp.dir, 'nope.pem')).spec!), 'key.file', /nope\.pem: cannot read the key: no such file/);
    const empty = write(tmp.dir, 'empty.pem', '\n');
    await rejects(loadKey(compile(empty).spec!), 'key.empty', /empty\.pem: the key file is empty/);
  });
});

describe('loadKey: HashiCorp Vault KV v2', () => {
  const vault = new FakeVault('s.good-token');
  let addr: string;
  before(async () => {
    addr = await vault.start();
  });
  after(() => vault.stop());
  beforeEach(() => {
    forgetCachedKeys();
    vault.set('dkim/example.com', { key: 'PEM-1', other: 'x' });
  });

  it('loads the field of a secret with the configured address and token', async () => {
    const spec = vaultKeySource({ mount: 'secret', path: 'dkim/example.com', address: addr, token: 's.good-token' });
    assert.equal((await loadKey(spec)).toString(), 'PEM-1');
    const other = vaultKeySource({ mount: 'secret', path: 'dkim/example.com', key: 'other', address: addr, token: 's.good-token' });
    assert.equal((await loadKey(other)).toString(), 'x');
  });

  it('falls back to VAULT_ADDR and VAULT_TOKEN', async () => {
    const saved = { a: process.env.VAULT_ADDR, t: process.env.VAULT_TOKEN };
    try {
      process.env.VAULT_ADDR = addr + '/';
      process.env.VAULT_TOKEN = 's.good-token';
      assert.equal((await loadKey(vaultKeySource({ mount: 'secret', path: 'dkim/example.com' }))).toString(), 'PEM-1');
      delete process.env.VAULT_TOKEN;
      await rejects(loadKey(vaultKeySource({ mount: 'secret', path: 'dkim/x' })), 'key.vault-config', /no Vault token \(set vault_token or VAULT_TOKEN\)/);
      delete process.env.VAULT_ADDR;
      await rejects(loadKey(vaultKeySource({ mount: 'secret', path: 'dkim/x', token: 't' })), 'key.vault-config', /no Vault address/);
    } finally {
      for (const [k, v] of [['VAULT_ADDR', saved.a], ['VAULT_TOKEN', saved.t]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it('a wrong token is a clear vault-auth error naming the secret and the server', async () => {
    const spec = vaultKeySource({ mount: 'secret', path: 'dkim/example.com', address: addr, token: 'wrong' });
    await rejects(loadKey(spec), 'key.vault-auth', /^vault secret\/dkim\/example\.com \(field "key"\) at http:\/\/127\.0\.0\.1:\d+: Vault refused the token \(HTTP 403: permission denied\)$/);
  });

  it('a missing secret or field, and an unreachable Vault, are typed errors', async () => {
    const base = { mount: 'secret', address: addr, token: 's.good-token' };
    await rejects(loadKey(vaultKeySource({ ...base, path: 'nope' })), 'key.vault-missing', /no such secret \(HTTP 404\)/);
    await rejects(loadKey(vaultKeySource({ ...base, path: 'dkim/example.com', key: 'pem' })), 'key.vault-missing', /no field "pem" \(fields: key, other\)/);
    await rejects(loadKey(vaultKeySource({ ...base, address: 'http://127.0.0.1:1', path: 'x' })), 'key.vault-http', /cannot reach Vault/);
  });

  it('caches for the TTL: a changed secret is picked up after it, not before', async () => {
    const spec = vaultKeySource({ mount: 'secret', path: 'dkim/example.com', address: addr, token: 's.good-token', ttlMs: 1500 });
    const before = vault.requests;
    const t0 = Date.now();
    const [a, b] = await Promise.all([loadKey(spec), loadKey(spec)]);
    assert.equal(a.toString(), 'PEM-1');
    assert.equal(b.toString(), 'PEM-1');
    assert.equal(vault.requests - before, 1, 'concurrent loads share one request');
    vault.set('dkim/example.com', { key: 'PEM-2' });
    assert.equal((await loadKey(spec)).toString(), 'PEM-1', 'within the TTL: cached');
    assert.equal(vault.requests - before, 1);
    // polled until the new value shows: never before the TTL, and with one more request
    let seen = '';
    while ((seen = (await loadKey(spec)).toString()) === 'PEM-1' && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 50));
    assert.equal(seen, 'PEM-2', 'after the TTL: reloaded');
    assert.ok(Date.now() - t0 >= 1500, `reloaded ${Date.now() - t0} ms after the first load (ttl 1.5 s)`);
    assert.equal(vault.requests - before, 2, 'the polls within the TTL were served from the cache');
  });

  it('a newer config epoch (bump-config-epoch, reload) re-reads a cached secret', async () => {
    const spec = vaultKeySource({ mount: 'secret', path: 'dkim/example.com', address: addr, token: 's.good-token', ttlMs: 60_000 });
    assert.equal((await loadKey(spec, { epoch: 1 })).toString(), 'PEM-1');
    vault.set('dkim/example.com', { key: 'PEM-2' });
    assert.equal((await loadKey(spec, { epoch: 1 })).toString(), 'PEM-1', 'same epoch: cached');
    assert.equal((await loadKey(spec)).toString(), 'PEM-1', 'no epoch given: cached');
    assert.equal((await loadKey(spec, { epoch: 2 })).toString(), 'PEM-2', 'new epoch: re-read');
  });

  it('failures are not cached', async () => {
    const spec = vaultKeySource({ mount: 'secret', path: 'later', address: addr, token: 's.good-token' });
    await rejects(loadKey(spec), 'key.vault-missing', /404/);
    vault.set('later', { key: 'now' });
    assert.equal((await loadKey(spec)).toString(), 'now');
  });
});
