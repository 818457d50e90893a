import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { EgressSource } from '../../src/config/egress.js';
import { HttpSession } from '../../src/delivery/http-session.js';
import type { HttpProtocol } from '../../src/delivery/http-protocol.js';
import { disposition } from '../../src/delivery/response.js';
import { fileKeySource, inlineKeySource } from '../../src/keys/key-source.js';
import type { Job } from '../../src/queue/job.js';
import type { SpoolMeta } from '../../src/spool/types.js';
import { tempTree } from '../helpers/tmp.js';

/**
 * One HttpSession against a real local HTTP server: Basic auth from a key source, a secret
 * that cannot be read at send time, a refused connection, no answer within the timeout, a
 * request cut by destroy() (shutdown deadline), 429 → transient.
 */
const SOURCE: EgressSource = { name: 'unspecified', file: '' };
const META = { id: 'm1', tenant: undefined } as unknown as SpoolMeta;
const JOB = {} as Job;

let server: Server;
let origin: string;
const seen: { path: string; headers: IncomingHttpHeaders }[] = [];
/** responses held open (no answer) until the test ends */
const hanging: ServerResponse[] = [];

before(async () => {
  server = createServer((req, res) => {
    seen.push({ path: req.url ?? '', headers: req.headers });
    req.resume();
    req.on('end', () => {
      if (req.url === '/hang') hanging.push(res);
      else if (req.url === '/busy') res.writeHead(429).end('slow down');
      else res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  for (const r of hanging) r.destroy();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

function proto(path: string, extra: Partial<HttpProtocol> = {}): HttpProtocol {
  return { kind: 'http', url: `${origin}${path}`, origin, method: 'POST', headers: {}, body: 'raw', timeoutMs: 30_000, ...extra };
}

function session(p: HttpProtocol, at = origin): HttpSession {
  return new HttpSession(at, SOURCE, () => ({ protocol: p, meta: META, queue: 'q.test' }));
}

async function send(s: HttpSession) {
  const out = await s.send('a@x.test', ['b@y.test'], Buffer.from('Subject: t\r\n\r\nhi\r\n'), { job: JOB });
  return out.get('b@y.test')!;
}

test('Basic auth: the password is read from its key source and sent as an Authorization header', async () => {
  const t = tempTree({ 'pw.txt': 'hunter2\n' });
  const s = session(proto('/basic', { auth: { kind: 'basic', username: 'svc', password: fileKeySource(join(t.dir, 'pw.txt')) } }));
  try {
    const r = await send(s);
    assert.equal(disposition(r), 'delivered', r.text);
    const req = seen.find((x) => x.path === '/basic')!;
    assert.equal(req.headers.authorization, `Basic ${Buffer.from('svc:hunter2').toString('base64')}`);
  } finally {
    await s.quit();
    t.cleanup();
  }
});

test('a secret that cannot be read at send time: a transient 451 4.7.0 naming it, and no request is made', async () => {
  const before = seen.length;
  const s = session(proto('/nosecret', { auth: { kind: 'bearer', token: fileKeySource('/nonexistent/kumo-ts-token') } }));
  try {
    const r = await send(s);
    assert.equal(r.code, 451);
    assert.equal(r.enhanced, '4.7.0');
    assert.match(r.text, /^kumo-ts: HTTP auth secret unavailable: .*kumo-ts-token/);
    assert.equal(r.internal, true);
    assert.equal(seen.length, before);
  } finally {
    await s.quit();
  }
});

test('a refused connection is a transient 451 4.4.1 naming the origin and the error code', async () => {
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const deadOrigin = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
  await new Promise((r) => closed.close(r));
  const s = session({ ...proto('/x'), url: `${deadOrigin}/x`, origin: deadOrigin }, deadOrigin);
  try {
    const r = await send(s);
    assert.equal(disposition(r), 'transient');
    assert.equal(r.enhanced, '4.4.1');
    assert.match(r.text, new RegExp(`^kumo-ts: HTTP request to ${deadOrigin.replace(/\./g, '\\.')} failed: ECONNREFUSED`));
  } finally {
    await s.quit();
  }
});

test('no response within the timeout: a transient 451 saying so', async () => {
  const s = session(proto('/hang', { timeoutMs: 1_000 }));
  try {
    const r = await send(s);
    assert.equal(disposition(r), 'transient');
    assert.match(r.text, /failed: no response within 1s$/);
  } finally {
    await s.quit();
  }
});

test('destroy() cuts the request in flight: a transient internal reply, and the session is no longer usable', async () => {
  const s = session(proto('/hang'));
  const n = hanging.length;
  const pending = send(s);
  // wait until the server holds the request, then cut it
  while (hanging.length === n) await new Promise((r) => setImmediate(r));
  assert.equal(s.usable, true);
  s.destroy();
  const r = await pending;
  assert.equal(disposition(r), 'transient');
  assert.equal(r.internal, true);
  assert.doesNotMatch(r.text, /no response within/, 'a shutdown is not reported as a timeout');
  assert.equal(s.usable, false);
});

test('429 is transient, with the start of the body kept', async () => {
  const s = session(proto('/busy', { auth: { kind: 'bearer', token: inlineKeySource('tok') } }));
  try {
    const r = await send(s);
    assert.equal(disposition(r), 'transient');
    assert.equal(r.text, 'HTTP 429: slow down');
    assert.equal(seen.find((x) => x.path === '/busy')!.headers.authorization, 'Bearer tok');
  } finally {
    await s.quit();
  }
});
