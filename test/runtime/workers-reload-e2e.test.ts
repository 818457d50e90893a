import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { freePort, waitUntil } from '../queue/lab.js';
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
  // SIGHUP re-evaluates the same files: a new epoch, live in every worker without a swap there
  process.kill(lab.kumo.child.pid!, 'SIGHUP');
  await lab.kumo.waitFor((l) => l.msg === `config epoch ${epoch + 1} live in every reception worker`, 20_000, 'the forced epoch live in both workers');
  assert.ok(!lab.kumo.lines.some((l) => l.worker !== undefined && l.msg === `config epoch ${epoch + 1} live`), 'no worker recompiled the same files');
  assert.match(await greeting(lab.smtpPort), /ESMTP epoch two$/);
  // SIGUSR1 opens no inspector, in the owner or a worker (any local process could have
  // connected to it and run code in the server)
  const worker = lab.kumo.lines.find((l) => l.msg === 'reception worker ready')!.pid as number;
  for (const pid of [lab.kumo.child.pid!, worker]) process.kill(pid, 'SIGUSR1');
  await lab.kumo.waitFor((l) => /^SIGUSR1 ignored/.test(String(l.msg)) && l.worker !== undefined, 10_000, 'the worker ignoring SIGUSR1');
  await lab.kumo.waitFor((l) => /^SIGUSR1 ignored/.test(String(l.msg)) && l.worker === undefined, 10_000, 'the owner ignoring SIGUSR1');
  await new Promise((r) => setTimeout(r, 500));
  assert.ok(!lab.kumo.lines.some((l) => /Debugger listening/.test(String(l.msg))), 'no inspector');
  assert.match(await greeting(lab.smtpPort), /ESMTP epoch two$/);
  assert.equal(await lab.kumo.stop('SIGTERM'), 0);
});

test('a worker that finds invalid files on disk refuses the epoch (and a restart with them fails) while the others keep serving', { timeout: 150_000 }, async () => {
  const lab = await workersLab('refuse.test', { cleanups });
  await lab.kumo.waitFor((l) => l.msg === 'reception workers ready', 5_000, 'both workers ready');
  const ready = lab.kumo.lines.find((l) => l.msg === 'reception worker ready' && l.worker === 1)!;
  const pid = ready.pid as number;
  const main = join(lab.lab.dir, 'config', 'kumo.toml');
  const valid = readFileSync(main, 'utf8').replace('[listener.smtp]\n', '[listener.smtp]\nbanner = "epoch two"\n');
  // worker 1 cannot read the owner's next epoch until the files on disk are already invalid
  process.kill(pid, 'SIGSTOP');
  cleanups.push(() => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  });
  writeFileSync(main, valid);
  const liveEpoch = (l: Record<string, unknown>) => (l.worker === undefined && typeof l.msg === 'string' ? Number(/^config epoch (\d+) live$/.exec(l.msg)?.[1]) : NaN);
  const live = await lab.kumo.waitFor((l) => liveEpoch(l) > (ready.epoch as number), 20_000, 'the owner swapping epoch two');
  const epoch = liveEpoch(live);
  // worker 2 reads the files before they change again
  await lab.kumo.waitFor((l) => l.worker === 2 && l.msg === `config epoch ${epoch} live`, 20_000, 'worker 2 swapping epoch two');
  writeFileSync(main, valid.replace('[listener.smtp]\n', '[listener.smtp]\nno_such_key = 1\n'));
  await lab.kumo.waitFor((l) => typeof l.msg === 'string' && l.msg.startsWith('config change rejected'), 20_000, 'the owner rejecting the broken files');
  process.kill(pid, 'SIGCONT');
  await lab.kumo.waitFor((l) => l.msg === `reception worker 1 refused config epoch ${epoch}; it keeps serving epoch ${ready.epoch}`, 20_000, 'worker 1 refusing the epoch');
  assert.ok(lab.kumo.lines.some((l) => l.worker === 1 && l.msg === `config epoch ${epoch} refused in this worker; epoch ${ready.epoch} keeps serving`), 'worker 1 says why');
  // a restart of worker 1 compiles the broken files: it cannot come up, the owner retries
  process.kill(pid, 'SIGKILL');
  await lab.kumo.waitFor((l) => l.worker === 1 && l.msg === 'config is invalid in this worker', 40_000, 'the restarted worker refusing the files');
  const exited = await lab.kumo.waitFor((l) => l.msg === 'reception worker 1 exited' && l.code === 1, 20_000, 'the restarted worker exiting');
  assert.equal(exited.signal, null);
  // the other worker serves meanwhile, at the epoch the owner made live
  for (let i = 0; i < 4; i++) assert.match(await greeting(lab.smtpPort), /ESMTP epoch two$/);
  // fixed files: the next restart comes up
  writeFileSync(main, valid.replace('banner = "epoch two"', 'banner = "epoch three"'));
  await lab.kumo.waitFor((l) => l.msg === 'reception worker ready' && l.worker === 1 && l.pid !== pid && l.pid !== exited.pid, 60_000, 'worker 1 back');
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
