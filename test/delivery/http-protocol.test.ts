import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileConfig } from '../../src/config/compile.js';
import { formatIssue } from '../../src/config/issues.js';
import { queueParams } from '../../src/config/queues.js';
import { statusReply } from '../../src/delivery/http-session.js';
import { disposition } from '../../src/delivery/response.js';
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

test('protocol.http compiles: defaults, method, headers, body, timeout, auth from a key source', async () => {
  const res = await compileQueues(`
[queue.'a.test']
protocol = { http = { url = "https://hooks.example.net:8443/mail?x=1" } }
[queue.'b.test']
protocol = { http = { url = "http://127.0.0.1:9000/in", method = "PUT", body = "json", timeout = "5s", headers = { "X-Token" = "t" }, auth = { username = "u", password = { key_data = "pw" } } } }
`);
  assert.ok(res.ok, res.ok ? '' : res.issues.map(formatIssue).join('\n'));
  const a = queueParams(res.snapshot.queues, 'a.test').protocol;
  assert.deepEqual(a, { kind: 'http', url: 'https://hooks.example.net:8443/mail?x=1', origin: 'https://hooks.example.net:8443', method: 'POST', headers: {}, body: 'raw', timeoutMs: 60_000 });
  const b = queueParams(res.snapshot.queues, 'b.test').protocol;
  assert.equal(b.kind, 'http');
  if (b.kind !== 'http') return;
  assert.equal(b.method, 'PUT');
  assert.equal(b.body, 'json');
  assert.equal(b.timeoutMs, 5_000);
  assert.deepEqual(b.headers, { 'X-Token': 't' });
  assert.equal(b.auth?.kind, 'basic');
});

test('protocol.http: a bad URL, credentials in the URL, a header kumo-ts sets, half an auth and two protocols are errors at their place', async () => {
  const res = await compileQueues(`
[queue.'a.test']
protocol = { http = { url = "ftp://x.example/" } }
[queue.'b.test']
protocol = { http = { url = "http://u:p@x.example/" } }
[queue.'c.test']
protocol = { http = { url = "http://x.example/", headers = { "Content-Length" = "1" } } }
[queue.'d.test']
protocol = { http = { url = "http://x.example/", auth = { username = "u" } } }
[queue.'e.test']
protocol = { http = { url = "http://x.example/" }, maildir_path = "/tmp/m" }
`);
  assert.equal(res.ok, false);
  if (res.ok) return;
  const msgs = res.issues.filter((i) => i.severity === 'error').map(formatIssue);
  assert.equal(msgs.length, 5, msgs.join('\n'));
  assert.match(msgs[0]!, /queues\.toml:3:\d+: .*"ftp:\/\/x\.example\/" is not an http:\/\/ or https:\/\/ URL/);
  assert.match(msgs[1]!, /queues\.toml:5:\d+: .*credentials do not belong in the URL/);
  assert.match(msgs[2]!, /queues\.toml:7:\d+: .*"Content-Length" is not a header kumo-ts can send/);
  assert.match(msgs[3]!, /queues\.toml:9:\d+: .*Basic auth needs both username and password/);
  assert.match(msgs[4]!, /queues\.toml:11:\d+: .*give one of smtp, maildir_path, http, amqp, custom_lua or xfer, not maildir_path and http/);
});

test('HTTP statuses in SMTP terms: 2xx delivered; 429 and 5xx transient; other 4xx (and 3xx) permanent', () => {
  const d = (s: number) => disposition(statusReply(s, ''));
  assert.deepEqual([200, 201, 204, 299].map(d), ['delivered', 'delivered', 'delivered', 'delivered']);
  assert.deepEqual([429, 500, 502, 503, 504].map(d), ['transient', 'transient', 'transient', 'transient', 'transient']);
  assert.deepEqual([400, 401, 403, 404, 413, 301].map(d), ['permanent', 'permanent', 'permanent', 'permanent', 'permanent', 'permanent']);
  assert.equal(statusReply(503, 'busy').text, 'HTTP 503: busy');
});

test('protocol.http: an unparsable URL, a header value with a line break, a zero timeout, bearer with basic, an empty key source are errors at their place', async () => {
  const res = await compileQueues(`
[queue.'a.test']
protocol = { http = { url = "not a url" } }
[queue.'b.test']
protocol = { http = { url = "http://x.example/", headers = { "X-A" = "a\\r\\nX-B: b" } } }
[queue.'c.test']
protocol = { http = { url = "http://x.example/", timeout = "0s" } }
[queue.'d.test']
protocol = { http = { url = "http://x.example/", auth = { bearer = { key_data = "t" }, username = "u", password = { key_data = "p" } } } }
[queue.'e.test']
protocol = { http = { url = "http://x.example/", auth = { bearer = { key_data = " " } } } }
[queue.'f.test']
protocol = { http = { url = "http://x.example/", auth = { username = "u", password = { key_data = " " } } } }
`);
  assert.equal(res.ok, false);
  if (res.ok) return;
  const msgs = res.issues.filter((i) => i.severity === 'error').map(formatIssue);
  assert.equal(msgs.length, 6, msgs.join('\n'));
  const at = (line: number) => msgs.find((m) => m.includes(`queues.toml:${line}:`)) ?? `(nothing at line ${line}: ${msgs.join(' | ')})`;
  assert.match(at(3), /"not a url" is not an http:\/\/ or https:\/\/ URL/);
  assert.match(at(5), /headers\.X-A: a header value cannot contain line breaks/);
  assert.match(at(7), /protocol\.http\.timeout must be greater than 0/);
  assert.match(at(9), /give either bearer, or username and password/);
  assert.match(at(11), /key_data must not be empty/);
  assert.match(at(13), /key_data must not be empty/);
});
