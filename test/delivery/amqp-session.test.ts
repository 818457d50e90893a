// One AMQP delivery session against a real rabbitmq-server (test/events/rabbitmq.ts): the
// password from auth (a key source) is put into the URL, a connect that completes after the
// shutdown signal is dropped, a link lost while idle is reconnected on the next message, and a
// destroyed session refuses to publish.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import amqp from 'amqplib';
import type { EgressSource } from '../../src/config/egress.js';
import type { AmqpProtocol } from '../../src/delivery/amqp-protocol.js';
import { openAmqpSession } from '../../src/delivery/amqp-session.js';
import { disposition } from '../../src/delivery/response.js';
import { ConnectError } from '../../src/delivery/smtp-client.js';
import { inlineKeySource } from '../../src/keys/key-source.js';
import type { Job } from '../../src/queue/job.js';
import type { SpoolMeta } from '../../src/spool/types.js';
import { haveTool } from '../require-tool.js';
import { RABBITMQ_BIN, startRabbit } from '../events/rabbitmq.js';
import type { Rabbit } from '../events/rabbitmq.js';

const QUEUE = 'kumo-session-test';
const SOURCE: EgressSource = { name: 'unspecified', file: '' };
const META = { id: 'm1', receivedAt: Date.now() } as unknown as SpoolMeta;
const JOB = {} as Job;
const usable = haveTool('rabbitmq-server') && existsSync(RABBITMQ_BIN);

describe('AmqpSession against a real rabbitmq-server', { timeout: 300_000, skip: usable ? false : `rabbitmq-server (${RABBITMQ_BIN}) is absent` }, () => {
  let rabbit: Rabbit;
  let proto: (password: string) => AmqpProtocol;

  before(async () => {
    rabbit = await startRabbit();
    const conn = await amqp.connect(rabbit.url);
    const ch = await conn.createChannel();
    await ch.assertQueue(QUEUE, { durable: true });
    await conn.close();
    // no credentials in the URL: they come from auth alone
    const url = `amqp://127.0.0.1:${rabbit.port}/`;
    proto = (password) => ({
      kind: 'amqp', url, endpoint: `amqp://guest@127.0.0.1:${rabbit.port}/`, host: '127.0.0.1', port: rabbit.port, exchange: '', routingKey: QUEUE,
      body: 'raw', headers: {}, timeoutMs: 20_000, unroutable: 'retry', auth: { username: 'guest', password: inlineKeySource(password) },
    });
  });
  after(async () => {
    await rabbit?.cleanup();
  });

  const facts = (p: AmqpProtocol) => () => ({ protocol: p, meta: META, queue: 'q.test', domain: 'q.test' });
  const send = async (s: Awaited<ReturnType<typeof openAmqpSession>>) => (await s.send('a@x.test', ['b@q.test'], Buffer.from('Subject: t\r\n\r\nhi\r\n'), { job: JOB })).get('b@q.test')!;
  const queued = async () => {
    const conn = await amqp.connect(rabbit.url);
    try {
      const ch = await conn.createChannel();
      return (await ch.checkQueue(QUEUE)).messageCount;
    } finally {
      await conn.close();
    }
  };

  test('the password from auth is used: the right one publishes, a wrong one is a connect failure', async () => {
    const wrong = proto('not-the-password');
    await assert.rejects(openAmqpSession(wrong, SOURCE, facts(wrong), new AbortController().signal), (e: unknown) => {
      assert.ok(e instanceof ConnectError);
      assert.match(e.reply.text, /AMQP connect to amqp:\/\/guest@127\.0\.0\.1:\d+\/ failed/);
      assert.doesNotMatch(e.reply.text, /not-the-password/);
      return true;
    });
    const p = proto('guest\n');
    const s = await openAmqpSession(p, SOURCE, facts(p), new AbortController().signal);
    try {
      const r = await send(s);
      assert.equal(disposition(r), 'delivered', r.text);
      assert.equal(await queued(), 1);
    } finally {
      await s.quit();
    }
  });

  test('a connect that completes after the shutdown signal is dropped: a ConnectError, no session', async () => {
    const ac = new AbortController();
    ac.abort();
    const p = proto('guest');
    await assert.rejects(openAmqpSession(p, SOURCE, facts(p), ac.signal), (e: unknown) => {
      assert.ok(e instanceof ConnectError);
      assert.equal(e.reply.code, 451);
      assert.match(e.reply.text, /AMQP connect aborted: shutting down/);
      return true;
    });
  });

  test('a link lost while idle (broker restarted) is reconnected for the next message; a destroyed session publishes nothing', async () => {
    const p = proto('guest');
    const s = await openAmqpSession(p, SOURCE, facts(p), new AbortController().signal);
    try {
      await rabbit.stop();
      // the broker's close arrives before (or just after) its exit
      for (let i = 0; s.usable && i < 200; i++) await new Promise((r) => setTimeout(r, 50));
      assert.equal(s.usable, false, 'the lost link is seen');
      await rabbit.start();
      const before = await queued();
      const r = await send(s);
      assert.equal(disposition(r), 'delivered', r.text);
      assert.equal(await queued(), before + 1);
      s.destroy();
      assert.equal(s.usable, false);
      const r2 = await send(s);
      assert.equal(disposition(r2), 'transient');
      assert.match(r2.text, /the AMQP session is closed \(shutting down\)/);
      assert.equal(await queued(), before + 1, 'nothing published after destroy');
    } finally {
      s.destroy();
    }
  });
});
