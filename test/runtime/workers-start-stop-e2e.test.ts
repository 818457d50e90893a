// The owner's edge cases at start and stop: a reception worker that cannot come up fails the
// start; one that does not drain in time is killed so that the stop keeps its budget.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { startKumo } from '../helpers/server-process.js';
import { freePort, labConfig } from '../queue/lab.js';
import { workersLab } from './workers-lab.js';

const cleanups: (() => unknown)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

test('workers = 2 and the SMTP port is taken: the start fails, naming the worker that could not come up', { timeout: 90_000 }, async () => {
  const squatter = createServer();
  await new Promise<void>((r) => squatter.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise((r) => squatter.close(r)));
  const port = (squatter.address() as AddressInfo).port;
  const lab = labConfig({ smtpPort: port, sinkPort: await freePort(), zone: '', main: '[server]\nworkers = 2\n' });
  cleanups.push(lab.cleanup);
  const kumo = startKumo(['serve', '-c', join(lab.dir, 'config')], { env: { KUMO_TS_LOG_LEVEL: 'info' } });
  cleanups.push(() => kumo.stop('SIGKILL'));
  // it exits by itself (no signal: one sent now could race its exit); 'close': its output read to the end
  const code = await new Promise<number | null>((r) => kumo.child.once('close', (c) => r(c)));
  assert.equal(code, 1, 'serve exits non-zero');
  assert.ok(kumo.lines.some((l) => typeof l.msg === 'string' && /^kumo-ts: cannot start: reception worker [12] exited before it was ready \(code 1, signal null\)$/.test(l.msg)), 'the start failure names the worker');
  assert.ok(!kumo.lines.some((l) => l.msg === 'kumo-ts ready'), 'never ready');
  // the worker said why it could not come up
  assert.ok(kumo.lines.some((l) => typeof l.msg === 'string' && l.msg.includes('EADDRINUSE')), 'the bind error is logged');
});

test('a reception worker that does not drain in time (stopped) is killed; the stop keeps its budget', { timeout: 90_000 }, async () => {
  const lab = await workersLab('stuck.test', { cleanups });
  await lab.kumo.waitFor((l) => l.msg === 'reception workers ready', 5_000, 'both workers ready');
  const pid = lab.kumo.lines.find((l) => l.msg === 'reception worker ready' && l.worker === 1)!.pid as number;
  // a stopped process cannot read its drain message; SIGKILL still ends it
  process.kill(pid, 'SIGSTOP');
  cleanups.push(() => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  });
  const t0 = Date.now();
  const code = await lab.kumo.stop('SIGTERM');
  const ms = Date.now() - t0;
  assert.equal(code, 0);
  assert.ok(ms < 10_000, `stopped within 10 s (${ms} ms)`);
  const killed = lab.kumo.lines.find((l) => l.msg === 'reception worker 1 did not stop in time: killed (what it answered 250 is spooled)');
  assert.ok(killed, 'the owner says it killed worker 1');
  assert.equal(killed.pid, pid);
  assert.throws(() => process.kill(pid, 0), /ESRCH/, 'worker 1 is gone');
  assert.ok(lab.kumo.lines.some((l) => l.worker === 2 && l.msg === 'reception worker stopped'), 'worker 2 drained normally');
});
