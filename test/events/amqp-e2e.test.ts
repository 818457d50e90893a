// AMQP log hooks end to end against a real rabbitmq-server (its own node, dirs and loopback
// ports): 1,000 Delivery records published with confirms, consumed by id from a durable queue;
// the broker is restarted mid-flow and nothing is lost.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import amqp from 'amqplib';
import type { Channel, ChannelModel } from 'amqplib';
import { needTool } from '../require-tool.js';
import { freePort, inject, labConfig, readRecords, sinksOnOnePort, startLabServer, tagged, waitUntil } from '../queue/lab.js';
import type { LogRecord } from '../../src/logging/types.js';
import { RABBITMQ_BIN, startRabbit } from './rabbitmq.js';
import type { Rabbit } from './rabbitmq.js';

const COUNT = 1000;
const EXCHANGE = 'kumo.events';
const QUEUE = 'kumo-test-events';
const cleanups: (() => unknown)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

interface Consumer {
  /** routing key by record id (Delivery records: one per message) */
  readonly byId: Map<string, string>;
  received: number;
  persistentAll: boolean;
  connect(): Promise<void>;
  close(): Promise<void>;
}

/** Consumes the durable queue with manual acks (acked after being recorded: the consumer loses nothing either). */
function consumer(url: string): Consumer {
  let conn: ChannelModel | undefined;
  const c: Consumer = {
    byId: new Map(),
    received: 0,
    persistentAll: true,
    async connect() {
      conn = await amqp.connect(url);
      conn.on('error', () => undefined);
      const ch: Channel = await conn.createChannel();
      ch.on('error', () => undefined);
      await ch.prefetch(200);
      await ch.consume(QUEUE, (msg) => {
        if (!msg) return;
        const rec = JSON.parse(msg.content.toString('utf8')) as LogRecord;
        c.received++;
        if (msg.properties.deliveryMode !== 2) c.persistentAll = false;
        assert.equal(msg.properties.messageId, rec.id);
        c.byId.set(rec.id, msg.fields.routingKey);
        ch.ack(msg);
      });
    },
    async close() {
      await conn?.close().catch(() => undefined);
      conn = undefined;
    },
  };
  return c;
}

test('1,000 records published with confirms and consumed by id; RabbitMQ restarted mid-flow: none lost', { timeout: 400_000 }, async (t) => {
  if (!needTool(t, 'rabbitmq-server')) return;
  if (!existsSync(RABBITMQ_BIN)) return t.skip(`${RABBITMQ_BIN} is absent`);
  let rabbit: Rabbit;
  try {
    rabbit = await startRabbit();
  } catch (e) {
    throw new Error(`could not start rabbitmq-server: ${(e as Error).message}`);
  }
  cleanups.push(() => rabbit.cleanup());
  // the topology the receiving side owns: a durable topic exchange and queue
  {
    const conn = await amqp.connect(rabbit.url);
    const ch = await conn.createChannel();
    await ch.assertExchange(EXCHANGE, 'topic', { durable: true });
    await ch.assertQueue(QUEUE, { durable: true });
    await ch.bindQueue(QUEUE, EXCHANGE, 'Delivery.#');
    await conn.close();
  }
  const rx = consumer(rabbit.url);
  cleanups.push(() => rx.close());
  await rx.connect();

  const got: unknown[] = [];
  const [sink] = await sinksOnOnePort(['127.0.0.2'], () => ({ onMessage: (m) => got.push(m) }));
  cleanups.push(() => sink.close());
  const smtpPort = await freePort();
  const lab = labConfig({
    smtpPort, sinkPort: sink.port,
    zone: `\n["amqp.test"]\nmx = ["10 mx.sink.test"]\n["mx.sink.test"]\na = ["127.0.0.2"]\n`,
    queues: 'tenant_header = "X-Tenant"\n',
    main: `
[log_hook.bus]
kind = "amqp"
url = "${rabbit.url}"
exchange = "${EXCHANGE}"
routing_key = "{type}.{tenant}"
types = ["Delivery"]
batch_size = 10
batch_wait = "100ms"
max_message_rate = "50/s"
retry_interval = "250ms"
max_retry_interval = "2s"
timeout = "10s"
`,
  });
  cleanups.push(lab.cleanup);
  const kumo = await startLabServer(lab.dir);
  cleanups.push(() => kumo.stop('SIGKILL'));
  const msgs = Array.from({ length: COUNT }, (_, i) => ({ from: 'sender@kumo.test', to: [`u${i}@amqp.test`], data: tagged(i, `X-Tenant: t${i % 3}\r\n`) }));
  const injecting = inject(smtpPort, msgs, 8);

  // mid-flow: a third of the records consumed, the rest still queued in hook:bus (50/s)
  await waitUntil(() => rx.byId.size >= COUNT / 3, 120_000, `a third consumed (have ${rx.byId.size})`);
  const before = rx.byId.size;
  await rx.close();
  await rabbit.stop();
  await kumo.waitFor((l) => /hook:bus: sending events failed; retrying/.test(String(l.msg)), 60_000, 'the hook retrying while the broker is down');
  await rabbit.start();
  await rx.connect();
  assert.ok(before < COUNT * 0.8, `the broker went away mid-flow (${before} consumed before)`);
  assert.equal((await injecting).size, COUNT);
  await waitUntil(() => rx.byId.size >= COUNT, 240_000, `every record consumed (have ${rx.byId.size})`).catch((e: Error) => {
    throw new Error(`${e.message}\nkumo log:\n${kumo.lines.slice(-15).map((l) => JSON.stringify(l)).join('\n')}`);
  });
  await kumo.stop('SIGTERM');

  const deliveries = readRecords(join(lab.dir, 'logs')).filter((r) => r.type === 'Delivery');
  assert.equal(deliveries.length, COUNT);
  for (const r of deliveries) {
    assert.ok(rx.byId.has(r.id), `Delivery record ${r.id} consumed`);
    assert.equal(rx.byId.get(r.id), `Delivery.${(r.meta as { tenant?: string }).tenant}`, 'routing key from the record fields');
  }
  assert.ok(rx.persistentAll, 'every message persistent (delivery mode 2)');
  t.diagnostic(`consumed ${rx.received} messages for ${rx.byId.size} records (${before} before the broker restart); duplicates: ${rx.received - rx.byId.size}`);
  const stopped = kumo.lines.find((l) => String(l.msg).startsWith('hook:bus: stopped'));
  assert.equal(stopped?.backlog, 0);
  assert.ok(Number(stopped?.retries) >= 1, 'sends were retried while the broker was down');
});
