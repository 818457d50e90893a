import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { writeFileSync as writeFile } from 'node:fs';
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

test('max_connections_per_ip holds across reception workers (the owner counts)', { timeout: 90_000 }, async (t) => {
  const lab = await workersLab('limits.test', { cleanups, main: '' });
  await lab.kumo.waitFor((l) => l.msg === 'reception workers ready', 5_000, 'both workers ready');
  await lab.kumo.stop('SIGTERM');
  // the cap is a listener key: restart with it
  const { writeFileSync, readFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const main = join(lab.lab.dir, 'config', 'kumo.toml');
  writeFileSync(main, readFileSync(main, 'utf8').replace('[listener.smtp]\n', '[listener.smtp]\nmax_connections_per_ip = 3\n'));
  const kumo = await startWorkersServer(lab.lab.dir);
  cleanups.push(() => kumo.stop('SIGKILL'));
  await kumo.waitFor((l) => l.msg === 'reception workers ready', 5_000, 'both workers ready');
  // 10 at once: whichever worker accepts each, only 3 are served
  const conns = await Promise.all(Array.from({ length: 10 }, () => open(lab.smtpPort)));
  const served = conns.filter((c) => c.line.startsWith('220 '));
  const refused = conns.filter((c) => c.line.startsWith('421 '));
  t.diagnostic(`greetings: ${conns.map((c) => c.line.slice(0, 3)).join(' ')}`);
  assert.equal(served.length, 3, 'three connections served');
  assert.equal(refused.length, 7, 'the others refused with 421');
  // a closed connection gives its place back (the worker tells the owner)
  served[0]!.socket.end('QUIT\r\n');
  await new Promise((r) => served[0]!.socket.once('close', r));
  let again = '';
  for (let i = 0; i < 50 && !again.startsWith('220 '); i++) {
    const c = await open(lab.smtpPort);
    again = c.line;
    c.socket.destroy();
    if (!again.startsWith('220 ')) await new Promise((r) => setTimeout(r, 100));
  }
  assert.match(again, /^220 /, 'a place freed by a closed connection is served again');
  for (const c of conns) c.socket.destroy();
  assert.equal(await kumo.stop('SIGTERM'), 0);
});

test('max_connections holds for the whole listener across reception workers (the owner counts)', { timeout: 90_000 }, async (t) => {
  const lab = await workersLab('limits-total.test', { cleanups, main: '' });
  await lab.kumo.waitFor((l) => l.msg === 'reception workers ready', 5_000, 'both workers ready');
  await lab.kumo.stop('SIGTERM');
  const { writeFileSync, readFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const main = join(lab.lab.dir, 'config', 'kumo.toml');
  writeFileSync(main, readFileSync(main, 'utf8').replace('[listener.smtp]\n', '[listener.smtp]\nmax_connections = 4\n'));
  const kumo = await startWorkersServer(lab.lab.dir);
  cleanups.push(() => kumo.stop('SIGKILL'));
  await kumo.waitFor((l) => l.msg === 'reception workers ready', 5_000, 'both workers ready');
  // 10 at once, spread over both workers: each alone would serve up to 4 (8 in all)
  const conns = await Promise.all(Array.from({ length: 10 }, () => open(lab.smtpPort)));
  const served = conns.filter((c) => c.line.startsWith('220 '));
  const refused = conns.filter((c) => c.line.startsWith('421 '));
  t.diagnostic(`greetings: ${conns.map((c) => c.line.slice(0, 3)).join(' ')}`);
  assert.equal(served.length, 4, 'four connections served');
  assert.equal(refused.length, 6, 'the others refused with 421');
  assert.match(refused[0]!.line, /^421 4\.7\.0 Too many connected clients/);
  await kumo.waitFor((l) => l.reason === 'max_connections' && l.limit === 4, 10_000, 'the refusal logged');
  // a closed connection gives its place back
  served[0]!.socket.end('QUIT\r\n');
  await new Promise((r) => served[0]!.socket.once('close', r));
  let again = '';
  for (let i = 0; i < 50 && !again.startsWith('220 '); i++) {
    const c = await open(lab.smtpPort);
    again = c.line;
    c.socket.destroy();
    if (!again.startsWith('220 ')) await new Promise((r) => setTimeout(r, 100));
  }
  assert.match(again, /^220 /, 'a place freed by a closed connection is served again');
  for (const c of conns) c.socket.destroy();
  assert.equal(await kumo.stop('SIGTERM'), 0);
});

test('AUTH failures are counted for the whole node: max_failures holds across reception workers', { timeout: 120_000 }, async (t) => {
  const lab = await workersLab('limits-auth.test', { cleanups, main: '' });
  await lab.kumo.waitFor((l) => l.msg === 'reception workers ready', 5_000, 'both workers ready');
  await lab.kumo.stop('SIGTERM');
  const { readFileSync } = await import('node:fs');
  const cfg = joinPath(lab.lab.dir, 'config');
  const c = await makeCert('localhost');
  writeFile(joinPath(cfg, 'cert.pem'), c.cert);
  writeFile(joinPath(cfg, 'key.pem'), c.key);
  writeFile(joinPath(cfg, 'users.txt'), `alice:${await hashPassword('alice-pw', { kind: 'bcrypt', cost: 4 })}\n`);
  const main = joinPath(cfg, 'kumo.toml');
  writeFile(main, readFileSync(main, 'utf8').replace('[listener.smtp]\n',
    '[listener.smtp]\ntls = { certificate = "cert.pem", private_key = "key.pem" }\nauth = { credentials = "users.txt", max_failures = 4 }\n'));
  const kumo = await startWorkersServer(lab.lab.dir);
  cleanups.push(() => kumo.stop('SIGKILL'));
  await kumo.waitFor((l) => l.msg === 'reception workers ready', 5_000, 'both workers ready');
  const session = async () => {
    const s = await SmtpClient.connect(lab.smtpPort);
    await s.hello();
    await s.starttls();
    return s;
  };
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
