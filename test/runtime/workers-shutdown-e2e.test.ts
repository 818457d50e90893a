import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { waitUntil } from '../queue/lab.js';
import { spooledBodies } from '../helpers/spool-peek.js';
import { injectSpread, seqOf, workersLab } from './workers-lab.js';

const cleanups: (() => unknown)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

test('SIGTERM under load: owner and workers exit within 10 s, every 250 is delivered or spooled', { timeout: 90_000 }, async (t) => {
  const domain = 'stop.test';
  // a slow sink: deliveries are in flight when the signal comes
  const lab = await workersLab(domain, { cleanups, dataDelayMs: 30 });
  await lab.kumo.waitFor((l) => l.msg === 'reception workers ready', 5_000, 'both workers ready');
  const pids = lab.kumo.lines.filter((l) => l.msg === 'reception worker ready').map((l) => l.pid as number);
  const injecting = injectSpread(lab.smtpPort, domain, 2000, 12);
  await waitUntil(() => lab.got.length >= 50, 30_000, 'deliveries under way');
  const t0 = Date.now();
  const code = await lab.kumo.stop('SIGTERM');
  const ms = Date.now() - t0;
  const accepted = await injecting;
  t.diagnostic(`stopped in ${ms} ms (code ${code}); ${accepted.size} accepted, ${lab.seen().size} delivered`);
  assert.equal(code, 0);
  assert.ok(ms < 10_000, `stopped within 10 s (${ms} ms)`);
  for (const pid of pids) assert.throws(() => process.kill(pid, 0), /ESRCH/, `worker ${pid} has exited`);
  for (const w of [1, 2]) assert.ok(lab.kumo.lines.some((l) => l.worker === w && l.msg === 'reception worker stopped'), `worker ${w} drained`);
  // what was answered 250 and not delivered is still in the spool
  const spooled = new Set(spooledBodies(lab.spoolDir).map(seqOf));
  const lost = [...accepted].filter((i) => !lab.seen().has(i) && !spooled.has(i));
  assert.deepEqual(lost, [], 'no 250 lost');
  assert.ok(accepted.size < 2000, 'the stop came while messages were still arriving');
});
