import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { freePort, inject, labConfig, readRecords, startLabServer, tagged } from '../queue/lab.js';
import { api, pollUntil, sinkProcessesOnOnePort, spooledMetas } from './helpers.js';

const cleanups: (() => unknown)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

// live.test → sink A (127.0.0.2), fast.test → sink B (127.0.0.3), dead.test → nothing listens
const ZONE = `
["live.test"]
mx = ["10 mx.live.test"]
["mx.live.test"]
a = ["127.0.0.2"]
["fast.test"]
mx = ["10 mx.fast.test"]
["mx.fast.test"]
a = ["127.0.0.3"]
["dead.test"]
mx = ["10 mx.dead.test"]
["dead2.test"]
mx = ["10 mx.dead.test"]
["mx.dead.test"]
a = ["127.0.0.9"]
`;
const QUEUES = `
[queue.'dead.test']
retry_interval = "1h"
[queue.'brief.test']
routing_domain = "live.test"
`;

interface RuleRef {
  id: string;
  reason: string;
  expires: string;
}
interface Summary {
  scheduled: { name: string; domain: string; count: number; suspended: RuleRef | null; bounce: RuleRef | null }[];
  ready: { name: string; site: string; count: number; connections: number; suspended: RuleRef | null }[];
  totals: { scheduled: number; ready: number; received_total: number; delivered_total: number; transient_total: number; failed_total: number };
}

const msgs = (domain: string, n: number, from = 0) => Array.from({ length: n }, (_, i) => ({ from: 'sender@kumo.test', to: [`u${from + i}@${domain}`], data: tagged(from + i) }));

test('suspend a scheduled queue and a ready queue: nothing is sent while suspended, everything arrives on resume; rebind to a new routing_domain moves stuck mail to another sink', { timeout: 120_000 }, async (t) => {
  const dir = (await import('../helpers/tmp.js')).tempTree();
  cleanups.push(dir.cleanup);
  const [sinkA, sinkB] = await sinkProcessesOnOnePort(['127.0.0.2', '127.0.0.3'], dir.dir);
  cleanups.push(() => sinkA.stop(), () => sinkB.stop());
  const smtpPort = await freePort();
  const httpPort = await freePort();
  const lab = labConfig({ smtpPort, sinkPort: sinkA.port, httpPort, zone: ZONE, queues: QUEUES });
  cleanups.push(lab.cleanup);
  const kumo = await startLabServer(lab.dir);
  cleanups.push(() => kumo.stop('SIGKILL'));
  const base = `http://127.0.0.1:${httpPort}`;
  const summary = async () => (await api<Summary>(base, 'GET', '/api/admin/queue-summary/v1')).body;

  await t.test('scheduled queue suspension', async () => {
    const s = await api<{ id: string }>(base, 'POST', '/api/admin/suspend/v1', { domain: 'live.test', reason: 'postmaster asked', duration: '10m' });
    assert.equal(s.status, 200);
    const listed = await api<{ id: string; domain: string; reason: string; duration: string }[]>(base, 'GET', '/api/admin/suspend/v1');
    assert.deepEqual(listed.body.map((r) => [r.id, r.domain, r.reason]), [[s.body.id, 'live.test', 'postmaster asked']]);
    assert.equal((await inject(smtpPort, msgs('live.test', 20), 4)).size, 20);
    // the positive signal: all 20 held in their scheduled queue under the suspension, and no
    // delivery attempt was made (no outcome of any kind, no ready queue for the site)
    const held = await pollUntil(summary, (r) => r.totals.received_total === 20 && r.scheduled.some((q) => q.name === 'live.test' && q.count === 20), 20_000, '20 held');
    const q = held.scheduled.find((x) => x.name === 'live.test')!;
    assert.equal(q.suspended?.id, s.body.id);
    assert.equal(q.suspended?.reason, 'postmaster asked');
    assert.equal(held.totals.delivered_total + held.totals.transient_total + held.totals.failed_total, 0);
    assert.equal(held.ready.filter((r) => r.site === 'mx.live.test').length, 0);
    assert.equal(sinkA.count(), 0);
    // resume: everything flows at once
    assert.equal((await api(base, 'DELETE', '/api/admin/suspend/v1', { id: s.body.id })).status, 200);
    await pollUntil(() => sinkA.count(), (n) => n === 20, 20_000, '20 at sink A');
    assert.deepEqual((await api(base, 'GET', '/api/admin/suspend/v1')).body, []);
    assert.equal((await api(base, 'DELETE', '/api/admin/suspend/v1', { id: s.body.id })).status, 404);
  });

  await t.test('a suspension that expires releases its messages by itself', async () => {
    const s = await api<{ id: string }>(base, 'POST', '/api/admin/suspend/v1', { domain: 'brief.test', reason: 'short pause', duration: '2s' });
    assert.equal(s.status, 200);
    assert.equal((await inject(smtpPort, msgs('brief.test', 5, 50), 1)).size, 5);
    const held = await pollUntil(summary, (r) => r.scheduled.some((q) => q.name === 'brief.test!live.test' && q.count === 5), 10_000, '5 held');
    assert.equal(held.scheduled.find((q) => q.name === 'brief.test!live.test')!.suspended?.id, s.body.id);
    assert.equal(sinkA.count(), 20);
    await kumo.waitFor((l) => l.msg === 'admin: suspend expired' && l.id === s.body.id, 10_000, 'expiry');
    await pollUntil(() => sinkA.count(), (n) => n === 25, 20_000, '5 more at sink A');
  });

  await t.test('ready queue suspension', async () => {
    assert.equal((await inject(smtpPort, msgs('fast.test', 1), 1)).size, 1);
    await pollUntil(() => sinkB.count(), (n) => n === 1, 20_000, 'first message at sink B');
    const rq = (await summary()).ready.find((r) => r.site === 'mx.fast.test')!;
    assert.match(rq.name, /^unspecified->mx\.fast\.test@smtp_client/);
    const bad = await api<{ message: string }>(base, 'POST', '/api/admin/suspend-ready-q/v1', { reason: 'no name' });
    assert.equal(bad.status, 400);
    assert.match(bad.body.message, /name/);
    const s = await api<{ id: string }>(base, 'POST', '/api/admin/suspend-ready-q/v1', { name: rq.name, reason: 'blocked by the site', duration: '10m' });
    assert.equal(s.status, 200);
    const before = (await summary()).totals.delivered_total;
    const transientBefore = (await summary()).totals.transient_total;
    assert.equal((await inject(smtpPort, msgs('fast.test', 20, 100), 4)).size, 20);
    // held in the ready queue, no connection, no attempt
    const held = await pollUntil(summary, (r) => r.ready.some((x) => x.name === rq.name && x.count === 20 && x.connections === 0), 20_000, '20 in the suspended ready queue');
    assert.equal(held.ready.find((x) => x.name === rq.name)!.suspended?.id, s.body.id);
    assert.equal(held.totals.delivered_total, before);
    assert.equal(held.totals.transient_total, transientBefore);
    assert.equal(sinkB.count(), 1);
    const states = await api<{ states_by_ready_queue: Record<string, { connection_count: number; ready_count: number; suspended?: { id: string; name: string } }> }>(base, 'GET', '/api/admin/ready-q-states/v1');
    assert.deepEqual(states.body.states_by_ready_queue[rq.name], { connection_count: 0, ready_count: 20, suspended: { ...states.body.states_by_ready_queue[rq.name].suspended!, id: s.body.id, name: rq.name } });
    const listed = await api<{ id: string; name: string }[]>(base, 'GET', '/api/admin/suspend-ready-q/v1');
    assert.deepEqual(listed.body.map((r) => [r.id, r.name]), [[s.body.id, rq.name]]);
    assert.equal((await api(base, 'DELETE', '/api/admin/suspend-ready-q/v1', { id: s.body.id })).status, 200);
    await pollUntil(() => sinkB.count(), (n) => n === 21, 20_000, '21 at sink B');
  });

  await t.test('rebind with a new routing_domain', async () => {
    const s0 = await summary();
    assert.equal((await inject(smtpPort, msgs('dead.test', 10, 200), 2)).size, 10);
    // stuck: each had its failed attempt and waits an hour
    await pollUntil(summary, (r) => r.totals.transient_total >= s0.totals.transient_total + 10 && r.scheduled.some((q) => q.name === 'dead.test' && q.count === 10), 20_000, '10 stuck in dead.test');
    const bad = await api<{ message: string }>(base, 'POST', '/api/admin/rebind/v1', { domain: 'dead.test', reason: 'x', data: { routing_domain: 5 } });
    assert.equal(bad.status, 400);
    assert.match(bad.body.message, /data\/routing_domain/);
    // first to another dead route, under a suspension (so no attempt rewrites the spool record):
    // the new routing is written to the spool with the other data by the rebind itself
    const sus = await api<{ id: string }>(base, 'POST', '/api/admin/suspend/v1', { domain: 'dead.test', reason: 'hold while rerouting' });
    const r1 = await api<{ matched: number; moved: number; flushed: number }>(base, 'POST', '/api/admin/rebind/v1', { domain: 'dead.test', reason: 'try the backup', data: { routing_domain: 'dead2.test', color: 'blue' } });
    assert.deepEqual([r1.status, r1.body], [200, { matched: 10, moved: 10, flushed: 10 }]);
    const spoolDir = join(lab.dir, 'spool');
    const metas = await pollUntil(() => spooledMetas(spoolDir), (ms) => ms.filter((m) => (m.extra as Record<string, unknown> | undefined)?.routing_domain === 'dead2.test').length === 10, 10_000, 'rebound metadata in the spool');
    const rebound = metas.filter((m) => (m.extra as Record<string, unknown> | undefined)?.routing_domain === 'dead2.test');
    assert.deepEqual(rebound.map((m) => (m.extra as { meta?: { color?: string } }).meta?.color), Array(10).fill('blue'));
    const stuck = await pollUntil(summary, (x) => x.scheduled.some((q) => q.name === 'dead.test!dead2.test' && q.count === 10), 10_000, 'queued as dead.test!dead2.test');
    assert.ok(!stuck.scheduled.some((q) => q.name === 'dead.test'));
    assert.equal(stuck.scheduled.find((q) => q.name === 'dead.test!dead2.test')!.suspended?.id, sus.body.id);
    // resumed: each makes its attempt on the new (dead) route and waits an hour again
    const t1 = stuck.totals.transient_total;
    assert.equal((await api(base, 'DELETE', '/api/admin/suspend/v1', { id: sus.body.id })).status, 200);
    await pollUntil(summary, (x) => x.totals.transient_total >= t1 + 10 && x.scheduled.some((q) => q.name === 'dead.test!dead2.test' && q.count === 10), 20_000, 'attempted on the new route');
    // same queue again, no always_flush: nothing is due earlier
    const r2 = await api<{ matched: number; moved: number; flushed: number }>(base, 'POST', '/api/admin/rebind/v1', { routing_domain: 'dead2.test', reason: 'noop', data: { routing_domain: 'dead2.test' } });
    assert.deepEqual(r2.body, { matched: 10, moved: 0, flushed: 0 });
    const r = await api<{ matched: number; moved: number; flushed: number }>(base, 'POST', '/api/admin/rebind/v1', { domain: 'dead.test', reason: 'route around the outage', data: { routing_domain: 'fast.test' } });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { matched: 10, moved: 10, flushed: 10 });
    await pollUntil(() => sinkB.count(), (n) => n === 31, 20_000, '10 more at sink B');
    const logs = join(lab.dir, 'logs');
    await pollUntil(() => readRecords(logs).filter((x) => x.type === 'Delivery' && x.queue === 'dead.test!fast.test').length, (n) => n === 10, 10_000, 'Delivery records in the new queue');
    assert.ok(sinkB.messages().some((m) => /^X-Lab-Seq: 205\r?$/m.test(m)));
  });
});
