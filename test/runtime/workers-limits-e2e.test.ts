import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
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
