import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { waitUntil } from '../queue/lab.js';
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

test('a config change (banner) goes live in every reception worker', { timeout: 90_000 }, async () => {
  const lab = await workersLab('reload.test', { cleanups });
  await lab.kumo.waitFor((l) => l.msg === 'reception workers ready', 5_000, 'both workers ready');
  for (let i = 0; i < 6; i++) assert.match(await greeting(lab.smtpPort), /ESMTP kumo-ts$/);
  const main = join(lab.lab.dir, 'config', 'kumo.toml');
  writeFileSync(main, readFileSync(main, 'utf8').replace('[listener.smtp]\n', '[listener.smtp]\nbanner = "epoch two"\n'));
  const live = await lab.kumo.waitFor((l) => typeof l.msg === 'string' && /^config epoch \d+ live in every reception worker$/.test(l.msg), 20_000, 'the epoch live in both workers');
  const epoch = live.epoch as number;
  // each worker compiled and swapped it itself
  for (const w of [1, 2]) assert.ok(lab.kumo.lines.some((l) => l.worker === w && l.msg === `config epoch ${epoch} live`), `worker ${w} swapped to epoch ${epoch}`);
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
  // each said why (its stdout is the owner's, inherited: still read here)
  const gone = () => lab.kumo.lines.filter((l) => l.msg === 'owner process gone: exiting (its restart rescans the spool)').map((l) => l.worker as number);
  await waitUntil(() => gone().length >= 2, 10_000, 'both workers logging that the owner is gone').catch(() => undefined);
  assert.deepEqual(gone().sort(), [1, 2], 'both workers logged that the owner is gone');
});
