import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startSink } from '../../src/sink/sink.js';
import type { Sink, SinkMessage } from '../../src/sink/sink.js';
import type { ServerProcess } from '../helpers/server-process.js';
import { api, pollUntil } from '../admin/helpers.js';
import { countBy, freePort, inject, labConfig, readRecords, seqOf, startLabServer, tagged, waitUntil } from '../queue/lab.js';

/**
 * Issue 10 (a million queued): a backlog released at once (a suspension lifted) into a ready
 * queue bounded by max_ready. The overflow waits for room, in order, instead of retrying on a
 * timer: each delayed message is logged as delayed once, not once per retry (with timed
 * retries, 10^5 released jobs were re-routed and logged every second or two and delivery
 * crawled at a few messages per second).
 */
const ZONE = `
["burst.test"]
mx = ["10 mx.burst.test"]
["late.test"]
mx = ["10 mx.burst.test"]
["mx.burst.test"]
a = ["127.0.0.2"]
`;
const SHAPING = `
["burst.test"]
connection_limit = 1
max_ready = 4

["late.test"]
mx_rollup = false
connection_limit = 1
max_ready = 2
`;
const N = 24;
// released by the timer heap when the suspension ends: KumoMTA's "DueTimeWasReached, ReadyQueueWasFull"
const READY_FULL = /^Context: DueTimeWasReached, ReadyQueueWasFull\. Next due in /;

const cleanups: (() => unknown)[] = [];
const got: SinkMessage[] = [];
let kumo: ServerProcess;
let smtpPort: number;
let base: string;
let logs: string;

before(async () => {
  // 150 ms per message over one connection: the last of 24 waits ~3.5 s, past several of the
  // old 1–2 s retry timers
  const sink: Sink = await startSink({ host: '127.0.0.2', port: 0, onMessage: (m) => got.push(m), dataDelayMs: 150 });
  cleanups.push(() => sink.close());
  smtpPort = await freePort();
  const httpPort = await freePort();
  const lab = labConfig({ smtpPort, sinkPort: sink.port, zone: ZONE, httpPort });
  lab.write('config/shaping.toml', SHAPING);
  cleanups.push(lab.cleanup);
  logs = join(lab.dir, 'logs');
  base = `http://127.0.0.1:${httpPort}`;
  kumo = await startLabServer(lab.dir);
  cleanups.push(() => kumo.stop());
});
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

test('a suspended backlog released at once: the overflow waits for room, each delayed message logged once, all delivered once', { timeout: 60_000 }, async () => {
  const sus = await api<{ id: string }>(base, 'POST', '/api/admin/suspend/v1', { domain: 'burst.test', reason: 'hold the burst', duration: '10m' });
  assert.equal(sus.status, 200);
  const msgs = Array.from({ length: N }, (_, i) => ({ from: 'burst@kumo.test', to: [`user${i}@burst.test`], data: tagged(i) }));
  assert.equal((await inject(smtpPort, msgs, 4)).size, N);
  await pollUntil(async () => (await api<{ totals: { scheduled: number } }>(base, 'GET', '/api/admin/queue-summary/v1')).body, (s) => s.totals.scheduled === N, 20_000, `${N} held`);
  assert.equal(got.length, 0);

  assert.equal((await api(base, 'DELETE', '/api/admin/suspend/v1', { id: sus.body.id })).status, 200);
  const deliveries = () => readRecords(logs).filter((r) => r.type === 'Delivery');
  await waitUntil(() => got.length >= N && deliveries().length >= N, 40_000, `${N} messages at the sink`);

  const seqs = countBy(got, (m) => String(seqOf(m.data)));
  for (let i = 0; i < N; i++) assert.equal(seqs[String(i)], 1, `message ${i} arrived ${seqs[String(i)] ?? 0} times`);
  const full = readRecords(logs).filter((r) => r.type === 'Delayed' && READY_FULL.test(r.response.content));
  // the ready queue took max_ready (4) and the one connection's first job; the rest waited
  assert.ok(full.length >= N - 8, `${full.length} delayed: the overflow went through the ready-full path`);
  const perRecipient = countBy(full, (r) => String(r.recipient));
  for (const [rcpt, n] of Object.entries(perRecipient)) assert.equal(n, 1, `${rcpt} was delayed ${n} times: it retried instead of waiting for room`);
});

test('jobs waiting for room are checked again when room comes: an admin bounce issued meanwhile bounces them, nothing is delivered twice', { timeout: 60_000 }, async () => {
  const M = 12;
  const sus = await api<{ id: string }>(base, 'POST', '/api/admin/suspend/v1', { domain: 'late.test', reason: 'hold', duration: '10m' });
  const msgs = Array.from({ length: M }, (_, i) => ({ from: 'late@kumo.test', to: [`user${i}@late.test`], data: tagged(100 + i) }));
  assert.equal((await inject(smtpPort, msgs, 4)).size, M);
  await pollUntil(async () => (await api<{ totals: { scheduled: number } }>(base, 'GET', '/api/admin/queue-summary/v1')).body, (s) => s.totals.scheduled >= M, 20_000, `${M} held`);
  const before = got.length;
  assert.equal((await api(base, 'DELETE', '/api/admin/suspend/v1', { id: sus.body.id })).status, 200);
  // one connection at 150 ms a message: a couple are out, the rest wait in or for the ready queue
  await waitUntil(() => got.length >= before + 2, 10_000, 'the first deliveries');
  assert.equal((await api(base, 'POST', '/api/admin/bounce/v1', { domain: 'late.test', reason: 'stop late.test', duration: '10m' })).status, 200);
  const ours = (r: { recipient?: unknown }) => /@late\.test$/.test(String(r.recipient));
  const settled = () => {
    const recs = readRecords(logs).filter(ours);
    return { delivered: recs.filter((r) => r.type === 'Delivery').length, bounced: recs.filter((r) => r.type === 'AdminBounce').length };
  };
  await waitUntil(() => { const s = settled(); return s.delivered + s.bounced >= M; }, 30_000, 'every late.test message delivered or bounced');
  await new Promise((r) => setTimeout(r, 1_000));
  const s = settled();
  assert.equal(s.delivered + s.bounced, M, `each message once: ${JSON.stringify(s)}`);
  assert.ok(s.bounced >= M - 6, `the waiting ones were bounced, not delivered: ${JSON.stringify(s)}`);
  const seqs = countBy(got.filter((m) => (seqOf(m.data) ?? 0) >= 100), (m) => String(seqOf(m.data)));
  assert.equal(Object.keys(seqs).length, s.delivered, 'the sink has exactly the delivered ones');
  for (const [seq, n] of Object.entries(seqs)) assert.equal(n, 1, `message ${seq} arrived ${n} times`);
});
