import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { Agent, request } from 'undici';
import { tempTree } from '../helpers/tmp.js';
import { startKumo } from '../helpers/server-process.js';
import { freePort } from '../helpers/ports.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { hashPassword } from '../../src/auth/password-hash.js';

const KUMO = join(PACKAGE_ROOT, 'bin', 'kumo-ts');

/** `kumo-ts hash-password --token LABEL`: the token (stderr) and its line (stdout). */
function makeToken(label: string): { token: string; line: string } {
  const r = spawnSync(process.execPath, [KUMO, 'hash-password', '--token', label], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const token = /token[^:]*: (\S+)/.exec(r.stderr)?.[1];
  assert.ok(token, r.stderr);
  return { token, line: r.stdout.trim() };
}

const basic = (user: string, pw: string) => `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`;

test('HTTP API auth: untrusted peers need Basic or Bearer credentials; both rotate live; failures are limited', async (t) => {
  const tree = tempTree();
  const [port, openPort] = await Promise.all([freePort(), freePort()]);
  const alice1 = await hashPassword('first-secret', { cost: 10 });
  const alice2 = await hashPassword('second-secret', { cost: 10 });
  const tok1 = makeToken('ci');
  const tok2 = makeToken('ci');
  assert.match(tok1.line, /^ci:sha256:[0-9a-f]{64}$/);
  tree.write('cfg/users', `# API users\nalice:${alice1}\n`);
  tree.write('cfg/tokens', `${tok1.line}\n`);
  tree.write('cfg/zone.toml', '');
  tree.write('cfg/kumo.toml', `[server]\nsmtp = false\n[http]\nlisten = "127.0.0.1:${port}"\ntrusted_hosts = ["127.0.0.1"]\n`
    + `auth = { credentials = "users", tokens = "tokens", max_failures = 5 }\n`
    + `[http.listener.open]\nlisten = "127.0.0.1:${openPort}"\ntrusted_hosts = ["127.0.0.1"]\n`
    + `[spool]\npath = "${tree.dir}/data/spool"\n[logs]\npath = "${tree.dir}/data/logs"\n[dns]\nmode = "static"\nzone_file = "zone.toml"\n`);
  const srv = startKumo(['serve', '--config', join(tree.dir, 'cfg')], { cwd: tree.dir });
  // the client's side of the connection bound to another loopback address, outside trusted_hosts
  const untrusted = new Agent({ localAddress: '127.0.0.2' });
  const other = new Agent({ localAddress: '127.0.0.3' });
  const fourth = new Agent({ localAddress: '127.0.0.4' });
  after(async () => {
    await untrusted.close();
    await other.close();
    await fourth.close();
    await srv.stop('SIGKILL');
    tree.cleanup();
  });
  await srv.waitFor((l) => l.msg === 'kumo-ts ready', 60_000, 'ready');
  const base = `http://127.0.0.1:${port}`;
  const call = async (path: string, opts: { method?: string; auth?: string; agent?: Agent; body?: string; port?: number } = {}) => {
    const r = await request(`${opts.port ? `http://127.0.0.1:${opts.port}` : base}${path}`, {
      method: (opts.method ?? 'GET') as 'GET',
      dispatcher: opts.agent,
      headers: { ...(opts.auth ? { authorization: opts.auth } : {}), ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: opts.body,
    });
    const text = await r.body.text();
    return { status: r.statusCode, headers: r.headers, text };
  };

  // every admin and inject route of the running server, from its own OpenAPI document
  const doc = JSON.parse((await call('/api/docs/openapi.json')).text) as { paths: Record<string, Record<string, unknown>> };
  const guarded: [string, string][] = [];
  for (const [path, ops] of Object.entries(doc.paths))
    if (path.startsWith('/api/admin/') || path.startsWith('/api/inject/'))
      for (const m of Object.keys(ops)) guarded.push([m.toUpperCase(), path.replace(/\{[^}]+\}/g, 'x')]);
  assert.ok(guarded.some(([m, p]) => m === 'POST' && p === '/api/admin/bump-config-epoch'));
  assert.ok(guarded.some(([m, p]) => m === 'POST' && p === '/api/admin/bump-configuration'));

  await t.test('a trusted peer is served without credentials', async () => {
    const r = await call('/api/admin/bump-configuration', { method: 'POST' });
    assert.equal(r.status, 200, r.text);
    assert.equal(typeof JSON.parse(r.text).epoch, 'number');
  });

  await t.test('an untrusted peer gets 401 with WWW-Authenticate on every admin and inject route, and on /metrics', async () => {
    for (const [method, path] of [...guarded, ['POST', '/api/inject/v1'], ['GET', '/metrics'], ['GET', '/api/config/status']] as [string, string][]) {
      const r = await call(path, { method, agent: untrusted, body: method === 'GET' || method === 'HEAD' ? undefined : '{}' });
      assert.equal(r.status, 401, `${method} ${path}: ${r.text}`);
      const challenges = ([] as string[]).concat(r.headers['www-authenticate'] as string | string[]);
      assert.ok(challenges.some((c) => c.startsWith('Basic realm="kumo-ts"')), `${method} ${path}: ${challenges}`);
      assert.ok(challenges.some((c) => c.startsWith('Bearer realm="kumo-ts"')), `${method} ${path}: ${challenges}`);
      assert.equal(JSON.parse(r.text).error, 'unauthorized');
    }
    // liveness stays open (load balancers)
    assert.equal((await call('/api/check-liveness/v1', { agent: untrusted })).status, 200);
  });

  await t.test('with Basic and with Bearer the untrusted peer is served, and the admin log names the user', async () => {
    const mark = srv.lines.length;
    const b = await call('/api/admin/bump-config-epoch', { method: 'POST', agent: untrusted, auth: basic('alice', 'first-secret') });
    assert.equal(b.status, 200, b.text);
    const logged = await srv.waitFor((l) => srv.lines.indexOf(l) >= mark && l.msg === 'http admin request' && l.user === 'alice', 15_000, 'admin log line');
    assert.equal(logged.peer, '127.0.0.2');
    assert.equal(logged.status, 200);
    assert.equal(logged.path, '/api/admin/bump-config-epoch');
    const k = await call('/api/admin/bump-config-epoch', { method: 'POST', agent: untrusted, auth: `Bearer ${tok1.token}` });
    assert.equal(k.status, 200, k.text);
    assert.equal((await call('/metrics', { agent: untrusted, auth: `Bearer ${tok1.token}` })).status, 200);
    // wrong secrets are refused
    assert.equal((await call('/api/admin/bump-config-epoch', { method: 'POST', agent: untrusted, auth: basic('alice', 'nope') })).status, 401);
    assert.equal((await call('/api/admin/bump-config-epoch', { method: 'POST', agent: untrusted, auth: `Bearer ${tok2.token}` })).status, 401);
    // a trusted peer's wrong credentials are reported, not ignored
    assert.equal((await call('/api/admin/bump-config-epoch', { method: 'POST', auth: basic('alice', 'nope') })).status, 401);
  });

  await t.test('a rotated credentials file refuses the old secret once reloaded; so does a rotated tokens file', async () => {
    let mark = srv.lines.length;
    writeFileSync(join(tree.dir, 'cfg/users.new'), `alice:${alice2}\n`);
    renameSync(join(tree.dir, 'cfg/users.new'), join(tree.dir, 'cfg/users'));
    await srv.waitFor((l) => srv.lines.indexOf(l) >= mark && l.msg === 'listener http:default AUTH credentials reloaded', 15_000, 'credentials reloaded');
    assert.equal((await call('/api/config/status', { agent: untrusted, auth: basic('alice', 'first-secret') })).status, 401);
    assert.equal((await call('/api/config/status', { agent: untrusted, auth: basic('alice', 'second-secret') })).status, 200);
    mark = srv.lines.length;
    writeFileSync(join(tree.dir, 'cfg/tokens'), `${tok2.line}\n`);
    await srv.waitFor((l) => srv.lines.indexOf(l) >= mark && l.msg === 'http listener default bearer tokens reloaded', 15_000, 'tokens reloaded');
    assert.equal((await call('/api/config/status', { agent: untrusted, auth: `Bearer ${tok1.token}` })).status, 401);
    assert.equal((await call('/api/config/status', { agent: untrusted, auth: `Bearer ${tok2.token}` })).status, 200);
    // a garbled replacement (a plaintext password) is refused as a whole: the users stay
    mark = srv.lines.length;
    writeFileSync(join(tree.dir, 'cfg/users'), 'alice:plaintext\n');
    await srv.waitFor((l) => srv.lines.indexOf(l) >= mark && /new content REJECTED/.test(String(l.msg)), 15_000, 'rejected reload');
    assert.equal((await call('/api/config/status', { agent: untrusted, auth: basic('alice', 'second-secret') })).status, 200);
  });

  await t.test('wrong credentials are counted per address: past max_failures that address gets 429, others are served', async () => {
    for (let i = 0; i < 5; i++) assert.equal((await call('/api/config/status', { agent: other, auth: basic('alice', `guess${i}`) })).status, 401);
    const r = await call('/api/config/status', { agent: other, auth: basic('alice', 'second-secret') });
    assert.equal(r.status, 429, r.text);
    assert.ok(Number(r.headers['retry-after']) > 0);
    assert.equal((await call('/api/config/status', { agent: untrusted, auth: basic('alice', 'second-secret') })).status, 200);
    const metrics = (await call('/metrics')).text;
    const invalid = Number(/^kumo_ts_http_auth_failures_total\{listener="default",reason="invalid"\} (\d+)$/m.exec(metrics)?.[1]);
    assert.ok(invalid >= 6, metrics);
    assert.match(metrics, /^kumo_ts_http_auth_failures_total\{listener="default",reason="blocked"\} 1$/m);
    assert.match(metrics, /^kumo_ts_http_listener_up\{listener="default"\} 1$/m);
  });

  await t.test('an authorization scheme other than Basic or Bearer is refused, naming it', async () => {
    const r = await call('/api/config/status', { agent: fourth, auth: 'Digest username="alice"' });
    assert.equal(r.status, 401, r.text);
    assert.match(JSON.parse(r.text).message, /unsupported authorization scheme "digest": use Basic or Bearer/);
  });

  await t.test('a listener without auth: credentials from a trusted peer are not needed; from an untrusted one they are refused', async () => {
    await srv.waitFor((l) => l.msg === 'http listener ready' && l.listener === 'open', 10_000, 'the open listener');
    assert.equal((await call('/api/config/status', { port: openPort, auth: basic('alice', 'whatever') })).status, 200);
    const r = await call('/api/config/status', { port: openPort, agent: fourth, auth: basic('alice', 'second-secret') });
    assert.equal(r.status, 401, r.text);
    assert.match(JSON.parse(r.text).message, /^http listener "open" accepts no credentials \(configure auth\), and 127\.0\.0\.4 is not in its trusted_hosts$/);
  });
});
