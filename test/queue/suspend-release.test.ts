// Lifting a scheduled-queue suspension that holds many messages: the held jobs are handed out
// from the timer heap in chunks, so the event loop keeps serving while they are routed (the
// admin API that lifted the suspension included). Before, every held job was routed inside
// the synchronous 'ended' handler: a million held messages blocked the process for tens of
// seconds and the DELETE /api/admin/suspend/v1 connection was dropped (bench/million).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { eventually, QueueHarness } from '../helpers/queue-harness.js';

const HELD = 3_000;
let h: QueueHarness;

before(async () => {
  // the destination refuses nothing and accepts nothing: port 9 on loopback is closed, so
  // released jobs fail their connection and are rescheduled; only their routing matters here
  h = await QueueHarness.start({
    zone: '["held.test"]\nmx = ["10 mx.held.test"]\n["mx.held.test"]\na = ["127.0.0.1"]\n',
    sources: '[source."unspecified"]\nremote_port = 9\n',
    admin: true,
  });
});
after(async () => {
  await h?.close();
});

function states(): Map<string, number> {
  const n = new Map<string, number>();
  for (const m of h.manager.heldMessages()) for (const j of m.jobs) n.set(j.state, (n.get(j.state) ?? 0) + 1);
  return n;
}

test('a released suspension is routed in chunks between which the event loop runs', async () => {
  const rule = await h.admin!.addSuspend({ domain: 'held.test', reason: 'test', expires: Date.now() + 3_600_000 });
  for (let i = 0; i < HELD; i++) await h.submit(h.meta('a@src.test', [`r${i}@held.test`]), `Subject: ${i}\n\nbody\n`);
  await eventually(() => h.manager.parked.size === HELD || undefined, 30_000, `all ${HELD} jobs parked by the suspension`);

  await h.admin!.cancel('suspend', rule.id);
  // right after the cancel returns, the jobs are due but still waiting in the timer heap
  const atOnce = states().get('scheduled') ?? 0;
  assert.ok(atOnce > HELD / 2, `most released jobs still wait for their turn (${atOnce} of ${HELD} scheduled); they were all routed in the handler`);
  assert.equal(h.manager.parked.size, 0, 'nothing is held any more');
  // the event loop got turns in between: a setImmediate ran while jobs were still waiting
  let waitingAtFirstTurn = -1;
  await new Promise<void>((resolve) => setImmediate(() => { waitingAtFirstTurn = states().get('scheduled') ?? 0; resolve(); }));
  assert.ok(waitingAtFirstTurn > 0, 'jobs still waited when the event loop first got a turn');
  // and every job is routed in the end (each then fails its connection and is rescheduled later)
  await eventually(() => [...h.manager.heldMessages()].every((m) => m.jobs.every((j) => j.attempts > 0 || j.state !== 'scheduled' || j.due > Date.now())) || undefined, 60_000, 'every released job routed');
});
