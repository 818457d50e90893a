// One hook queue in process, over the real event store (lmdb in a temp dir) and the real
// webhook client, against a real local HTTP receiver: outcomes by status, batching, auth,
// templates, restart recovery.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { compileConfig } from '../../src/config/compile.js';
import { EventStore } from '../../src/events/event-store.js';
import { HookQueue } from '../../src/events/hook-queue.js';
import type { LogHookSettings } from '../../src/events/hook-config.js';
import { WebhookSender } from '../../src/events/webhook-sender.js';
import { liveHookQueues } from '../../src/events/metrics.js';
import { metricsRegistry } from '../../src/http/metrics.js';
import { createLogger } from '../../src/logging/logger.js';
import { tempTree } from '../helpers/tmp.js';
import { freePort } from '../helpers/ports.js';
import { waitUntil } from '../queue/lab.js';
import { webhookReceiver } from './receiver.js';
import type { Receiver } from './receiver.js';

const cleanups: (() => unknown)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});
const lines: Record<string, unknown>[] = [];
const log = createLogger({ level: 'debug', out: (l) => lines.push(JSON.parse(l) as Record<string, unknown>) });

async function hook(toml: string): Promise<LogHookSettings> {
  const t = tempTree({ 'kumo.toml': `[listener.smtp]\nlisten = "127.0.0.1:2525"\n[http]\nenabled = false\n[log_hook.h]\n${toml}\n` });
  cleanups.push(t.cleanup);
  const res = await compileConfig({ root: t.dir });
  assert.ok(res.ok, JSON.stringify(!res.ok && res.issues));
  return res.ok ? res.snapshot.main.logHooks.get('h')! : (undefined as never);
}

async function setup(extra: string, opts: { secret?: string; header?: string } = {}) {
  const port = await freePort();
  const rx = webhookReceiver(port, opts);
  cleanups.push(() => rx.close());
  await rx.listen();
  let settings = await hook(`kind = "webhook"\nurl = "http://127.0.0.1:${port}/in"\nretry_interval = "50ms"\nmax_retry_interval = "200ms"\nbatch_wait = "50ms"\n${extra}`);
  const dir = tempTree();
  cleanups.push(dir.cleanup);
  const store = EventStore.open(join(dir.dir, 'hooks'));
  cleanups.push(() => store.close());
  const q = new HookQueue({ name: 'h', store, settings: () => settings, makeSender: (s) => new WebhookSender(s), log });
  cleanups.push(() => q.stop(Date.now() + 2_000));
  const add = async (n: number, from = 0) => {
    for (let i = from; i < from + n; i++) {
      const { seq, written } = store.add('h', JSON.stringify({ type: 'Delivery', id: `m${i}`, recipient: `r${i}@x.test`, meta: { tenant: 't1' }, event_time: 't', num_attempts: 1 }));
      await written;
      q.push(seq);
    }
  };
  return { rx, store, q, add, dir: dir.dir, set: (s: LogHookSettings) => (settings = s) };
}

const ids = (rx: Receiver) => rx.records.map((r) => r.id);

test('2xx: done; batch_size 1 sends one object, larger batches a JSON array', async () => {
  const a = await setup('batch_size = 1');
  await a.add(3);
  await waitUntil(() => a.q.stats.delivered === 3, 10_000, 'three records taken');
  assert.equal(a.rx.requests.length, 3);
  assert.equal(JSON.parse(a.rx.requests[0]!.body.toString()).id, 'm0', 'a single object');
  assert.equal(a.q.stats.delivered, 3);
  await waitUntil(() => a.store.scan().size === 0, 5_000, 'events removed once taken');

  const b = await setup('batch_size = 10');
  await b.add(25);
  await waitUntil(() => b.rx.records.length === 25, 10_000, '25 records');
  assert.ok(Array.isArray(JSON.parse(b.rx.requests[0]!.body.toString())), 'an array');
  assert.ok(b.rx.requests.length <= 5, `batched (${b.rx.requests.length} requests)`);
  assert.deepEqual(ids(b.rx).sort(), Array.from({ length: 25 }, (_, i) => `m${i}`).sort());
});

test('503 and 429 are retried with backoff until taken; a 400 is a permanent failure, dropped and counted', async () => {
  const a = await setup('batch_size = 5');
  a.rx.status = 503;
  await a.add(5);
  await waitUntil(() => a.q.stats.retries >= 2, 10_000, 'retries');
  a.rx.status = 429;
  const r = a.q.stats.retries;
  await waitUntil(() => a.q.stats.retries > r, 10_000, 'a 429 retried');
  assert.equal(a.rx.records.length, 0);
  assert.equal(a.q.backlog, 5, 'nothing lost while refused');
  a.rx.status = 200;
  await waitUntil(() => a.rx.records.length === 5, 10_000, 'taken once the receiver is back');
  assert.equal(a.q.stats.failed, 0);

  const b = await setup('batch_size = 5');
  b.rx.status = 400;
  await b.add(5);
  await waitUntil(() => b.q.stats.failed === 5, 10_000, 'counted as failed');
  assert.equal(b.q.stats.retries, 0, 'a 400 is not retried');
  assert.equal(b.q.backlog, 0);
  assert.ok(lines.some((l) => /refused events for good/.test(String(l.msg)) && l.reason === 'HTTP 400' && l.first_id === 'm0'), 'logged with the reason and the first id');
});

test('a receiver that does not answer within timeout: retried', async () => {
  const a = await setup('batch_size = 1\ntimeout = "300ms"');
  a.rx.delayMs = 2_000;
  await a.add(1);
  await waitUntil(() => a.q.stats.retries >= 1, 10_000, 'a timed-out request retried');
  a.rx.delayMs = 0;
  await waitUntil(() => a.q.stats.delivered === 1, 10_000, 'delivered after the timeout');
});

test('Basic and Bearer auth from key sources, extra headers, HMAC header name, template payloads', async () => {
  const a = await setup('basic_auth = { user = "kumo", password = { key_data = "pw" } }\nheaders = { "X-Env" = "lab" }\nhmac = { secret = { key_data = "k" }, header = "X-Sig" }', { secret: 'k', header: 'x-sig' });
  await a.add(1);
  await waitUntil(() => a.rx.records.length === 1, 10_000, 'a record');
  assert.equal(a.rx.requests[0]!.auth, `Basic ${Buffer.from('kumo:pw').toString('base64')}`);
  assert.equal(a.rx.badSignatures, 0);

  const b = await setup('bearer_token = { key_data = "tok\\n" }\nbatch_size = 2\ntemplate = \'{"msg": "{{ id }}", "tenant": "{{ tenant }}", "to": "{{ domain }}"}\'\ncontent_type = "application/json"');
  await b.add(2);
  await waitUntil(() => b.rx.requests.length >= 1, 10_000, 'a request');
  assert.equal(b.rx.requests[0]!.auth, 'Bearer tok');
  const body = b.rx.requests.map((r) => r.body.toString()).join('\n').split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(body, [{ msg: 'm0', tenant: 't1', to: 'x.test' }, { msg: 'm1', tenant: 't1', to: 'x.test' }]);
});

test('events left in the store are recovered in order by a new queue (restart)', async () => {
  const a = await setup('batch_size = 1');
  a.rx.status = 503;
  await a.add(4);
  await waitUntil(() => a.q.stats.retries >= 1, 10_000, 'retrying');
  await a.q.stop(Date.now() + 1_000);
  await a.store.close();
  const store = EventStore.open(join(a.dir, 'hooks'));
  cleanups.push(() => store.close());
  const recovered = store.scan().get('h') ?? [];
  assert.equal(recovered.length, 4);
  a.rx.status = 200;
  const settings = await hook(`kind = "webhook"\nurl = "http://127.0.0.1:${a.rx.port}/in"\nbatch_size = 1`);
  const q = new HookQueue({ name: 'h', store, settings: () => settings, makeSender: (s) => new WebhookSender(s), log });
  cleanups.push(() => q.stop(Date.now() + 1_000));
  q.push(...recovered);
  await waitUntil(() => a.rx.records.length === 4, 10_000, 'all four');
  assert.deepEqual(ids(a.rx), ['m0', 'm1', 'm2', 'm3']);
  // a new event after recovery gets a fresh sequence number
  assert.ok(store.add('h', '{}').seq > Math.max(...recovered));
});

test('max_message_rate shapes the sending', async () => {
  const a = await setup('batch_size = 1\nmax_message_rate = "20/s,max_burst=1"\nconnection_limit = 1');
  const t0 = Date.now();
  await a.add(10);
  await waitUntil(() => a.rx.records.length === 10, 20_000, 'ten records');
  // 10 events at one per 50 ms take at least 450 ms: a lower bound only, which a slow machine cannot break
  assert.ok(Date.now() - t0 >= 400, `rate-limited (${Date.now() - t0} ms)`);
});

const event = (i: number) => JSON.stringify({ type: 'Delivery', id: `m${i}`, recipient: `r${i}@x.test`, meta: { tenant: 't1' }, event_time: 't', num_attempts: 1 });

test('max_age: events older than it are dropped, counted and logged, never sent; younger ones are sent', async () => {
  const a = await setup('batch_size = 10\nmax_age = "1h"');
  const old = a.store.add('h', event(0), Date.now() - 2 * 3_600_000);
  const young = a.store.add('h', event(1));
  await Promise.all([old.written, young.written]);
  a.q.push(old.seq, young.seq);
  await waitUntil(() => a.q.stats.delivered === 1, 10_000, 'the young event taken');
  assert.equal(a.q.stats.expired, 1);
  assert.deepEqual(ids(a.rx), ['m1'], 'the expired event is not sent');
  assert.equal(a.store.get('h', old.seq), undefined, 'and removed from the store');
  assert.ok(lines.some((l) => /older than max_age dropped/.test(String(l.msg)) && l.events === 1 && l.max_age_s === 3600), 'logged with the count and max_age');
});

test('view(): the backlog and the age of the oldest waiting event while the receiver refuses', async () => {
  const a = await setup('batch_size = 5');
  assert.deepEqual(a.q.view(), { hook: 'h', backlog: 0, inflight: 0, oldestAgeS: 0 }, 'an empty queue');
  a.rx.status = 503;
  const e = a.store.add('h', event(0), Date.now() - 60_000);
  await e.written;
  a.q.push(e.seq);
  await waitUntil(() => a.q.stats.retries >= 1, 10_000, 'refused once');
  const v = a.q.view();
  assert.equal(v.backlog, 1);
  assert.ok(v.oldestAgeS >= 60 && v.oldestAgeS < 3_600, `the oldest event's age (${v.oldestAgeS} s)`);
  // the same view at a metrics scrape
  const views = () => [a.q.view()];
  liveHookQueues.add(views);
  try {
    const text = await metricsRegistry().metrics();
    assert.match(text, /^kumo_ts_hook_backlog\{hook="h"\} 1$/m);
    // 0 between attempts, 1 if the retry is already on the wire at the scrape
    assert.match(text, /^kumo_ts_hook_inflight\{hook="h"\} [01]$/m);
    const age = Number(/^kumo_ts_hook_oldest_age_seconds\{hook="h"\} (\S+)$/m.exec(text)?.[1]);
    assert.ok(age >= 60, `oldest age at the scrape (${age})`);
  } finally {
    liveHookQueues.delete(views);
  }
  // while its next attempt is on the wire the event is still the oldest waiting one
  a.rx.delayMs = 2_000;
  await waitUntil(() => a.q.view().inflight === 1, 10_000, 'the event sent again');
  const during = a.q.view();
  assert.ok(during.oldestAgeS >= 60, `the age of an event in flight (${during.oldestAgeS} s)`);
});

test('a 5000-event batch refused then taken: the queue compacts and requeues it without losing or repeating one', async () => {
  const a = await setup('batch_size = 5000\ntimeout = "30s"');
  a.rx.status = 503;
  const added = Array.from({ length: 5000 }, (_, i) => a.store.add('h', event(i)));
  await Promise.all(added.map((x) => x.written));
  a.q.push(...added.map((x) => x.seq));
  await waitUntil(() => a.q.stats.retries >= 1, 30_000, 'the batch refused');
  assert.equal(a.q.backlog, 5000, 'requeued whole');
  a.rx.status = 200;
  await waitUntil(() => a.q.stats.delivered === 5000, 60_000, 'all 5000 taken');
  assert.equal(a.rx.records.length, 5000);
  assert.equal(a.rx.duplicates(), 0);
  assert.deepEqual(ids(a.rx), Array.from({ length: 5000 }, (_, i) => `m${i}`), 'in order');
});

test('a key source that cannot be read at send time: retried with the reason, the events kept, sent once it can', async () => {
  const keys = tempTree();
  cleanups.push(keys.cleanup);
  const path = join(keys.dir, 'token');
  const a = await setup(`batch_size = 1\nbearer_token = { path = "${path}" }`);
  await a.add(1);
  await waitUntil(() => a.q.stats.retries >= 1, 10_000, 'retried');
  assert.equal(a.rx.requests.length, 0, 'nothing sent without the token');
  assert.ok(lines.some((l) => /sending events failed; retrying/.test(String(l.msg)) && String(l.reason).includes(path)), 'the reason names the key file');
  keys.write('token', 'tok\n');
  await waitUntil(() => a.q.stats.delivered === 1, 15_000, 'sent once the key can be read');
  assert.equal(a.rx.requests[0]!.auth, 'Bearer tok');
});
