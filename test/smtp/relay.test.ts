import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { hashPassword } from '../../src/auth/password-hash.js';
import { BASE_MAIN, Harness, SmtpClient, freePort, makeCert, message, waitFor } from './helpers.js';

const v1 = (src: string) => Buffer.from(`PROXY TCP4 ${src} 127.0.0.1 40000 25\r\n`);
function v2(src: string): Buffer {
  const b = Buffer.alloc(16 + 12);
  Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]).copy(b);
  b[12] = 0x21; // v2, PROXY
  b[13] = 0x11; // TCP over IPv4
  b.writeUInt16BE(12, 14);
  src.split('.').forEach((o, i) => (b[16 + i] = Number(o)));
  [127, 0, 0, 1].forEach((o, i) => (b[20 + i] = o));
  b.writeUInt16BE(40000, 24);
  b.writeUInt16BE(25, 26);
  return b;
}

describe('relay policy', () => {
  let h: Harness;
  before(async () => {
    const c = await makeCert('mx.test');
    const users = [
      `alice:${await hashPassword('alice-pw', { kind: 'bcrypt', cost: 4 })}`,
      `bob:${await hashPassword('bob-pw', { cost: 10 })}`,
    ].join('\n');
    h = await Harness.start({
      'kumo.toml': `${BASE_MAIN}
[listener.edge]
listen = "127.0.0.1:${await freePort()}"
relay_hosts = ["198.51.100.0/24"]
proxy_protocol_from = ["127.0.0.1"]
max_recipients_per_message = 2
max_messages_per_connection = 3
tls = { certificate = "cert.pem", private_key = "key.pem" }
auth = { credentials = "users.txt", max_failures = 3 }

[listener.strict]
listen = "127.0.0.1:${await freePort()}"
relay_hosts = []
proxy_protocol_from = ["127.0.0.1"]
tls = { certificate = "cert.pem", private_key = "key.pem" }
auth = { credentials = "users.txt", relay = false }

[listener.noproxy]
listen = "127.0.0.1:${await freePort()}"
relay_hosts = ["198.51.100.0/24"]
tls = { certificate = "cert.pem", private_key = "key.pem" }
`,
      'listener_domains.toml': `
["inbound.test"]
relay_to = true

["send.test"]
relay_from = ["192.0.2.0/24"]

["authz.test"]
relay_from_authz = ["bob"]

["bounces.test"]
log_oob = "LogThenDrop"

[listener."edge"."override.test"]
relay_to = true
`,
      'cert.pem': c.cert,
      'key.pem': c.key,
      'users.txt': users + '\n',
    });
  });
  after(() => h.close());

  async function session(listener: string, preamble?: Buffer): Promise<SmtpClient> {
    const c = await SmtpClient.connect(h.port(listener), { preamble });
    await c.hello();
    return c;
  }

  test('an untrusted client cannot relay to a foreign domain: 550 5.7.1 and a Rejection record', async () => {
    const c = await session('edge', v1('203.0.113.5'));
    const r = await c.send('someone@example.org', ['victim@foreign.test'], message());
    assert.equal(r.rcpts[0]!.code, 550);
    assert.match(r.rcpts[0]!.text, /^5\.7\.1 relaying not permitted for 203\.0\.113\.5/);
    await c.quit();
    const rej = (await h.records_('Rejection')).find((x) => x.recipient === 'victim@foreign.test');
    assert.ok(rej, 'Rejection record');
    assert.equal(rej.response.code, 550);
    assert.deepEqual(rej.response.enhanced_code, { class: 5, subject: 7, detail: 1 });
    assert.equal(rej.response.command, 'RCPT TO:<victim@foreign.test>');
    assert.equal(rej.peer_address?.addr, '203.0.113.5');
    assert.equal(rej.sender, 'someone@example.org');
  });

  test('a client in relay_hosts may relay (PROXY v1 and v2)', async () => {
    for (const pre of [v1('198.51.100.7'), v2('198.51.100.8')]) {
      const c = await session('edge', pre);
      const r = await c.send('app@example.org', ['user@foreign.test'], message());
      assert.equal(r.final?.code, 250, r.rcpts[0]?.text);
      await c.quit();
    }
  });

  test('mail to a relay_to domain is accepted from anyone', async () => {
    const c = await session('edge', v1('203.0.113.5'));
    const r = await c.send('anyone@example.org', ['postmaster@inbound.test'], message());
    assert.equal(r.final?.code, 250);
    await c.quit();
  });

  test('relay_from: the sender domain allows relaying from its networks only', async () => {
    const c = await session('edge', v1('192.0.2.9'));
    assert.equal((await c.send('news@send.test', ['user@foreign.test'], message())).final?.code, 250);
    assert.equal((await c.send('news@other.test', ['user@foreign.test'], message())).rcpts[0]!.code, 550);
    await c.quit();
    const d = await session('edge', v1('203.0.113.5'));
    assert.equal((await d.send('news@send.test', ['user@foreign.test'], message())).rcpts[0]!.code, 550);
    await d.quit();
  });

  test('an authenticated client may relay; AUTH before TLS and a wrong password are refused', async () => {
    const c = await session('edge', v1('203.0.113.6'));
    const early = await c.authPlain('alice', 'alice-pw');
    assert.equal(early.code, 530);
    assert.match(early.text, /^5\.7\.0 /);
    await c.starttls('mx.test');
    const bad = await c.authPlain('alice', 'wrong');
    assert.equal(bad.code, 535);
    assert.match(bad.text, /^5\.7\.8 /);
    assert.equal((await c.authPlain('alice', 'alice-pw')).code, 235);
    const r = await c.send('alice@example.org', ['user@foreign.test'], message());
    assert.equal(r.final?.code, 250);
    await c.quit();
    const id = /id=(\w+)/.exec(r.final!.text)![1]!;
    const meta = await h.spool.getMeta(id);
    assert.equal(meta?.reception.authUser, 'alice');
    assert.match(meta?.reception.tls ?? '', /^TLSv1\.[23]:/);
    const body = (await h.spool.getBody(id))!.toString();
    assert.match(body, /with ESMTPSA \(version=TLSv1\.[23] cipher=\S+\)/);
  });

  test('AUTH LOGIN works too', async () => {
    const c = await session('edge', v1('203.0.113.6'));
    await c.starttls();
    assert.equal((await c.cmd('AUTH LOGIN')).code, 334);
    assert.equal((await c.cmd(Buffer.from('bob').toString('base64'))).code, 334);
    assert.equal((await c.cmd(Buffer.from('bob-pw').toString('base64'))).code, 235);
    await c.quit();
  });

  test('repeated AUTH failures from one address are cut off (per-IP limit)', async () => {
    const c = await session('edge', v1('203.0.113.77'));
    await c.starttls();
    for (let i = 0; i < 3; i++) assert.equal((await c.authPlain('alice', `nope${i}`)).code, 535);
    const blocked = await c.authPlain('alice', 'alice-pw');
    assert.equal(blocked.code, 421);
    assert.match(blocked.text, /^4\.7\.0 /);
    c.close();
    // another address is not affected
    const d = await session('edge', v1('203.0.113.78'));
    await d.starttls();
    assert.equal((await d.authPlain('alice', 'alice-pw')).code, 235);
    await d.quit();
  });

  test('relay_from_authz with auth.relay = false: only the listed user, only for that sender domain', async () => {
    const c = await session('strict', v1('203.0.113.9'));
    await c.starttls();
    assert.equal((await c.authPlain('bob', 'bob-pw')).code, 235);
    assert.equal((await c.send('bob@authz.test', ['user@foreign.test'], message())).final?.code, 250);
    assert.equal((await c.send('bob@other.test', ['user@foreign.test'], message())).rcpts[0]!.code, 550);
    await c.quit();
    const d = await session('strict', v1('203.0.113.9'));
    await d.starttls();
    assert.equal((await d.authPlain('alice', 'alice-pw')).code, 235);
    assert.equal((await d.send('alice@authz.test', ['user@foreign.test'], message())).rcpts[0]!.code, 550);
    await d.quit();
  });

  test('a per-listener listener_domains block applies on that listener only', async () => {
    const c = await session('edge', v1('203.0.113.5'));
    assert.equal((await c.send('x@example.org', ['a@override.test'], message())).final?.code, 250);
    await c.quit();
    const d = await session('strict', v1('203.0.113.5'));
    assert.equal((await d.send('x@example.org', ['a@override.test'], message())).rcpts[0]!.code, 550);
    await d.quit();
  });

  test('log_oob domains accept reports without relaying them', async () => {
    const c = await session('edge', v1('203.0.113.5'));
    const r = await c.send('MAILER-DAEMON@example.org', ['bounce-123@bounces.test'], message());
    assert.equal(r.final?.code, 250);
    await c.quit();
    const id = /id=(\w+)/.exec(r.final!.text)![1]!;
    assert.equal(await h.spool.getMeta(id), undefined, 'not spooled for delivery');
    const rec = (await h.records_('Reception')).find((x) => x.id === id);
    assert.deepEqual(rec?.meta?.report_only, ['bounce-123@bounces.test']);
  });

  test('recipient and message limits per listener', async () => {
    const c = await session('edge', v1('198.51.100.7'));
    const r = await c.send('a@example.org', ['1@foreign.test', '2@foreign.test', '3@foreign.test'], message());
    assert.deepEqual(r.rcpts.map((x) => x.code), [250, 250, 451]);
    assert.match(r.rcpts[2]!.text, /^4\.5\.3 /);
    assert.equal(r.final?.code, 250);
    assert.equal((await c.send('a@example.org', ['1@foreign.test'], message())).final?.code, 250);
    assert.equal((await c.send('a@example.org', ['1@foreign.test'], message())).final?.code, 250);
    const fourth = await c.cmd('MAIL FROM:<a@example.org>');
    assert.equal(fourth.code, 421);
    c.close();
  });

  test('a PROXY header is not honoured from a peer outside proxy_protocol_from', async () => {
    // the header claims a relay_hosts address; read as the first command, it must change nothing
    const c = await SmtpClient.connect(h.port('noproxy'), { preamble: v1('198.51.100.7') });
    assert.equal((await c.reply()).code, 220);
    c.write('EHLO client.test\r\n');
    const first = await c.reply();
    assert.ok(first.code >= 500, `the PROXY line is answered as an unknown command: ${first.code} ${first.text}`);
    assert.equal((await c.reply()).code, 250, 'EHLO');
    const sent = await c.send('x@example.org', ['user@foreign.test'], message());
    assert.equal(sent.rcpts[0]!.code, 550, 'not relayed: the client is still 127.0.0.1');
    assert.match(sent.rcpts[0]!.text, /relaying not permitted for 127\.0\.0\.1/);
    await c.quit();
  });

  test('a bad PROXY header from a proxy peer drops the connection', async () => {
    const c = await SmtpClient.connect(h.port('edge'), { preamble: Buffer.from('HELLO THERE\r\n') });
    // closed by the server, no greeting: not a timeout (10 s) and not a reply
    await assert.rejects(c.reply(10_000), /connection closed/);
    await waitFor(() => h.logged(/listener edge: dropped a connection from proxy 127\.0\.0\.1: /).length > 0);
  });
});
