import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileConfig } from '../../src/config/compile.js';
import { formatIssue } from '../../src/config/issues.js';
import { queueParams } from '../../src/config/queues.js';
import { amqpReadyQueue, amqpRoutingKey, publishReply } from '../../src/delivery/amqp-session.js';
import { redactedUrl } from '../../src/amqp/confirm-link.js';
import { disposition } from '../../src/delivery/response.js';
import type { SpoolMeta } from '../../src/spool/types.js';
import { tempTree } from '../helpers/tmp.js';

const MAIN = `[server]\nsmtp = false\n[spool]\npath = "./spool"\n[dns]\nmode = "static"\nzone_file = "zone.toml"\n`;

async function compileQueues(queues: string) {
  const t = tempTree({ 'kumo.toml': MAIN, 'zone.toml': '', 'queues.toml': queues });
  try {
    return await compileConfig({ root: t.dir });
  } finally {
    t.cleanup();
  }
}

test('protocol.amqp compiles: defaults, endpoint without the password, auth from a key source', async () => {
  const res = await compileQueues(`
[queue.'a.test']
protocol = { amqp = { url = "amqp://kumo:s3cret@rabbit.example:5673/mail", routing_key = "mail.{tenant}" } }
[queue.'b.test']
protocol = { amqp = { url = "amqps://rabbit.example", exchange = "kumo.mail", routing_key = "{domain}", body = "json", timeout = "5s", unroutable = "bounce", headers = { "x-env" = "prod" }, auth = { username = "svc", password = { key_data = "pw" } } } }
[queue.'c.test']
protocol = { amqp = { url = "amqp://svc@rabbit.example/v", routing_key = "k", auth = { username = "svc", password = { key_data = "pw" } } } }
`);
  assert.ok(res.ok, res.ok ? '' : res.issues.map(formatIssue).join('\n'));
  const a = queueParams(res.snapshot.queues, 'a.test').protocol;
  assert.equal(a.kind, 'amqp');
  if (a.kind !== 'amqp') return;
  assert.deepEqual({ ...a }, {
    kind: 'amqp', url: 'amqp://kumo:s3cret@rabbit.example:5673/mail', endpoint: 'amqp://kumo@rabbit.example:5673/mail', host: 'rabbit.example', port: 5673,
    exchange: '', routingKey: 'mail.{tenant}', body: 'raw', headers: {}, timeoutMs: 30_000, unroutable: 'retry',
  });
  const b = queueParams(res.snapshot.queues, 'b.test').protocol;
  assert.equal(b.kind, 'amqp');
  if (b.kind !== 'amqp') return;
  assert.equal(b.endpoint, 'amqps://svc@rabbit.example:5671/');
  assert.equal(b.exchange, 'kumo.mail');
  assert.equal(b.body, 'json');
  assert.equal(b.timeoutMs, 5_000);
  assert.equal(b.unroutable, 'bounce');
  assert.deepEqual(b.headers, { 'x-env': 'prod' });
  assert.equal(b.auth?.username, 'svc');
  // the URL may repeat auth's user name
  const c = queueParams(res.snapshot.queues, 'c.test').protocol;
  assert.equal(c.kind === 'amqp' && c.endpoint, 'amqp://svc@rabbit.example:5672/v');
  // the ready queue and site never carry the password
  const rq = amqpReadyQueue(a, 'ip1');
  assert.equal(rq.id.site, 'amqp:amqp://kumo@rabbit.example:5673/mail');
  assert.equal(rq.id.name, 'ip1->amqp:amqp://kumo@rabbit.example:5673/mail@amqp_client');
  assert.equal(redactedUrl(a.url), 'amqp://kumo@rabbit.example:5673/mail');
});

test('protocol.amqp: a bad URL, credentials twice, an unknown routing key field, a kumo-ts header, a missing routing_key are errors at their place', async () => {
  const res = await compileQueues(`
[queue.'a.test']
protocol = { amqp = { url = "http://u:hidden@x.example/", routing_key = "k" } }
[queue.'b.test']
protocol = { amqp = { url = "amqp://u:p@x.example/", routing_key = "k", auth = { username = "u", password = { key_data = "p" } } } }
[queue.'c.test']
protocol = { amqp = { url = "amqp://x.example/", routing_key = "{type}.{tenant}" } }
[queue.'d.test']
protocol = { amqp = { url = "amqp://x.example/", routing_key = "k", headers = { "X-Kumo-Id" = "1" } } }
[queue.'f.test']
protocol = { amqp = { url = "amqp://x.example/", routing_key = "k" }, http = { url = "http://x.example/" } }
`);
  assert.equal(res.ok, false);
  if (res.ok) return;
  const msgs = res.issues.filter((i) => i.severity === 'error').map(formatIssue);
  assert.equal(msgs.length, 5, msgs.join('\n'));
  const at = (line: number) => msgs.find((m) => m.includes(`queues.toml:${line}:`)) ?? `(nothing at line ${line}: ${msgs.join(' | ')})`;
  assert.match(at(3), /is not an amqp:\/\/ or amqps:\/\/ URL/);
  assert.doesNotMatch(at(3), /hidden/, 'the password is not repeated in the message');
  assert.match(at(5), /either in the URL or in auth/);
  assert.match(at(7), /\{type\} is not a field it can take/);
  assert.match(at(9), /"X-Kumo-Id" is a header kumo-ts sets itself/);
  assert.match(at(11), /give one of smtp, maildir_path, http, amqp, custom_lua or xfer, not http and amqp/);
});

test('protocol.amqp without routing_key is a schema error', async () => {
  const res = await compileQueues(`[queue.'e.test']\nprotocol = { amqp = { url = "amqp://x.example/" } }\n`);
  assert.equal(res.ok, false);
  if (res.ok) return;
  assert.match(res.issues.map(formatIssue).join('\n'), /queues\.toml:2:\d+: .*protocol\.amqp: missing required key "routing_key"/);
});

test('routing keys take the envelope fields; publish results in SMTP terms', () => {
  const meta = { id: 'abc', tenant: 'acme' } as unknown as SpoolMeta;
  const p = { routingKey: 'mail.{tenant}.{campaign}.{domain}.{queue}.{id}.{sender}' } as Parameters<typeof amqpRoutingKey>[0];
  assert.equal(amqpRoutingKey(p, { meta, queue: 'acme@x.test', domain: 'x.test' }, 'a@b.test'), 'mail.acme..x.test.acme@x.test.abc.a@b.test');
  const proto = { exchange: 'ex', endpoint: 'amqp://127.0.0.1:5672/', unroutable: 'retry' as const, timeoutMs: 30_000 };
  const d = (r: Parameters<typeof publishReply>[0], u: 'retry' | 'bounce' = 'retry') => disposition(publishReply(r, { ...proto, unroutable: u }, 'k'));
  assert.equal(d({ kind: 'confirmed' }), 'delivered');
  assert.equal(d({ kind: 'nack' }), 'transient');
  assert.equal(d({ kind: 'lost', reason: 'AMQP connection closed' }), 'transient');
  assert.equal(d({ kind: 'timeout', ms: 30_000 }), 'transient');
  assert.equal(d({ kind: 'returned', count: 1, exchange: 'ex', routingKey: 'k' }), 'transient');
  assert.equal(d({ kind: 'returned', count: 1, exchange: 'ex', routingKey: 'k' }, 'bounce'), 'permanent');
  assert.match(publishReply({ kind: 'lost', reason: 'AMQP connection closed' }, proto, 'k').text, /AMQP connection to amqp:\/\/127\.0\.0\.1:5672\/ lost/);
});

test('protocol.amqp: an unparsable URL, a routing key over 255 bytes, a zero timeout, an empty password source are errors at their place', async () => {
  const res = await compileQueues(`
[queue.'a.test']
protocol = { amqp = { url = "rabbit here", routing_key = "k" } }
[queue.'b.test']
protocol = { amqp = { url = "amqp://x.example/", routing_key = "${'k'.repeat(256)}" } }
[queue.'c.test']
protocol = { amqp = { url = "amqp://x.example/", routing_key = "k", timeout = "0s" } }
[queue.'d.test']
protocol = { amqp = { url = "amqp://x.example/", routing_key = "k", auth = { username = "u", password = { key_data = " " } } } }
[queue.'e.test']
protocol = { amqp = { url = "amqp://x.example/", routing_key = "{domain}${'k'.repeat(256)}" } }
`);
  assert.equal(res.ok, false);
  if (res.ok) return;
  const msgs = res.issues.filter((i) => i.severity === 'error').map(formatIssue);
  assert.equal(msgs.length, 4, msgs.join('\n'));
  const at = (line: number) => msgs.find((m) => m.includes(`queues.toml:${line}:`)) ?? `(nothing at line ${line}: ${msgs.join(' | ')})`;
  assert.match(at(3), /"rabbit here" is not an amqp:\/\/ or amqps:\/\/ URL/);
  assert.match(at(5), /AMQP routing keys have at most 255 bytes/);
  assert.match(at(7), /protocol\.amqp\.timeout must be greater than 0/);
  assert.match(at(9), /key_data must not be empty/);
  // a key with fields is only known at send time: not refused here (e.test)
});
