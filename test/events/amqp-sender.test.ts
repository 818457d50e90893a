// The AMQP log hook sender against a real rabbitmq-server: what each way a publish can fail
// comes to (returned unroutable, nack, channel lost, no confirm in time), and that the sender
// reconnects after a lost or timed-out link.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import amqp from 'amqplib';
import { needTool } from '../require-tool.js';
import { AmqpSender } from '../../src/events/amqp-sender.js';
import type { LogHookSettings } from '../../src/events/hook-config.js';
import type { HookEvent } from '../../src/events/payload.js';
import { RABBITMQ_BIN, startRabbit } from './rabbitmq.js';

const cleanups: (() => unknown)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

function settings(url: string, over: Partial<LogHookSettings> = {}): LogHookSettings {
  return {
    name: 'bus',
    kind: 'amqp',
    url,
    enable: true,
    batchSize: 10,
    batchWaitMs: 0,
    contentType: 'application/json',
    headers: {},
    timeoutMs: 20_000,
    exchange: 'kumo.t',
    routingKey: 'ok.delivery',
    connectionLimit: 1,
    retryIntervalMs: 1000,
    maxRetryIntervalMs: 10_000,
    maxAgeMs: 3_600_000,
    ...over,
  };
}

const events: HookEvent[] = [
  { seq: 1, json: JSON.stringify({ id: 'r1', type: 'Delivery', recipient: 'a@example.com' }) },
  { seq: 2, json: JSON.stringify({ id: 'r2', type: 'Delivery', recipient: 'b@example.com' }) },
];

test('a payload that cannot be made is a retry naming why (no connection is opened)', async () => {
  // nothing listens on this URL: the payload is made before connecting
  const hook = settings('amqp://guest:guest@127.0.0.1:1/', { routingKey: '{type}.x' });
  const s = new AmqpSender(hook);
  const r = await s.send([{ seq: 7, json: 'not json' }], hook);
  assert.equal(r.kind, 'retry');
  assert.match((r as { reason: string }).reason, /queued event 7 is not valid JSON/);
  await s.close(Date.now() + 1000);
});

test('returned unroutable, nack, channel lost and no confirm in time are retries; the sender reconnects', { timeout: 300_000 }, async (t) => {
  if (!needTool(t, 'rabbitmq-server')) return;
  if (!existsSync(RABBITMQ_BIN)) return t.skip(`${RABBITMQ_BIN} is absent`);
  const rabbit = await startRabbit();
  cleanups.push(() => rabbit.cleanup());
  {
    const conn = await amqp.connect(rabbit.url);
    const ch = await conn.createChannel();
    await ch.assertExchange('kumo.t', 'topic', { durable: true });
    await ch.assertQueue('q.ok', { durable: true });
    await ch.bindQueue('q.ok', 'kumo.t', 'ok.#');
    // a queue that takes nothing and says so: the broker nacks what is routed to it
    await ch.assertQueue('q.full', { durable: true, arguments: { 'x-max-length': 0, 'x-overflow': 'reject-publish' } });
    await ch.bindQueue('q.full', 'kumo.t', 'full.#');
    await conn.close();
  }
  const base = settings(rabbit.url);
  const s = new AmqpSender(base);
  cleanups.push(() => s.close(Date.now() + 5000));
  const reason = (r: { kind: string }) => (r as { reason?: string }).reason ?? '';

  assert.deepEqual(await s.send(events, base), { kind: 'done' });

  const unbound = await s.send(events, settings(rabbit.url, { routingKey: 'nobody.delivery' }));
  assert.equal(unbound.kind, 'retry');
  assert.match(reason(unbound), /^2 message\(s\) returned unroutable by exchange "kumo\.t" \(routing key "nobody\.delivery"\): no queue is bound/);

  const full = await s.send(events, settings(rabbit.url, { routingKey: 'full.delivery' }));
  assert.equal(full.kind, 'retry');
  assert.equal(reason(full), 'the broker did not confirm (nack)');

  // a missing exchange: the broker closes the channel (404)
  const lost = await s.send(events, settings(rabbit.url, { exchange: 'no.such.exchange' }));
  assert.equal(lost.kind, 'retry');
  assert.match(reason(lost), /AMQP (channel|connection) (error|closed)/);
  assert.deepEqual(await s.send(events, base), { kind: 'done' }, 'a new link after the lost one');

  // the broker frozen: no confirm comes
  rabbit.pause();
  let slow;
  try {
    slow = await s.send(events, settings(rabbit.url, { timeoutMs: 1500 }));
  } finally {
    rabbit.resume();
  }
  assert.equal(slow.kind, 'retry');
  assert.equal(reason(slow), 'no confirm within 1500 ms');
  assert.deepEqual(await s.send(events, base), { kind: 'done' }, 'a new link after the timed-out one');

  // everything confirmed as done reached the queue: 3 rounds of 2
  const conn = await amqp.connect(rabbit.url);
  const ch = await conn.createChannel();
  const q = await ch.checkQueue('q.ok');
  assert.ok(q.messageCount >= 6, `q.ok holds ${q.messageCount} messages`);
  await conn.close();
});
