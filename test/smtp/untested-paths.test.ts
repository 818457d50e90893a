// Issue 14 item 1, inbound: DATA over max_message_size → 552; a tenant's require_authz
// refusal; PROXY v2 with IPv6 addresses; a listener's TLS certificate and AUTH changing on a
// reload while it keeps its socket. In-process listeners on real config files (port 0, one
// loopback address each: two listeners on the same host:0 are refused as duplicates).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { hashPassword } from '../../src/auth/password-hash.js';
import { BASE_MAIN, Harness, SmtpClient, makeCert, message } from './helpers.js';
import type { TestCert } from './helpers.js';

/** A PROXY v2 header (PROXY command, TCP over IPv6) claiming the client is `src`. */
function v2ipv6(src: string, dst = '2001:db8:ffff::25'): Buffer {
  const b = Buffer.alloc(16 + 36);
  Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]).copy(b);
  b[12] = 0x21; // v2, PROXY
  b[13] = 0x21; // TCP over IPv6
  b.writeUInt16BE(36, 14);
  ipv6Bytes(src).copy(b, 16);
  ipv6Bytes(dst).copy(b, 32);
  b.writeUInt16BE(40000, 48);
  b.writeUInt16BE(25, 50);
  return b;
}

function ipv6Bytes(a: string): Buffer {
  const [head, tail] = a.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

const big = (bytes: number) => message({ subject: 'big', body: `${'y'.repeat(76)}\r\n`.repeat(Math.ceil(bytes / 78)) });

describe('inbound paths no test ran', () => {
  let h: Harness;
  let certA: TestCert;
  let certB: TestCert;
  let users: string;
  const main = (live: string) => `${BASE_MAIN}
[listener.small]
listen = "127.0.0.1:0"
max_message_size = "64KB"

[listener.v6]
listen = "127.0.0.2:0"
proxy_protocol_from = ["127.0.0.0/8"]
relay_hosts = ["2001:db8:7::/48"]

[listener.sub]
listen = "127.0.0.3:0"
tls = { certificate = "a.pem", private_key = "a.key" }
auth = { credentials = "users.txt" }

[listener.live]
listen = "127.0.0.4:0"
${live}
`;
  before(async () => {
    [certA, certB] = [await makeCert('mx.test'), await makeCert('mx.test')];
    users = [`alice:${await hashPassword('alice-pw', { kind: 'bcrypt', cost: 4 })}`, `bob:${await hashPassword('bob-pw', { kind: 'bcrypt', cost: 4 })}`].join('\n') + '\n';
    h = await Harness.start({
      'kumo.toml': main('tls = { certificate = "a.pem", private_key = "a.key" }'),
      'a.pem': certA.cert,
      'a.key': certA.key,
      'b.pem': certB.cert,
      'b.key': certB.key,
      'users.txt': users,
      'queues.toml': `tenant_header = "X-Tenant"\n[tenant.'payroll']\nrequire_authz = ["alice"]\n[tenant.'open']\n`,
    });
  });
  after(() => h?.close());

  test('DATA over max_message_size (no SIZE declared): 552 5.3.4, nothing spooled, the session goes on', async () => {
    const c = await SmtpClient.connect(h.port('small'));
    await c.hello();
    const before = h.enqueued.length;
    const r = await c.send('a@example.org', ['postmaster@localhost'], big(200 * 1024));
    assert.equal(r.final?.code, 552, r.final?.text);
    assert.match(r.final!.text, /^5\.3\.4 /);
    assert.equal(h.enqueued.length, before, 'not handed to the queue');
    // a message under the limit on the same connection is accepted
    const ok = await c.send('a@example.org', ['postmaster@localhost'], big(16 * 1024));
    assert.equal(ok.final?.code, 250, ok.final?.text);
    assert.equal(h.enqueued.length, before + 1);
    // the limit is on the message as stored: 48 KB of bare-LF lines become 72 KB with CRLF
    assert.equal((await c.cmd('MAIL FROM:<a@example.org>')).code, 250);
    assert.equal((await c.cmd('RCPT TO:<postmaster@localhost>')).code, 250);
    assert.equal((await c.cmd('DATA')).code, 354);
    c.write(`Subject: bare LFs\n\n${'x\n'.repeat(24 * 1024)}\r\n.\r\n`);
    const lf = await c.reply();
    assert.equal(lf.code, 552, lf.text);
    assert.match(lf.text, /^5\.3\.4 /);
    assert.equal(h.enqueued.length, before + 1, 'the bare-LF message is not handed to the queue');
    // a SIZE declared over the limit is refused at MAIL FROM
    const declared = await c.cmd(`MAIL FROM:<a@example.org> SIZE=${1024 * 1024}`);
    assert.equal(declared.code, 552, declared.text);
    await c.quit();
  });

  test('a tenant or campaign header that cannot name a queue is refused (550 5.6.0), not queued under a garbled name', async () => {
    const c = await SmtpClient.connect(h.port('small'));
    await c.hello();
    const before = h.enqueued.length;
    const cases: [string, RegExp][] = [
      ['X-Tenant: a:b', /^5\.6\.0 invalid X-Tenant header: the value has a ':', which separates the parts of a queue name/],
      ['X-Tenant: to!elsewhere', /^5\.6\.0 invalid X-Tenant header: the value has a '!'/],
      [`X-Tenant: ${'t'.repeat(300)}`, /^5\.6\.0 invalid X-Tenant header: the value is longer than 255 characters/],
      ['X-Tenant: bell\x07', /^5\.6\.0 invalid X-Tenant header: the value has a control character/],
    ];
    for (const [header, re] of cases) {
      const r = await c.send('a@example.org', ['postmaster@localhost'], message({ headers: [header] }));
      assert.equal(r.final?.code, 550, `${header.slice(0, 40)}: ${r.final?.text}`);
      assert.match(r.final!.text, re);
    }
    assert.equal(h.enqueued.length, before, 'none of them queued');
    // spaces, '@' and UTF-8 are fine
    const ok = await c.send('a@example.org', ['postmaster@localhost'], message({ headers: ['X-Tenant: Acme Corp @ EU'] }));
    assert.equal(ok.final?.code, 250, ok.final?.text);
    assert.equal(h.enqueued.at(-1)?.tenant, 'Acme Corp @ EU');
    await c.quit();
  });

  test("require_authz: a tenant's mail is refused (550 5.7.1) unless the session authenticated as a listed user", async () => {
    const tenantMsg = (t: string) => message({ headers: [`X-Tenant: ${t}`] });
    const session = async (user?: string) => {
      const c = await SmtpClient.connect(h.port('sub'), { host: '127.0.0.3' });
      await c.hello();
      await c.starttls('mx.test');
      if (user) assert.equal((await c.authPlain(user, `${user}-pw`)).code, 235);
      return c;
    };
    const anon = await session();
    const r1 = await anon.send('a@example.org', ['postmaster@localhost'], tenantMsg('payroll'));
    assert.equal(r1.final?.code, 550, r1.final?.text);
    assert.match(r1.final!.text, /^5\.7\.1 not authorized to send for tenant "payroll"/);
    assert.equal((await anon.send('a@example.org', ['postmaster@localhost'], tenantMsg('open'))).final?.code, 250, 'a tenant without require_authz');
    await anon.quit();
    const bob = await session('bob');
    assert.equal((await bob.send('bob@example.org', ['postmaster@localhost'], tenantMsg('payroll'))).final?.code, 550, 'bob is not listed');
    await bob.quit();
    const n = h.enqueued.length;
    const alice = await session('alice');
    const ok = await alice.send('alice@example.org', ['postmaster@localhost'], tenantMsg('payroll'));
    assert.equal(ok.final?.code, 250, ok.final?.text);
    await alice.quit();
    assert.equal(h.enqueued.length, n + 1);
    assert.equal(h.enqueued.at(-1)!.tenant, 'payroll');
    assert.equal(h.enqueued.at(-1)!.reception.authUser, 'alice');
  });

  test('PROXY v2 over IPv6: the client address is the header\'s, relay_hosts match it, the spool records it', async () => {
    const inside = await SmtpClient.connect(h.port('v6'), { host: '127.0.0.2', preamble: v2ipv6('2001:db8:7::9') });
    await inside.hello();
    const r = await inside.send('app@example.org', ['user@foreign.test'], message());
    assert.equal(r.final?.code, 250, r.rcpts[0]?.text);
    await inside.quit();
    assert.equal(h.enqueued.at(-1)!.reception.peer, '2001:db8:7::9');
    const outside = await SmtpClient.connect(h.port('v6'), { host: '127.0.0.2', preamble: v2ipv6('2001:db8:8::1') });
    await outside.hello();
    const denied = await outside.send('app@example.org', ['user@foreign.test'], message());
    assert.equal(denied.rcpts[0]!.code, 550, 'outside relay_hosts: no relaying');
    await outside.quit();
  });

  test("a listener's certificate and AUTH change on reload: new sessions get them at once, an open session keeps working", async () => {
    const port = h.port('live');
    const old = await SmtpClient.connect(port, { host: '127.0.0.4' });
    const caps0 = await old.hello();
    await old.starttls('mx.test');
    assert.equal(old.peerFingerprint(), certA.fingerprint256);
    assert.ok(!caps0.some((c) => c.startsWith('AUTH')));

    await h.update({
      'kumo.toml': main('tls = { certificate = "b.pem", private_key = "b.key" }\nauth = { credentials = "users.txt" }'),
    });
    assert.equal(h.port('live'), port, 'same socket: a certificate or AUTH change needs no rebind');
    const fresh = await SmtpClient.connect(port, { host: '127.0.0.4' });
    await fresh.hello();
    const caps = await fresh.starttls('mx.test');
    assert.equal(fresh.peerFingerprint(), certB.fingerprint256, 'the new certificate');
    assert.ok(caps.some((c) => /^AUTH\b.*PLAIN/.test(c)), caps.join(','));
    assert.equal((await fresh.authPlain('alice', 'alice-pw')).code, 235);
    await fresh.quit();
    assert.equal((await old.send('a@example.org', ['postmaster@localhost'], message())).final?.code, 250, 'the session opened before the reload');
    await old.quit();

    // AUTH removed again: not offered, and refused
    await h.update({ 'kumo.toml': main('tls = { certificate = "b.pem", private_key = "b.key" }') });
    const noauth = await SmtpClient.connect(port, { host: '127.0.0.4' });
    await noauth.hello();
    const caps2 = await noauth.starttls('mx.test');
    assert.ok(!caps2.some((c) => c.startsWith('AUTH')), caps2.join(','));
    assert.notEqual((await noauth.authPlain('alice', 'alice-pw')).code, 235);
    await noauth.quit();
  });
});
