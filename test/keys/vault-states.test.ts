// The Vault key source against the states a real Vault answers with: namespaces
// (X-Vault-Namespace), sealed (503 "Vault is sealed"), other 5xx, and deleted or destroyed
// KV v2 versions (404 with the version's metadata), and answers that are not Vault's JSON (a
// proxy's HTML page). Each is a typed error naming the secret.
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { forgetCachedKeys, KeySourceError, loadKey, vaultKeySource } from '../../src/keys/key-source.js';
import type { KeySourceErrorCode } from '../../src/keys/key-source.js';
import { FakeVault } from './vault-server.js';

async function rejects(p: Promise<unknown>, code: KeySourceErrorCode, message: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof KeySourceError, `a KeySourceError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.match(e.message, message);
    return true;
  });
}

/** Runs `f` with VAULT_NAMESPACE set to `ns` (unset when undefined), restoring it after. */
async function withNamespace<T>(ns: string | undefined, f: () => Promise<T>): Promise<T> {
  const saved = process.env.VAULT_NAMESPACE;
  if (ns === undefined) delete process.env.VAULT_NAMESPACE;
  else process.env.VAULT_NAMESPACE = ns;
  try {
    return await f();
  } finally {
    if (saved === undefined) delete process.env.VAULT_NAMESPACE;
    else process.env.VAULT_NAMESPACE = saved;
  }
}

describe('Vault key source: namespaces, sealed, 5xx, deleted versions', () => {
  const vault = new FakeVault('s.root-token');
  let addr: string;
  const spec = (path: string, token = 's.root-token') => vaultKeySource({ mount: 'secret', path, address: addr, token, ttlMs: 60_000 });

  before(async () => {
    addr = await vault.start();
    vault.addToken('s.team-a', 'team-a');
  });
  after(() => vault.stop());
  beforeEach(() => {
    forgetCachedKeys();
    vault.sealed = false;
  });

  it('VAULT_NAMESPACE is sent as X-Vault-Namespace and selects the namespace’s secret', async () => {
    vault.set('dkim/shared', { key: 'ROOT-PEM' });
    vault.set('dkim/shared', { key: 'TEAM-A-PEM' }, 'team-a');
    const before = vault.seenNamespaces.length;
    assert.equal((await withNamespace('team-a/', () => loadKey(spec('dkim/shared', 's.team-a')))).toString(), 'TEAM-A-PEM');
    assert.equal((await withNamespace(undefined, () => loadKey(spec('dkim/shared')))).toString(), 'ROOT-PEM', 'no namespace: the root one (not the cached team-a value)');
    assert.deepEqual(vault.seenNamespaces.slice(before), ['team-a', '']);
  });

  it('a namespaced token without the namespace, or a secret only in another namespace: refused or missing, naming the namespace', async () => {
    vault.set('dkim/only-a', { key: 'A' }, 'team-a');
    await withNamespace(undefined, () => rejects(loadKey(spec('dkim/only-a', 's.team-a')), 'key.vault-auth', /at http:\/\/127\.0\.0\.1:\d+: Vault refused the token \(HTTP 403: permission denied\)$/));
    await withNamespace('team-b', () =>
      rejects(loadKey(spec('dkim/only-a', 's.team-a')), 'key.vault-auth', /at http:\/\/127\.0\.0\.1:\d+ in namespace "team-b": Vault refused the token \(HTTP 403/));
    await withNamespace(undefined, () => rejects(loadKey(spec('dkim/only-a')), 'key.vault-missing', /no such secret \(HTTP 404\)/));
  });

  it('a sealed Vault is key.vault-sealed; once unsealed the secret loads (the failure is not cached)', async () => {
    vault.set('dkim/sealed', { key: 'PEM' });
    vault.sealed = true;
    await rejects(loadKey(spec('dkim/sealed')), 'key.vault-sealed', /^vault secret\/dkim\/sealed \(field "key"\) at http:\/\/127\.0\.0\.1:\d+: Vault is sealed \(HTTP 503\): it must be unsealed/);
    vault.sealed = false;
    assert.equal((await loadKey(spec('dkim/sealed'))).toString(), 'PEM');
  });

  it('other 5xx answers are key.vault-server with Vault’s errors; a 503 that is not "sealed" too', async () => {
    vault.set('dkim/flaky', { key: 'PEM' });
    vault.failNext(500, ['internal error']);
    await rejects(loadKey(spec('dkim/flaky')), 'key.vault-server', /Vault failed with HTTP 500: internal error$/);
    vault.failNext(503, ['Vault is in standby mode']);
    await rejects(loadKey(spec('dkim/flaky')), 'key.vault-server', /HTTP 503: Vault is in standby mode$/);
    vault.failNext(502, ['upstream connect error', 'retry later']);
    await rejects(loadKey(spec('dkim/flaky')), 'key.vault-server', /HTTP 502: upstream connect error; retry later$/);
    assert.equal((await loadKey(spec('dkim/flaky'))).toString(), 'PEM');
  });

  it('a deleted or destroyed current version is key.vault-deleted naming the version; a new version loads', async () => {
    vault.set('dkim/rotated', { key: 'V1' });
    vault.set('dkim/rotated', { key: 'V2' });
    vault.deleteLatest('dkim/rotated');
    await rejects(loadKey(spec('dkim/rotated')), 'key.vault-deleted', /version 2 of the secret was deleted at \d{4}-\d\d-\d\dT[\d:.]+Z \(HTTP 404\): undelete it or write a new version$/);
    vault.set('dkim/rotated', { key: 'V3' });
    vault.destroyLatest('dkim/rotated');
    await rejects(loadKey(spec('dkim/rotated')), 'key.vault-deleted', /version 3 of the secret is destroyed \(HTTP 404\)/);
    vault.set('dkim/rotated', { key: 'V4' });
    assert.equal((await loadKey(spec('dkim/rotated'))).toString(), 'V4');
    // a secret that never existed is still "missing", not "deleted"
    await rejects(loadKey(spec('dkim/never')), 'key.vault-missing', /no such secret \(HTTP 404\)$/);
    // metadata of a version that is neither deleted nor destroyed says nothing more
    vault.answerNext(404, JSON.stringify({ data: { data: null, metadata: { version: 1, deletion_time: '', destroyed: false } } }), 'application/json');
    await rejects(loadKey(spec('dkim/meta')), 'key.vault-missing', /no such secret \(HTTP 404\)$/);
  });

  it('answers that are not Vault JSON (a proxy page): format error on 200, the status alone otherwise', async () => {
    vault.set('dkim/proxied', { key: 'PEM' });
    const page = '<html><body>Bad Gateway</body></html>';
    vault.answerNext(200, page);
    await rejects(loadKey(spec('dkim/proxied')), 'key.vault-format', /^vault secret\/dkim\/proxied \(field "key"\) at http:\/\/127\.0\.0\.1:\d+: Vault answered with something that is not JSON$/);
    vault.answerNext(502, page);
    await rejects(loadKey(spec('dkim/proxied')), 'key.vault-server', /: Vault failed with HTTP 502$/);
    vault.answerNext(404, page);
    await rejects(loadKey(spec('dkim/proxied')), 'key.vault-missing', /: no such secret \(HTTP 404\)$/);
    assert.equal((await loadKey(spec('dkim/proxied'))).toString(), 'PEM');
  });
});
