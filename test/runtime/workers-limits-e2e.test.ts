import { test, after } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { readFileSync as readFile, writeFileSync as writeFile } from 'node:fs';
import { join as joinPath } from 'node:path';
import { hashPassword } from '../../src/auth/password-hash.js';
import { SmtpClient, makeCert } from '../smtp/helpers.js';
import { startWorkersServer, workersLab } from './workers-lab.js';

const cleanups: (() => unknown)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** Opens a connection and reads its first reply line; the socket stays open. */
function open(port: number): Promise<{ socket: Socket; line: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let buf = '';
    socket.on('data', (d) => {
      buf += d.toString();
      const i = buf.indexOf('\r\n');
      if (i >= 0) resolve({ socket, line: buf.slice(0, i) });
    });
    socket.on('error', reject);
  });
}

/**
 * A two-worker lab restarted with `listenerLines` in [listener.smtp] (they are listener keys,
 * read at start) and `files` written beside kumo.toml.
 */
async function labWith(domain: string, listenerLines: string, files: Record<string, string> = {}) {
  const lab = await workersLab(domain, { cleanups, main: '' });
  await lab.kumo.waitFor((l) => l.msg === 'reception workers ready', 5_000, 'both workers ready');
  await lab.kumo.stop('SIGTERM');
  const cfg = joinPath(lab.lab.dir, 'config');
  for (const [name, text] of Object.entries(files)) writeFile(joinPath(cfg, name), text);
  const main = joinPath(cfg, 'kumo.toml');
  writeFile(main, readFile(main, 'utf8').replace('[listener.smtp]\n', `[listener.smtp]\n${listenerLines}`));
  const kumo = await startWorkersServer(lab.lab.dir);
  cleanups.push(() => kumo.stop('SIGKILL'));
  await kumo.waitFor((l) => l.msg === 'reception workers ready', 5_000, 'both workers ready');
  return { port: lab.smtpPort, kumo };
}

/** Opens 10 connections at once; `served` get 220, the rest 421; then a closed one frees its place. */
async function tenAtOnce(t: TestContext, port: number, served: number): Promise<{ refused: string[]; close: () => void }> {
  const conns = await Promise.all(Array.from({ length: 10 }, () => open(port)));
  const ok = conns.filter((c) => c.line.startsWith('220 '));
  const refused = conns.filter((c) => c.line.startsWith('421 '));
  t.diagnostic(`greetings: ${conns.map((c) => c.line.slice(0, 3)).join(' ')}`);
  assert.equal(ok.length, served, `${served} connections served`);
  assert.equal(refused.length, 10 - served, 'the others refused with 421');
  // a closed connection gives its place back (the worker tells the owner)
  ok[0]!.socket.end('QUIT\r\n');
  await new Promise((r) => ok[0]!.socket.once('close', r));
  let again = '';
  for (let i = 0; i < 50 && !again.startsWith('220 '); i++) {
    const c = await open(port);
    again = c.line;
    c.socket.destroy();
    if (!again.startsWith('220 ')) await new Promise((r) => setTimeout(r, 100));
  }
  assert.match(again, /^220 /, 'a place freed by a closed connection is served again');
  return { refused: refused.map((c) => c.line), close: () => conns.forEach((c) => c.socket.destroy()) };
}

test('max_connections_per_ip holds across reception workers (the owner counts)', { timeout: 90_000 }, async (t) => {
  const { port, kumo } = await labWith('limits.test', 'max_connections_per_ip = 3\n');
  // whichever worker accepts each, only 3 are served
  const r = await tenAtOnce(t, port, 3);
  r.close();
  assert.equal(await kumo.stop('SIGTERM'), 0);
});

test('max_connections holds for the whole listener across reception workers (the owner counts)', { timeout: 90_000 }, async (t) => {
  const { port, kumo } = await labWith('limits-total.test', 'max_connections = 4\n');
  // spread over both workers: each alone would serve up to 4
  const r = await tenAtOnce(t, port, 4);
  assert.match(r.refused[0]!, /^421 4\.7\.0 Too many connected clients/);
  await kumo.waitFor((l) => l.reason === 'max_connections' && l.limit === 4, 10_000, 'the refusal logged');
  r.close();
  assert.equal(await kumo.stop('SIGTERM'), 0);
});

test('AUTH failures are counted for the whole node: max_failures holds across reception workers', { timeout: 120_000 }, async (t) => {
  const c = await makeCert('localhost');
  const { port, kumo } = await labWith('limits-auth.test',
    'tls = { certificate = "cert.pem", private_key = "key.pem" }\nauth = { credentials = "users.txt", max_failures = 4 }\n',
    { 'cert.pem': c.cert, 'key.pem': c.key, 'users.txt': `alice:${await hashPassword('alice-pw', { kind: 'bcrypt', cost: 4 })}\n` });
  const session = async () => {
    const s = await SmtpClient.connect(port);
    await s.hello();
    await s.starttls();
    return s;
  };
  // a success clears that user's failures node-wide: 3 failures, a login, 3 more, and the
  // login still works (counted without the clearing, 6 would be over max_failures = 4)
  for (let round = 0; round < 2; round++) {
    const s = await session();
    for (let i = 0; i < 3; i++) assert.equal((await s.authPlain('alice', `before${round}-${i}`)).code, 535);
    s.close();
    const ok = await session();
    assert.equal((await ok.authPlain('alice', 'alice-pw')).code, 235, `round ${round}: the right password after 3 failures`);
    ok.close();
  }
  // two wrong passwords on each of two connections (the kernel hands them to both workers):
  // one worker alone would have seen 2 of the 4 failures
  const first = await Promise.all([session(), session()]);
  for (const s of first) for (let i = 0; i < 2; i++) assert.equal((await s.authPlain('alice', `nope${i}`)).code, 535);
  // now the right password is refused on every new connection, whichever worker serves it
  const later = await Promise.all(Array.from({ length: 4 }, () => session()));
  const codes = [];
  for (const s of later) codes.push((await s.authPlain('alice', 'alice-pw')).code);
  t.diagnostic(`right password after 4 failures: ${codes.join(' ')}`);
  assert.deepEqual(codes, [421, 421, 421, 421]);
  for (const s of [...first, ...later]) s.close();
  await kumo.waitFor((l) => l.msg === 'listener smtp: AUTH PLAIN failed' && l.failures === 4, 10_000, 'the fourth failure logged with the node-wide count');
  assert.equal(await kumo.stop('SIGTERM'), 0);
});
