import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BASE_MAIN, Harness, SmtpClient, freePort, makeCert, message } from './helpers.js';
import { hashPassword } from '../../src/auth/password-hash.js';

describe('EHLO capabilities', () => {
  let h: Harness;
  before(async () => {
    const c = await makeCert('mx.test');
    h = await Harness.start({
      'kumo.toml': `${BASE_MAIN}
[listener.tls]
listen = "127.0.0.1:${await freePort()}"
hostname = "mx.test"
banner = "welcome"
max_message_size = "1MB"
tls = { certificate = "cert.pem", private_key = "key.pem" }
auth = { credentials = "users.txt" }

[listener.plain]
listen = "127.0.0.1:${await freePort()}"

[listener.nostarttls]
listen = "127.0.0.1:${await freePort()}"
starttls = false
`,
      'cert.pem': c.cert,
      'key.pem': c.key,
      'users.txt': `alice:${await hashPassword('pw', { kind: 'bcrypt', cost: 4 })}\n`,
    });
  });
  after(() => h.close());

  test('advertises PIPELINING, 8BITMIME, SMTPUTF8, SIZE, ENHANCEDSTATUSCODES and STARTTLS; AUTH only after STARTTLS', async () => {
    const c = await SmtpClient.connect(h.port('tls'));
    const greeting = await c.reply();
    assert.equal(greeting.code, 220);
    assert.match(greeting.text, /^mx\.test ESMTP welcome$/);
    const caps = await c.hello('client.test', false);
    for (const cap of ['PIPELINING', '8BITMIME', 'SMTPUTF8', 'ENHANCEDSTATUSCODES', 'STARTTLS']) assert.ok(caps.includes(cap), `${cap} in ${caps.join(',')}`);
    assert.ok(caps.includes(`SIZE ${1024 * 1024}`), caps.join(','));
    assert.ok(!caps.some((l) => l.startsWith('AUTH')), `no AUTH before TLS: ${caps.join(',')}`);

    const tlsCaps = await c.starttls('mx.test');
    assert.ok(tlsCaps.some((l) => /^AUTH\b/.test(l) && l.includes('PLAIN') && l.includes('LOGIN')), tlsCaps.join(','));
    assert.ok(!tlsCaps.includes('STARTTLS'));
    assert.ok(['TLSv1.2', 'TLSv1.3'].includes(c.tlsProtocol() ?? ''));
    assert.equal((await c.authPlain('alice', 'pw')).code, 235);
    await c.quit();
  });

  test('a listener without tls offers STARTTLS (generated certificate) but no AUTH', async () => {
    const c = await SmtpClient.connect(h.port('plain'));
    const caps = await c.hello();
    assert.ok(caps.includes('STARTTLS'), caps.join(','));
    assert.ok(!caps.some((l) => l.startsWith('AUTH')));
    const tlsCaps = await c.starttls();
    assert.ok(!tlsCaps.some((l) => l.startsWith('AUTH')), `no AUTH when none is configured: ${tlsCaps.join(',')}`);
    await c.quit();
  });

  test('a listener with starttls = false offers neither STARTTLS nor AUTH', async () => {
    const c = await SmtpClient.connect(h.port('nostarttls'));
    const caps = await c.hello();
    assert.ok(!caps.includes('STARTTLS'));
    assert.ok(!caps.some((l) => l.startsWith('AUTH')));
    assert.equal((await c.cmd('STARTTLS')).code, 500);
    await c.quit();
  });

  test('TLS 1.1 and older are refused, TLS 1.2 is accepted', async () => {
    const { connect } = await import('node:tls');
    const attempt = async (maxVersion: 'TLSv1.1' | 'TLSv1.2') => {
      const c = await SmtpClient.connect(h.port('tls'));
      await c.hello();
      assert.equal((await c.cmd('STARTTLS')).code, 220);
      const raw = c.socket;
      raw.removeAllListeners('data');
      // SECLEVEL=0 so that it is the server, not our client, that refuses old versions
      const ok = await new Promise<boolean>((resolve) => {
        const s = connect({ socket: raw, rejectUnauthorized: false, maxVersion, minVersion: 'TLSv1', ciphers: 'DEFAULT@SECLEVEL=0' }, () => resolve(true));
        s.once('error', () => resolve(false));
      });
      raw.destroy();
      return ok;
    };
    assert.equal(await attempt('TLSv1.1'), false, 'a TLS 1.1 handshake must fail');
    assert.equal(await attempt('TLSv1.2'), true, 'a TLS 1.2 handshake must work');
  });

  test('a message is accepted with 250 after it is spooled, with trace headers', async () => {
    const c = await SmtpClient.connect(h.port('plain'));
    await c.hello();
    const r = await c.send('sender@example.org', ['rcpt@example.net'], message({ messageId: 'ehlo-1@test' }));
    assert.equal(r.final?.code, 250);
    const id = /id=([0-9a-f]{32})/.exec(r.final!.text)?.[1];
    assert.ok(id, r.final!.text);
    const body = (await h.spool.getBody(id!))!.toString();
    assert.match(body, /^Received: from client\.test \(\[127\.0\.0\.1\]\)\r\n\tby /);
    assert.match(body, new RegExp(`\\tid ${id}`));
    const ref = /^X-KumoRef: (\S+)\r$/m.exec(body)?.[1];
    assert.equal(JSON.parse(Buffer.from(ref!, 'base64').toString()).id, id);
    assert.match(body, /Message-ID: <ehlo-1@test>/);
    assert.equal(h.enqueued.at(-1)?.id, id);
    const rec = (await h.records_('Reception')).find((x) => x.id === id);
    assert.equal(rec?.recipient, 'rcpt@example.net');
    await c.quit();
  });
});
