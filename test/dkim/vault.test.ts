import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { signAtReception } from '../../src/dkim/sign.js';
import { verifyDkim } from '../../src/dkim/verify.js';
import { StaticResolver } from '../../src/dns/static-resolver.js';
import { forgetCachedKeys } from '../../src/keys/key-source.js';
import { FakeVault } from '../keys/vault-server.js';
import { ed25519TestKey, message, snapshotWith, tempDir } from './helpers.js';

const tmp = tempDir();
const vault = new FakeVault('s.dkim-token');
let addr: string;
before(async () => {
  addr = await vault.start();
});
after(async () => {
  await vault.stop();
  tmp.cleanup();
});

describe('DKIM keys from Vault', () => {
  it('signs with a key from KumoMTA-style base.vault_mount; a wrong token defers the message', async () => {
    forgetCachedKeys();
    const key = ed25519TestKey();
    vault.set('dkim/example.com/ed.key', { key: key.pem });
    const dkim = (token: string) => `
[base]
vault_mount = "secret"
vault_address = "${addr}"
vault_token = "${token}"

[domain."example.com"]
selector = "ed"
algo = "ed25519"
`;
    const good = await snapshotWith(join(tmp.dir, 'good'), { 'dkim.toml': dkim('s.dkim-token') });
    const out = await signAtReception(good, message());
    assert.equal(out.action, 'signed', JSON.stringify(out));
    const signed = Buffer.concat([Buffer.from(out.action === 'signed' ? out.headers : ''), message()]);
    const resolver = new StaticResolver({ 'ed._domainkey.example.com': { txt: [key.txt] } });
    assert.equal((await verifyDkim(signed, resolver))[0].result, 'pass');

    const bad = await snapshotWith(join(tmp.dir, 'bad'), { 'dkim.toml': dkim('s.wrong') });
    const out2 = await signAtReception(bad, message());
    assert.equal(out2.action, 'defer');
    assert.match(out2.action === 'defer' ? out2.reason : '',
      /DKIM key for d=example\.com s=ed .*cannot be used: vault secret\/dkim\/example\.com\/ed\.key \(field "key"\) at http:\/\/127\.0\.0\.1:\d+: Vault refused the token \(HTTP 403: permission denied\) \[key\.vault-auth\]/);
  });
});
