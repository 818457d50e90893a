import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { startSink } from '../../src/sink/sink.js';
import type { SinkMessage } from '../../src/sink/sink.js';
import { freePort, inject, labConfig, seqOf, startLabServer, tagged, waitUntil } from '../queue/lab.js';
import type { Outgoing } from '../queue/lab.js';
import { countingProxy } from './counting-proxy.js';
import { startRedis } from './redis-server.js';
import { requireTool } from '../require-tool.js';

const cleanups: (() => unknown)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

const ZONE = '["cl.test"]\nmx = ["10 mx.cl.test"]\n["mx.cl.test"]\na = ["127.0.0.2"]\n';
const SHAPING = '["cl.test"]\nconnection_limit = 2\nmax_deliveries_per_connection = 5\n';

test('two kumo-ts nodes with one redis-server share connection_limit = 2: the sink never sees more than 2 connections in total',
  { skip: requireTool('redis-server'), timeout: 120_000 }, async () => {
    const redis = await startRedis();
    cleanups.push(() => redis.stop());
    const got: SinkMessage[] = [];
    const sink = await startSink({ dataDelayMs: 20, onMessage: (m) => got.push(m) });
    cleanups.push(() => sink.close());
    let proxy;
    for (let attempt = 0; !proxy; attempt++) {
      try {
        proxy = await countingProxy('127.0.0.2', await freePort(), { host: sink.host, port: sink.port });
      } catch (e) {
        if (attempt > 5) throw e;
      }
    }
    cleanups.push(() => proxy.close());

    const nodes = [];
    for (let n = 0; n < 2; n++) {
      const smtpPort = await freePort();
      const lab = labConfig({ smtpPort, sinkPort: proxy.port, zone: ZONE, main: `[redis]\nurl = "${redis.url}"\n` });
      lab.write('config/shaping.toml', SHAPING);
      cleanups.push(lab.cleanup);
      const kumo = await startLabServer(lab.dir);
      cleanups.push(() => kumo.stop());
      await kumo.waitFor((l) => l.msg === 'shaping: throttles and connection limits are shared through Redis', 10_000, 'Redis connected');
      nodes.push({ smtpPort, kumo });
    }

    const batch = (base: number): Outgoing[] => Array.from({ length: 100 }, (_, i) => ({ from: 'cluster@kumo.test', to: [`u${base + i}@cl.test`], data: tagged(base + i) }));
    const accepted = await Promise.all(nodes.map((n, i) => inject(n.smtpPort, batch(i * 1000), 5)));
    assert.deepEqual(accepted.map((a) => a.size), [100, 100]);
    await waitUntil(() => got.length >= 200, 90_000, '200 messages at the sink');
    const seqs = got.map((m) => seqOf(m.data));
    assert.equal(seqs.filter((s) => s < 1000).length, 100, 'node 1 delivered all of its messages');
    assert.equal(seqs.filter((s) => s >= 1000).length, 100, 'node 2 delivered all of its messages');
    assert.ok(proxy.counter.max <= 2, `the sink saw ${proxy.counter.max} concurrent connections`);
    assert.equal(proxy.counter.max, 2);
    assert.ok(proxy.counter.total >= 40, `max_deliveries_per_connection = 5 → at least 40 connections (got ${proxy.counter.total})`);
  });
