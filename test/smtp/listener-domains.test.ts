import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { rmSync } from 'node:fs';
import { compileConfig } from '../../src/config/compile.js';
import { CidrSet } from '../../src/config/values.js';
import { decideRelay } from '../../src/smtp/relay-policy.js';
import { Harness, SmtpClient, BASE_MAIN, freePort, message, tempDir, writeFiles } from './helpers.js';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function compile(files: Record<string, string>) {
  const root = tempDir('kumo-ld-');
  dirs.push(root);
  writeFiles(root, { 'kumo.toml': BASE_MAIN + '\n[listener.smtp]\nlisten = "127.0.0.1:2525"\n', 'zone.toml': '', ...files });
  return compileConfig({ root });
}

describe('listener_domains (KumoMTA format)', () => {
  test('exact, *.suffix and * blocks; per-listener blocks replace the global one on that listener', async () => {
    const res = await compile({
      'listener_domains.toml': `
["*"]
log_arf = true

["example.com"]
relay_to = true

["*.example.com"]
log_oob = "LogThenRelay"

["www.example.com"]
relay_to = false

[listener."127.0.0.1:25"."*.example.com"]
log_oob = false
`,
    });
    assert.ok(res.ok);
    const ld = res.snapshot.listenerDomains;
    const q = (domain: string, keys: string[] = []) => decideRelay({
      domains: ld, listenerKeys: keys, relayHosts: new CidrSet([]), peer: '203.0.113.1',
      senderDomain: 'x.test', recipientDomain: domain, authRelays: true,
    });
    assert.equal(q('example.com').relay, true);
    assert.equal(q('a.example.com').logOob, 'LogThenRelay');
    assert.equal(q('a.example.com').relay, false, '"*.example.com" has no relay_to');
    assert.equal(q('www.example.com').logOob, 'Ignore', 'the exact block wins over the wildcard');
    assert.equal(q('other.test').logArf, 'LogThenRelay', '"*" is the default (true is KumoMTA\'s "LogThenRelay")');
    assert.equal(q('other.test').accept, true);
    assert.equal(q('a.example.com', ['127.0.0.1:25']).logOob, 'Ignore', 'per-listener block');
    assert.equal(q('a.example.com', ['127.0.0.1:2525']).logOob, 'LogThenRelay');
  });

  test('the same block in two files merges key by key, later winning', async () => {
    const res = await compile({
      'kumo.toml': BASE_MAIN + '\n[server]\nsmtp = false\n[files]\nlistener_domains = ["a.toml", "b.json"]\n',
      'a.toml': '["example.com"]\nrelay_to = true\nrelay_from = ["10.0.0.0/8"]\n',
      'b.json': JSON.stringify({ 'example.com': { relay_to: false } }),
    });
    assert.ok(res.ok);
    const e = res.snapshot.listenerDomains.global.get('example.com')!;
    assert.equal(e.relayTo, false);
    assert.ok(e.relayFrom.has('10.1.2.3'));
  });

  test('bad input is reported with file:line:col', async () => {
    const unknown = await compile({ 'listener_domains.toml': '["example.com"]\nrelay_too = true\n' });
    assert.ok(!unknown.ok);
    assert.deepEqual(unknown.issues.map((i) => `${i.line}:${i.col} ${i.code}`), ['2:1 schema.unknown-key']);
    const res = await compile({
      'listener_domains.toml': '["bad..domain"]\nrelay_to = true\n\n["x.test"]\nrelay_from = ["10.0.0.0/33"]\n',
    });
    assert.ok(!res.ok);
    const msgs = res.issues.map((i) => `${i.line}:${i.col} ${i.code}`);
    assert.ok(msgs.some((m) => m.startsWith('1:') && m.includes('value.domain-pattern')), msgs.join('\n'));
    assert.ok(msgs.some((m) => m.startsWith('5:') && m.includes('value.cidr')), msgs.join('\n'));
  });

  test('listener settings are validated: auth without tls, missing files; unusable contents warn', async () => {
    const res = await compile({
      'kumo.toml': `${BASE_MAIN}
[listener.a]
listen = "127.0.0.1:2526"
starttls = false
auth = { credentials = "users.txt" }

[listener.b]
listen = "127.0.0.1:2527"
max_message_size = "12 parsecs"
tls = { certificate = "missing.pem" }
`,
      'users.txt': 'alice:secret\n',
    });
    assert.ok(!res.ok);
    const text = res.issues.map((i) => `${i.severity} ${i.code}: ${i.message}`).join('\n');
    assert.match(text, /error value\.auth-needs-tls/);
    assert.match(text, /warning value\.credentials: .*not a bcrypt or scrypt hash/);
    assert.match(text, /error file\.missing: .*missing\.pem: no such file/);
    assert.match(text, /error value\.size/);

    const warn = await compile({
      'kumo.toml': `${BASE_MAIN}\n[listener.c]\nlisten = "127.0.0.1:2528"\ntls = { certificate = "c.pem", private_key = "k.pem" }\n`,
      'c.pem': '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n',
      'k.pem': 'nothing',
    });
    assert.ok(warn.ok, 'a certificate caught mid-renewal does not block a config change');
    assert.match(warn.warnings.map((w) => w.message).join('\n'), /does not parse/);
  });
});

describe('tenant and campaign headers', () => {
  test('are read into the spool record and removed from the message', async () => {
    const h = await Harness.start({
      'kumo.toml': `${BASE_MAIN}
[listener.smtp]
listen = "127.0.0.1:${await freePort()}"
`,
      'queues.toml': 'tenant_header = "X-Tenant"\ncampaign_header = "X-Campaign"\n\n[tenant.acme]\n',
    });
    try {
      const c = await SmtpClient.connect(h.port('smtp'));
      await c.hello();
      const r = await c.send('a@example.org', ['b@example.net'], message({ headers: ['X-Tenant: acme', 'X-Campaign: spring', ' sale'] }));
      await c.quit();
      const id = /id=(\w+)/.exec(r.final!.text)![1]!;
      const meta = await h.spool.getMeta(id);
      assert.equal(meta?.tenant, 'acme');
      assert.equal(meta?.campaign, 'spring sale');
      const body = (await h.spool.getBody(id))!.toString();
      assert.doesNotMatch(body, /X-Tenant|X-Campaign|^ sale/m);
      assert.match(body, /Subject: test\r\n/);
      const rec = (await h.records_('Reception')).find((x) => x.id === id);
      assert.equal(rec?.queue, 'spring sale:acme@example.net');
    } finally {
      await h.close();
    }
  });
});

describe('deferred_spool', () => {
  test('keeps the accepted message in RAM, not on disk', async () => {
    const h = await Harness.start({
      'kumo.toml': `${BASE_MAIN}
[listener.smtp]
listen = "127.0.0.1:${await freePort()}"
deferred_spool = true
`,
    });
    try {
      const c = await SmtpClient.connect(h.port('smtp'));
      await c.hello();
      const r = await c.send('a@example.org', ['b@example.net'], message());
      await c.quit();
      assert.equal(r.final?.code, 250);
      const id = /id=(\w+)/.exec(r.final!.text)![1]!;
      assert.ok(await h.spool.getBody(id), 'readable for delivery');
      assert.equal(h.spool.ids().includes(id), false, 'not on disk');
      assert.equal(h.enqueued.at(-1)?.id, id);
    } finally {
      await h.close();
    }
  });
});


describe('RCPT TO:<postmaster> without a domain (RFC 5321 4.1.1.3)', () => {
  test('is the postmaster of the listener\'s hostname: relay policy, spool and records see postmaster@hostname, once', async () => {
    const h = await Harness.start({
      'kumo.toml': `hostname = "mx.kumo.test"
${BASE_MAIN}
[listener.smtp]
listen = "127.0.0.1:${await freePort()}"
relay_hosts = []
`,
      'listener_domains.toml': '["mx.kumo.test"]\nrelay_to = true\n',
    });
    try {
      const c = await SmtpClient.connect(h.port('smtp'));
      await c.hello();
      // no relay host: only the hostname's relay_to lets it in, so the decision saw the domain
      const r = await c.send('a@example.org', ['PostMaster', 'postmaster@mx.kumo.test'], message());
      const refused = await c.send('a@example.org', ['b@example.net'], message());
      await c.quit();
      assert.deepEqual(r.rcpts.map((x) => x.code), [250, 250], JSON.stringify(r.rcpts));
      assert.equal(r.final?.code, 250, JSON.stringify(r));
      assert.equal(refused.rcpts[0]?.code, 550, 'other domains are not relayed: the policy is in force');
      const id = /id=(\w+)/.exec(r.final!.text)![1]!;
      const meta = await h.spool.getMeta(id);
      assert.deepEqual(meta?.recipients.map((x) => x.address), ['postmaster@mx.kumo.test']);
      const recs = (await h.records_('Reception')).filter((x) => x.id === id);
      assert.deepEqual(recs.map((x) => x.recipient), ['postmaster@mx.kumo.test']);
    } finally {
      await h.close();
    }
  });
});
