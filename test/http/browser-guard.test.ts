// Issue 9: the HTTP API against browsers — Host check (DNS rebinding), JSON-only POST bodies
// (no cross-origin "simple" requests), foreign Origins refused, never any CORS header.
import { test, after, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { request } from 'undici';
import { checkHost, hostOf } from '../../src/http/browser-guard.js';
import { tempTree } from '../helpers/tmp.js';
import { startKumo } from '../helpers/server-process.js';
import type { ServerProcess } from '../helpers/server-process.js';
import { freePort } from '../helpers/ports.js';

test('checkHost: loopback names, the listen address and allowed_hostnames; nothing else', () => {
  const policy = { listen: { host: '127.0.0.1', port: 8000 }, allowedHostnames: ['api.kumo.test', '[2001:db8::1]'] };
  for (const h of ['localhost', 'localhost:8000', 'LOCALHOST:8000', 'localhost.', 'a.localhost', '127.0.0.1', '127.0.0.1:8000', '127.9.8.7:1', '[::1]', '[::1]:8000', 'api.kumo.test', 'API.kumo.test:443', '[2001:db8::1]:8000'])
    assert.deepEqual(checkHost(h, policy), { ok: true }, h);
  for (const h of ['evil.example', 'evil.example:8000', 'localhost.evil.example', '127.0.0.1.evil.example', '10.0.0.1', '[::2]', 'api.kumo.test.evil.example', '', 'a b', 'localhost:80:80', '[::1'])
    assert.equal(checkHost(h, policy).ok, false, h);
  assert.deepEqual(checkHost(undefined, policy), { ok: true }, 'HTTP/1.0 without Host (never a browser)');
  // the listen address itself, and any IP literal when bound to every address
  assert.ok(checkHost('192.0.2.7:8000', { listen: { host: '192.0.2.7', port: 8000 }, allowedHostnames: [] }).ok);
  assert.ok(checkHost('192.0.2.9', { listen: { host: '0.0.0.0', port: 8000 }, allowedHostnames: [] }).ok);
  assert.ok(checkHost('[2001:db8::9]:8000', { listen: { host: '::', port: 8000 }, allowedHostnames: [] }).ok);
  assert.ok(!checkHost('mx.example.com', { listen: { host: '0.0.0.0', port: 8000 }, allowedHostnames: [] }).ok);
  assert.equal(hostOf('[::1]:8000'), '[::1]');
});

describe('HTTP API served by kumo-ts serve, requested like a browser would', () => {
  let srv: ServerProcess;
  let port: number;
  const tree = tempTree();
  before(async () => {
    port = await freePort();
    tree.write('cfg/zone.toml', '');
    tree.write('cfg/kumo.toml', `[server]\nsmtp = false\n[http]\nlisten = "127.0.0.1:${port}"\nallowed_hostnames = ["api.kumo.test"]\n[spool]\npath = "${tree.dir}/data/spool"\n[logs]\npath = "${tree.dir}/data/logs"\n[dns]\nmode = "static"\nzone_file = "zone.toml"\n`);
    srv = startKumo(['serve', '--config', join(tree.dir, 'cfg')], { cwd: tree.dir });
    await srv.waitFor((l) => l.msg === 'kumo-ts ready', 60_000, 'ready');
  });
  after(async () => {
    await srv?.stop('SIGKILL');
    tree.cleanup();
  });

  const call = async (path: string, opts: { method?: 'GET' | 'POST' | 'OPTIONS'; headers?: Record<string, string>; body?: string | Buffer } = {}) => {
    const r = await request(`http://127.0.0.1:${port}${path}`, { method: opts.method ?? 'GET', headers: opts.headers, body: opts.body });
    const text = await r.body.text();
    const cors = Object.keys(r.headers).filter((h) => h.toLowerCase().startsWith('access-control-'));
    assert.deepEqual(cors, [], `no CORS header on ${opts.method ?? 'GET'} ${path}`);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: r.statusCode, json: json as { error?: string; message?: string; epoch?: number } | undefined, type: String(r.headers['content-type'] ?? '') };
  };

  test('Host: evil.example (DNS rebinding) → 421 with a JSON error; loopback names and allowed_hostnames → 200', async () => {
    for (const host of ['evil.example', `evil.example:${port}`, `localhost.evil.example:${port}`]) {
      const r = await call('/api/config/status', { headers: { host } });
      assert.equal(r.status, 421, host);
      assert.equal(r.json?.error, 'misdirected-host');
      assert.match(r.json?.message ?? '', /allowed_hostnames/);
      assert.match(r.type, /application\/json/);
    }
    for (const host of [`localhost:${port}`, 'localhost', `127.0.0.1:${port}`, `127.3.2.1:${port}`, `[::1]:${port}`, `api.kumo.test:${port}`]) {
      const r = await call('/api/config/status', { headers: { host } });
      assert.equal(r.status, 200, host);
      assert.equal(r.json?.epoch, 1);
    }
    assert.equal((await call('/metrics', { headers: { host: 'evil.example' } })).status, 421, 'metrics too');
  });

  test('POST with text/plain, a form or multipart → 415; application/json or no body → 200', async () => {
    const post = (headers: Record<string, string>, body?: string) => call('/api/admin/bump-config-epoch', { method: 'POST', headers, body });
    for (const type of ['text/plain', 'text/plain;charset=UTF-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const r = await post({ 'content-type': type }, 'x=1');
      assert.equal(r.status, 415, type);
      assert.equal(r.json?.error, 'unsupported-media-type');
    }
    assert.equal((await post({ 'content-type': 'text/plain' })).status, 415, 'a non-JSON type without a body');
    assert.equal((await post({}, 'x=1')).status, 415, 'a body without a type');
    assert.equal((await post({ 'content-type': 'application/json' }, '{}')).status, 200);
    assert.equal((await post({ 'content-type': 'application/json; charset=utf-8' }, '')).status, 200, 'empty JSON body = no arguments');
    assert.equal((await post({})).status, 200, 'no body, no type (kumo-ts reload)');
    assert.equal((await post({ 'content-type': 'application/json' }, '{oops')).status, 400);
    // JSON is UTF-8: another declared charset is refused, and so are bytes that are not UTF-8
    for (const type of ['application/json; charset=latin1', 'application/json;charset="ISO-8859-1"', 'application/json; charset=utf-16']) {
      const r = await post({ 'content-type': type }, '{}');
      assert.equal(r.status, 415, type);
      assert.match(r.json?.message ?? '', /a JSON body is UTF-8, not charset=/);
    }
    assert.equal((await post({ 'content-type': 'application/json; charset="UTF-8"' }, '{}')).status, 200);
    const latin1 = await call('/api/admin/bump-config-epoch', { method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.from('{"reason": "caf\xe9"}', 'latin1') });
    assert.equal(latin1.status, 400);
    assert.match(latin1.json?.message ?? '', /not valid UTF-8/);
  });

  test('a foreign Origin is refused, and a CORS preflight gets no Access-Control-Allow-*', async () => {
    const r = await call('/api/admin/bump-config-epoch', { method: 'POST', headers: { origin: 'http://evil.example' } });
    assert.equal(r.status, 403);
    assert.equal(r.json?.error, 'cross-origin');
    const same = await call('/api/admin/bump-config-epoch', { method: 'POST', headers: { origin: `http://127.0.0.1:${port}` } });
    assert.equal(same.status, 200, 'our own origin');
    const pre = await call('/api/admin/bump-config-epoch', {
      method: 'OPTIONS',
      headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    assert.ok(pre.status >= 400, `preflight answered ${pre.status}`);
    const bare = await call('/api/admin/bump-config-epoch', { method: 'OPTIONS' });
    assert.ok(bare.status >= 400, `OPTIONS answered ${bare.status}`);
  });
});
