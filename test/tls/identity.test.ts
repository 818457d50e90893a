import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { generate } from 'selfsigned';
import { fileKeySource, inlineKeySource } from '../../src/keys/key-source.js';
import { createLogger } from '../../src/logging/logger.js';
import { CertificateStore } from '../../src/tls/cert-store.js';
import { buildTlsIdentity, TlsIdentityError } from '../../src/tls/identity.js';
import { makeCert, tempDir } from '../smtp/helpers.js';

describe('TLS identities', () => {
  test('a valid pair builds a TLS 1.2+ context; errors have stable codes', async () => {
    const [a, b] = await Promise.all([makeCert('a.test'), makeCert('b.test')]);
    const id = buildTlsIdentity(a.cert, a.key);
    assert.equal(id.fingerprint256, a.fingerprint256);
    assert.deepEqual(id.dnsNames, ['a.test']);
    assert.equal(buildTlsIdentity(a.cert + a.key, undefined).fingerprint256, a.fingerprint256, 'combined PEM');
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        assert.ok(e instanceof TlsIdentityError);
        return e.code;
      }
      return 'no error';
    };
    assert.equal(code(() => buildTlsIdentity(a.cert, b.key)), 'tls.key-mismatch');
    assert.equal(code(() => buildTlsIdentity('hello', a.key)), 'tls.no-certificate');
    assert.equal(code(() => buildTlsIdentity('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----', a.key)), 'tls.bad-certificate');
    assert.equal(code(() => buildTlsIdentity(a.cert, undefined)), 'tls.no-key');
    assert.equal(code(() => buildTlsIdentity(a.cert, '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----')), 'tls.bad-key');
  });

  test('a pair that parses and matches but OpenSSL will not serve (a 512-bit RSA key): tls.context with the reason', async () => {
    const weak = await generate([{ name: 'commonName', value: 'weak.test' }], { keyType: 'rsa', keySize: 512, algorithm: 'sha256' });
    assert.throws(() => buildTlsIdentity(weak.cert, weak.private, 'listener "x"'), (e: unknown) =>
      e instanceof TlsIdentityError && e.code === 'tls.context' && /^listener "x": cannot build a TLS context \(.*key too small\)$/.test(e.message));
  });

  test('a certificate given inline (key_data) is served', async () => {
    const a = await makeCert('inline.test');
    const store = new CertificateStore('inline', { default: { certificate: inlineKeySource(a.cert + a.key) }, sni: new Map(), expiryWarningMs: 86_400_000 }, createLogger({ out: () => undefined }));
    await store.start();
    try {
      assert.equal(store.identityFor('inline.test')?.fingerprint256, a.fingerprint256);
    } finally {
      store.close();
    }
  });

  test('a certificate close to expiry is warned about (configurable window)', async () => {
    const r = await generate([{ name: 'commonName', value: 'soon.test' }], {
      keySize: 2048,
      notBeforeDate: new Date(Date.now() - 86_400_000),
      notAfterDate: new Date(Date.now() + 5 * 86_400_000),
    });
    const dir = tempDir('kumo-tls-');
    writeFileSync(join(dir, 'c.pem'), r.cert);
    writeFileSync(join(dir, 'k.pem'), r.private);
    const lines: string[] = [];
    const log = createLogger({ out: (l) => lines.push(l) });
    const spec = { default: { certificate: fileKeySource(join(dir, 'c.pem')), privateKey: fileKeySource(join(dir, 'k.pem')) }, sni: new Map() };
    const quiet = new CertificateStore('quiet', { ...spec, expiryWarningMs: 86_400_000 }, log);
    await quiet.start();
    assert.equal(lines.filter((l) => l.includes('expires in')).length, 0);
    const warned = new CertificateStore('warned', { ...spec, expiryWarningMs: 14 * 86_400_000 }, log);
    await warned.start();
    const w = lines.filter((l) => l.includes('expires in'));
    assert.equal(w.length, 1);
    assert.match(w[0]!, /"level":"warn".*expires in 4 days/);
    assert.ok(Math.abs(warned.expiries()[0]!.notAfter - (Date.now() + 5 * 86_400_000)) < 120_000);
    quiet.close();
    warned.close();
  });
});

describe('certificate store reconfigure', () => {
  test('a new SNI certificate is added, a broken one falls back to the default (logged), a broken default is refused and the old one keeps serving', async () => {
    const a = await makeCert('default.test');
    const b = await makeCert('good.test');
    const dir = tempDir('kumo-tls-');
    writeFileSync(join(dir, 'a.pem'), a.cert + a.key);
    writeFileSync(join(dir, 'b.pem'), b.cert + b.key);
    const lines: string[] = [];
    const log = createLogger({ out: (l) => lines.push(l) });
    const def = { certificate: fileKeySource(join(dir, 'a.pem')) };
    const store = new CertificateStore('rc', { default: def, sni: new Map(), expiryWarningMs: 86_400_000 }, log);
    await store.start();
    try {
      assert.equal(store.identityFor('good.test')?.fingerprint256, a.fingerprint256, 'before: every name gets the default');
      await store.reconfigure({
        default: def,
        sni: new Map([
          ['good.test', { certificate: fileKeySource(join(dir, 'b.pem')) }],
          ['bad.test', { certificate: fileKeySource(join(dir, 'missing.pem')) }],
        ]),
        expiryWarningMs: 86_400_000,
      });
      assert.equal(store.identityFor('good.test')?.fingerprint256, b.fingerprint256, 'the new SNI certificate');
      assert.equal(store.identityFor('bad.test')?.fingerprint256, a.fingerprint256, 'the broken one: the default');
      assert.equal(store.identityFor()?.fingerprint256, a.fingerprint256);
      assert.ok(lines.some((l) => l.includes('certificate for SNI \\"bad.test\\": cannot be loaded; that name gets the default certificate')), lines.join('\n'));
      assert.equal(store.expiries().length, 2, 'default and good.test served');

      await assert.rejects(store.reconfigure({ default: { certificate: fileKeySource(join(dir, 'missing.pem')) }, sni: new Map(), expiryWarningMs: 86_400_000 }));
      assert.equal(store.identityFor()?.fingerprint256, a.fingerprint256, 'the old default keeps serving');
      assert.equal(store.identityFor('good.test')?.fingerprint256, b.fingerprint256, 'and the old SNI certificates');
    } finally {
      store.close();
    }
  });
});
