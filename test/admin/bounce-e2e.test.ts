import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { spooledCount } from '../helpers/spool-peek.js';
import { freePort, inject, labConfig, readRecords, startLabServer, tagged, waitUntil } from '../queue/lab.js';
import { api, pollUntil } from './helpers.js';

const cleanups: (() => unknown)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

// dead.test's MX is an address where nothing listens: every attempt fails (connection
// refused) and is retried an hour later, so the messages stay queued
const ZONE = `
["dead.test"]
mx = ["10 mx.dead.test"]
["mx.dead.test"]
a = ["127.0.0.9"]
["other.test"]
mx = ["10 mx.dead.test"]
`;
const QUEUES = `
[queue.'dead.test']
retry_interval = "1h"
[queue.'other.test']
retry_interval = "1h"
`;

interface Summary {
  scheduled: { name: string; count: number; bounce: { id: string } | null }[];
  totals: { scheduled: number; ready: number; transient_total: number; failed_total: number; received_total: number };
}

test('admin bounce by domain: 500 queued messages bounced with AdminBounce records, new ones during the duration too, the rule survives a restart; inspect-message returns the body', { timeout: 120_000 }, async () => {
  const smtpPort = await freePort();
  const httpPort = await freePort();
  const deadPort = await freePort();
  const lab = labConfig({ smtpPort, sinkPort: deadPort, httpPort, zone: ZONE, queues: QUEUES });
  cleanups.push(lab.cleanup);
  let kumo = await startLabServer(lab.dir);
  cleanups.push(() => kumo.stop('SIGKILL'));
  const base = `http://127.0.0.1:${httpPort}`;
  const logs = join(lab.dir, 'logs');
  const spool = join(lab.dir, 'spool');

  const N = 500;
  const msgs = Array.from({ length: N }, (_, i) => ({ from: 'sender@kumo.test', to: [`u${i}@dead.test`], data: tagged(i) }));
  msgs.push({ from: 'sender@kumo.test', to: ['keep@other.test'], data: tagged(9999) });
  assert.equal((await inject(smtpPort, msgs, 8)).size, N + 1);
  // every message has had its failed attempt and waits an hour for the next
  const queued = await pollUntil(() => api<Summary>(base, 'GET', '/api/admin/queue-summary/v1'), (r) => r.body.totals.transient_total >= N + 1 && r.body.totals.scheduled === N + 1, 60_000, 'all queued after a failed attempt');
  assert.deepEqual(queued.body.scheduled.map((q) => [q.name, q.count, q.bounce]), [['dead.test', N, null], ['other.test', 1, null]]);

  // inspect one of them, body included
  const one = readRecords(logs).find((r) => r.type === 'Reception' && r.recipient === 'u7@dead.test')!;
  const insp = await api<{ id: string; message: { sender: string; recipient: string[]; data?: string; meta: Record<string, unknown>; num_attempts: number } }>(base, 'GET', `/api/admin/inspect-message/v1?id=${one.id}&want_body=true`);
  assert.equal(insp.status, 200);
  assert.equal(insp.body.id, one.id);
  assert.equal(insp.body.message.sender, 'sender@kumo.test');
  assert.deepEqual(insp.body.message.recipient, ['u7@dead.test']);
  assert.equal(insp.body.message.meta.queue, 'dead.test');
  assert.equal(insp.body.message.num_attempts, 1);
  assert.match(insp.body.message.data ?? '', /^X-Lab-Seq: 7\r$/m);
  const noBody = await api<{ message: { data?: string } }>(base, 'GET', `/api/admin/inspect-message/v1?id=${one.id}`);
  assert.equal(noBody.body.message.data, undefined);
  const unknown = await api<{ error: string }>(base, 'GET', '/api/admin/inspect-message/v1?id=00000000000000000000000000000000');
  assert.equal(unknown.status, 404);
  assert.equal(unknown.body.error, 'not_found');

  // bad input: 400 naming the field, nothing created
  const bad = await api<{ error: string; message: string }>(base, 'POST', '/api/admin/bounce/v1', { domain: 'dead.test', reason: 'x', duration: 'soon' });
  assert.equal(bad.status, 400);
  assert.match(bad.body.message, /duration/);
  const noReason = await api<{ message: string }>(base, 'POST', '/api/admin/bounce/v1', { domain: 'dead.test' });
  assert.equal(noReason.status, 400);
  assert.match(noReason.body.message, /reason/);
  assert.deepEqual((await api(base, 'GET', '/api/admin/bounce/v1')).body, []);

  // the bounce: every queued dead.test message now, not the other domain
  const b = await api<{ id: string; bounced: Record<string, number>; total_bounced: number }>(base, 'POST', '/api/admin/bounce/v1', { domain: 'dead.test', reason: 'bad send', duration: '1h' });
  assert.equal(b.status, 200);
  assert.deepEqual(b.body.bounced, { 'dead.test': N });
  assert.equal(b.body.total_bounced, N);
  await kumo.waitFor((l) => String(l.msg).startsWith('admin: bounce') && l.msg === `admin: bounce ${b.body.id} done`, 10_000, 'bounce done log');
  const adminBounces = () => readRecords(logs).filter((r) => r.type === 'AdminBounce');
  await waitUntil(() => adminBounces().length === N, 10_000, `${N} AdminBounce records`);
  const rec = adminBounces()[0];
  assert.equal(rec.response.code, 551);
  assert.equal(rec.response.content, 'Administrator bounced with reason: bad send');
  assert.deepEqual(rec.response.enhanced_code, { class: 5, subject: 7, detail: 1 });
  assert.equal(rec.queue, 'dead.test');
  assert.equal(new Set(adminBounces().map((r) => r.recipient)).size, N);
  // the bounced messages are gone from the spool; the other domain's stays
  await waitUntil(() => spooledCount(spool) === 1, 10_000, 'spool holds only other.test');
  const after1 = (await api<Summary>(base, 'GET', '/api/admin/queue-summary/v1')).body;
  assert.deepEqual(after1.scheduled.map((q) => [q.name, q.count]), [['other.test', 1]]);
  assert.equal(after1.totals.failed_total, N);

  // listed with its counts
  const list = await api<{ id: string; domain: string; reason: string; bounced: Record<string, number>; total_bounced: number; duration: string }[]>(base, 'GET', '/api/admin/bounce/v1');
  assert.equal(list.body.length, 1);
  assert.equal(list.body[0].id, b.body.id);
  assert.equal(list.body[0].domain, 'dead.test');
  assert.equal(list.body[0].total_bounced, N);
  assert.match(list.body[0].duration, /^59m \d+s$|^1h$/);

  // a message arriving during the duration is bounced at intake
  assert.equal((await inject(smtpPort, [{ from: 'sender@kumo.test', to: ['late@dead.test'], data: tagged(600) }], 1)).size, 1);
  await waitUntil(() => adminBounces().some((r) => r.recipient === 'late@dead.test'), 10_000, 'AdminBounce for the late message');

  // restart: the rule holds (durable in the spool directory) with its counts
  assert.equal(await kumo.stop('SIGTERM'), 0);
  kumo = await startLabServer(lab.dir);
  await kumo.waitFor((l) => l.msg === 'admin: state loaded' && l.rules === 1, 20_000, 'admin state loaded');
  const list2 = await api<{ id: string; total_bounced: number }[]>(`http://127.0.0.1:${httpPort}`, 'GET', '/api/admin/bounce/v1');
  assert.deepEqual(list2.body.map((r) => [r.id, r.total_bounced]), [[b.body.id, N + 1]]);
  assert.equal((await inject(smtpPort, [{ from: 'sender@kumo.test', to: ['later@dead.test'], data: tagged(601) }], 1)).size, 1);
  await waitUntil(() => adminBounces().some((r) => r.recipient === 'later@dead.test'), 10_000, 'AdminBounce after the restart');
  const qs = (await api<Summary>(base, 'GET', '/api/admin/queue-summary/v1')).body;
  assert.deepEqual(qs.scheduled.map((q) => q.name), ['other.test']);

  // cancel: new messages queue normally again
  const del = await api(base, 'DELETE', '/api/admin/bounce/v1', { id: b.body.id });
  assert.equal(del.status, 200);
  assert.equal((await api(base, 'DELETE', '/api/admin/bounce/v1', { id: b.body.id })).status, 404);
  assert.deepEqual((await api(base, 'GET', '/api/admin/bounce/v1')).body, []);
  assert.equal((await inject(smtpPort, [{ from: 'sender@kumo.test', to: ['kept@dead.test'], data: tagged(602) }], 1)).size, 1);
  await pollUntil(() => api<Summary>(base, 'GET', '/api/admin/queue-summary/v1'), (r) => r.body.scheduled.some((q) => q.name === 'dead.test' && q.count === 1), 10_000, 'dead.test queued again');
  assert.equal(adminBounces().filter((r) => r.recipient === 'kept@dead.test').length, 0);

  // the process log level changes live
  const lf = await api<{ level: string }>(base, 'POST', '/api/admin/set_diagnostic_log_filter/v1', { filter: 'kumod=debug' });
  assert.deepEqual([lf.status, lf.body.level], [200, 'debug']);
  assert.equal((await api(base, 'POST', '/api/admin/set_diagnostic_log_filter/v1', { filter: 'nonsense' })).status, 400);
});
