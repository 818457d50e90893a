import assert from 'node:assert/strict';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BASE_MAIN, Harness, SmtpClient, freePort, makeCert, message, waitFor } from '../smtp/helpers.js';
import type { TestCert } from '../smtp/helpers.js';
import { certificateExpiries } from '../../src/tls/cert-store.js';

/** Replaces a file the way certbot-like tools do: write a temp file, rename over. */
function replace(root: string, name: string, text: string): void {
  writeFileSync(join(root, `${name}.tmp`), text);
  renameSync(join(root, `${name}.tmp`), join(root, name));
}

describe('certificate rotation and SNI', () => {
  let h: Harness;
  let a: TestCert;
  let b: TestCert;
  let c: TestCert;
  let one: TestCert;
  let two: TestCert;

  before(async () => {
    [a, b, c, one, two] = await Promise.all([
      makeCert('mx.test'), makeCert('mx.test'), makeCert('mx.test'), makeCert('one.test'), makeCert('two.test'),
    ]);
    h = await Harness.start({
      'kumo.toml': `${BASE_MAIN}
[listener.starttls]
listen = "127.0.0.1:${await freePort()}"
tls = { certificate = "tls/cert.pem", private_key = "tls/key.pem" }

[listener.smtps]
listen = "127.0.0.1:${await freePort()}"
tls = { certificate = "tls/cert.pem", private_key = "tls/key.pem", implicit = true }

[listener.sni]
listen = "127.0.0.1:${await freePort()}"
tls = { certificate = "tls/combined.pem", sni = { "one.test" = { certificate = "tls/one.pem", private_key = "tls/one.key" }, "*.two.test" = { certificate = "tls/two.pem", private_key = "tls/two.key" } } }
`,
      'tls/cert.pem': a.cert,
      'tls/key.pem': a.key,
      'tls/combined.pem': a.cert + a.key,
      'tls/one.pem': one.cert,
      'tls/one.key': one.key,
      'tls/two.pem': two.cert,
      'tls/two.key': two.key,
    });
  });
  after(() => h.close());

  async function starttlsFingerprint(servername = 'mx.test'): Promise<string> {
    const s = await SmtpClient.connect(h.port('starttls'));
    await s.hello();
    await s.starttls(servername);
    const fp = s.peerFingerprint();
    await s.quit();
    return fp;
  }
  async function implicitFingerprint(): Promise<string> {
    const s = await SmtpClient.connect(h.port('smtps'), { tls: true, servername: 'mx.test' });
    await s.reply();
    const fp = s.peerFingerprint();
    await s.quit();
    return fp;
  }

  test('a renewed certificate is served to new connections (STARTTLS and implicit); open sessions keep working', async () => {
    assert.equal(await starttlsFingerprint(), a.fingerprint256);
    assert.equal(await implicitFingerprint(), a.fingerprint256);
    // sessions opened before the renewal
    const oldStarttls = await SmtpClient.connect(h.port('starttls'));
    await oldStarttls.hello();
    await oldStarttls.starttls('mx.test');
    const oldImplicit = await SmtpClient.connect(h.port('smtps'), { tls: true });
    await oldImplicit.hello();

    replace(h.root, 'tls/cert.pem', b.cert);
    replace(h.root, 'tls/key.pem', b.key);
    // how fast is a figure of bench/latency; here: that both kinds of listener switch
    await waitFor(async () => (await starttlsFingerprint()) === b.fingerprint256, 15_000, 50);
    await waitFor(async () => (await implicitFingerprint()) === b.fingerprint256, 15_000, 50);

    for (const s of [oldStarttls, oldImplicit]) {
      assert.equal(s.peerFingerprint(), a.fingerprint256);
      const r = await s.send('a@example.org', ['b@localhost.test'], message());
      assert.equal(r.final?.code, 250, 'a session opened before the renewal still delivers');
      await s.quit();
    }
    assert.ok(h.logged(/renewed certificate is live/).length >= 1);
  });

  test('a broken replacement is refused and the previous certificate keeps serving', async () => {
    const before = await starttlsFingerprint();
    // 1. not a certificate at all
    replace(h.root, 'tls/cert.pem', '-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n');
    await waitFor(() => h.logged(/REJECTED.*does not parse/).length > 0, 5000);
    assert.equal(await starttlsFingerprint(), before);
    assert.equal(await implicitFingerprint(), before);
    // 2. a valid certificate with a key that does not belong to it
    replace(h.root, 'tls/cert.pem', c.cert);
    await waitFor(() => h.logged(/REJECTED.*does not match/).length > 0, 5000);
    assert.equal(await starttlsFingerprint(), before);
    assert.equal(await implicitFingerprint(), before);
    // 3. the matching key arrives (written in place this time): now it is served
    writeFileSync(join(h.root, 'tls/key.pem'), c.key);
    await waitFor(async () => (await starttlsFingerprint()) === c.fingerprint256, 15_000, 50);
  });

  test('SNI: two names, two certificates; other names get the default', async () => {
    const fp = async (servername: string) => {
      const s = await SmtpClient.connect(h.port('sni'));
      await s.hello();
      await s.starttls(servername);
      const f = s.peerFingerprint();
      await s.quit();
      return f;
    };
    assert.equal(await fp('one.test'), one.fingerprint256);
    assert.equal(await fp('mx.two.test'), two.fingerprint256);
    assert.equal(await fp('other.test'), a.fingerprint256, 'default certificate from a combined PEM');
  });

  test('every served certificate has its notAfter exported', () => {
    const e = certificateExpiries().filter((x) => x.store === 'sni');
    assert.deepEqual(e.map((x) => x.name).sort(), ['*.two.test', 'default', 'one.test']);
    for (const x of e) assert.ok(x.notAfter > Date.now());
  });
});
