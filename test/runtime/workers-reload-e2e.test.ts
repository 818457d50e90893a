import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { freePort } from '../queue/lab.js';
import { workersLab } from './workers-lab.js';

const cleanups: (() => unknown)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** The 220 line of a new connection. */
function greeting(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString();
      const i = buf.indexOf('\r\n');
      if (i >= 0) {
        s.end('QUIT\r\n');
        resolve(buf.slice(0, i));
      }
    });
    s.on('error', reject);
  });
}

test('a config change (banner) goes live in every reception worker; the config status shows each worker\'s epoch', { timeout: 90_000 }, async () => {
  const httpPort = await freePort();
  const lab = await workersLab('reload.test', { cleanups, httpPort });
  await lab.kumo.waitFor((l) => l.msg === 'reception workers ready', 5_000, 'both workers ready');
  for (let i = 0; i < 6; i++) assert.match(await greeting(lab.smtpPort), /ESMTP kumo-ts$/);
  const main = join(lab.lab.dir, 'config', 'kumo.toml');
  writeFileSync(main, readFileSync(main, 'utf8').replace('[listener.smtp]\n', '[listener.smtp]\nbanner = "epoch two"\n'));
  const live = await lab.kumo.waitFor((l) => typeof l.msg === 'string' && /^config epoch \d+ live in every reception worker$/.test(l.msg), 20_000, 'the epoch live in both workers');
  const epoch = live.epoch as number;
  // each worker compiled and swapped it itself
  for (const w of [1, 2]) assert.ok(lab.kumo.lines.some((l) => l.worker === w && l.msg === `config epoch ${epoch} live`), `worker ${w} swapped to epoch ${epoch}`);
  const pids = lab.kumo.lines.filter((l) => l.msg === 'reception worker ready').map((l) => l.pid as number).slice(-2);
  const status = (await (await fetch(`http://127.0.0.1:${httpPort}/api/config/status`)).json()) as { epoch: number; workers: { id: number; pid: number; ready: boolean; epoch: number }[] };
  assert.equal(status.epoch, epoch);
  assert.deepEqual(status.workers.map((w) => ({ ...w, pid: pids.includes(w.pid) })), [
    { id: 1, pid: true, ready: true, epoch },
    { id: 2, pid: true, ready: true, epoch },
  ]);
  // every new connection, whichever worker accepts it, greets with the new banner
  for (let i = 0; i < 12; i++) assert.match(await greeting(lab.smtpPort), /ESMTP epoch two$/, lab.kumo.lines.slice(-25).map((l) => JSON.stringify(l)).join("\n"));
  assert.equal(await lab.kumo.stop('SIGTERM'), 0);
});

test('an owner killed with -9 takes its workers with it (they cannot schedule anything)', { timeout: 90_000 }, async () => {
  const lab = await workersLab('owner.test', { cleanups });
  await lab.kumo.waitFor((l) => l.msg === 'reception workers ready', 5_000, 'both workers ready');
  const pids = lab.kumo.lines.filter((l) => l.msg === 'reception worker ready').map((l) => l.pid as number);
  assert.equal(pids.length, 2);
  await lab.kumo.stop('SIGKILL');
  const alive = () => pids.filter((p) => {
    try {
      process.kill(p, 0);
      return true;
    } catch {
      return false;
    }
  });
  for (let i = 0; i < 200 && alive().length; i++) await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(alive(), [], 'both workers exited');
});
