import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseThrottle } from '../../src/config/values.js';
import { createLogger } from '../../src/logging/logger.js';
import { ShapingGateImpl } from '../../src/shaping/gate.js';
import type { Lease } from '../../src/shaping/gate.js';
import { RedisLimits } from '../../src/shaping/redis-limits.js';
import { DEFAULT_SHAPING } from '../../src/shaping/types.js';
import type { EffectiveShaping, ShapingQuery } from '../../src/shaping/types.js';
import { freePort, startRedis } from './redis-server.js';
import { requireTool } from '../require-tool.js';
import type { RedisProcess } from './redis-server.js';

const skip = requireTool('redis-server');
const q = (site: string, source = 'ip-1'): ShapingQuery => ({ domain: 'd.example', site, mxHosts: [site], source });
const shaping = (o: Partial<EffectiveShaping>): EffectiveShaping => ({ ...DEFAULT_SHAPING, ...o });
const isLease = (x: Lease | { waitMs: number }): x is Lease => 'release' in x;

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached');
    await sleep(20);
  }
}

async function untilAsync(cond: () => Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not reached');
    await sleep(20);
  }
}

describe('Redis-shared throttles and connection limits', { skip }, () => {
  let redis: RedisProcess;
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({ out: (l) => lines.push(JSON.parse(l)) });
  const closers: (() => Promise<void>)[] = [];
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    for (const c of closers.reverse()) await c();
    await redis?.stop();
  });
  /** A "node": its own gate and Redis connection. */
  async function node(opts: { leaseTtlMs?: number; renewEveryMs?: number; url?: string; commandTimeoutMs?: number } = {}): Promise<ShapingGateImpl> {
    const g = new ShapingGateImpl(undefined, log, { redisUrl: opts.url ?? redis.url, redis: { leaseTtlMs: opts.leaseTtlMs, commandTimeoutMs: opts.commandTimeoutMs }, renewEveryMs: opts.renewEveryMs });
    closers.push(() => g.close());
    if (!opts.url) await until(() => g.redis!.available);
    return g;
  }

  test('GCRA in Lua: "10/s" gives a burst of 10 then spaces units 100 ms apart, across nodes', async () => {
    const a = await node();
    const b = await node();
    const t = parseThrottle('10/s');
    const s = shaping({ max_message_rate: t });
    let ok = 0;
    for (let i = 0; i < 10; i++) if ((await (i % 2 ? a : b).messageDelay(q('gcra.site'), s)) === 0) ok++;
    assert.equal(ok, 10);
    const wait = await a.messageDelay(q('gcra.site'), s);
    assert.ok(wait > 0 && wait <= 100, `wait ${wait}`);
    assert.ok((await b.messageDelay(q('gcra.site'), s)) > 0, 'the other node sees the same throttle');
    await sleep(wait + 20);
    assert.equal(await b.messageDelay(q('gcra.site'), s), 0);
  });

  test('two nodes share connection_limit = 2 through leases', async () => {
    const a = await node();
    const b = await node();
    const s = shaping({ connection_limit: 2 });
    const l1 = await a.acquireConnection(q('shared.site'), s);
    const l2 = await b.acquireConnection(q('shared.site'), s);
    assert.ok(isLease(l1) && isLease(l2));
    assert.ok(!isLease(await a.acquireConnection(q('shared.site'), s)));
    assert.ok(!isLease(await b.acquireConnection(q('shared.site'), s)));
    assert.equal(await a.redis!.count('path:ip-1->shared.site'), 2);
    l1.release();
    // the release reaches Redis asynchronously: wait for the count to drop, then the slot is free
    await untilAsync(async () => (await a.redis!.count('path:ip-1->shared.site')) === 1);
    assert.ok(isLease(await b.acquireConnection(q('shared.site'), s)), 'the released slot is usable from the other node');
    assert.ok(!isLease(await a.acquireConnection(q('shared.site'), s)), 'and the limit is full again');
  });

  test('local: limits stay in process even with Redis', async () => {
    const a = await node();
    const b = await node();
    const s = shaping({ connection_limit: 1, local_limits: ['connection_limit'] });
    assert.ok(isLease(await a.acquireConnection(q('local.site'), s)));
    assert.ok(isLease(await b.acquireConnection(q('local.site'), s)), 'each node has its own local limit');
    assert.ok(!isLease(await a.acquireConnection(q('local.site'), s)));
    const t = shaping({ max_message_rate: parseThrottle('local:1/min') });
    assert.equal(await a.messageDelay(q('local.site'), t), 0);
    assert.equal(await b.messageDelay(q('local.site'), t), 0);
    assert.ok((await a.messageDelay(q('local.site'), t)) > 0);
  });

  test('a lease of a node that stops renewing lapses after its TTL; a renewed one does not', async () => {
    const direct = new RedisLimits(redis.url, log, { leaseTtlMs: 400 });
    closers.push(() => direct.close());
    await until(() => direct.available);
    assert.equal(await direct.acquire([{ key: 'ttl.site', limit: 1 }], 'dead-node-lease'), true);
    assert.equal(await direct.acquire([{ key: 'ttl.site', limit: 1 }], 'other'), false);
    await sleep(600);
    assert.equal(await direct.acquire([{ key: 'ttl.site', limit: 1 }], 'other'), true, 'the unrenewed lease lapsed');

    const a = await node({ leaseTtlMs: 400, renewEveryMs: 100 });
    const b = await node({ leaseTtlMs: 400, renewEveryMs: 100 });
    const s = shaping({ connection_limit: 1 });
    const held = await a.acquireConnection(q('renew.site'), s);
    assert.ok(isLease(held));
    await sleep(1000);
    assert.ok(!isLease(await b.acquireConnection(q('renew.site'), s)), 'renewed while in use');
    held.release();
    await untilAsync(async () => (await b.redis!.count('path:ip-1->renew.site')) === 0);
    assert.ok(isLease(await b.acquireConnection(q('renew.site'), s)));
  });

  test('Redis down: the node falls back to local limits and says so; Redis back: shared again', async () => {
    const port = await freePort();
    const g = await node({ url: `redis://127.0.0.1:${port}` });
    const s = shaping({ connection_limit: 1 });
    await until(() => lines.some((l) => l.msg === 'shaping: Redis unavailable; using local (per-node) limits until it is back' && String(l.redis).endsWith(`:${port}`)));
    const l1 = await g.acquireConnection(q('down.site'), s);
    assert.ok(isLease(l1), 'local fallback still hands out connections');
    assert.ok(!isLease(await g.acquireConnection(q('down.site'), s)), 'and still enforces the limit locally');
    assert.equal(await g.messageDelay(q('down.site'), shaping({ max_message_rate: parseThrottle('1/min') })), 0);

    const r2 = await startRedis(port);
    closers.push(() => r2.stop());
    await until(() => g.redis!.available, 8000);
    // this node's own line (other nodes of the file log "shared through Redis" too)
    assert.ok(
      lines.some((l) => l.msg === 'shaping: Redis is reachable again; throttles and connection limits are shared again' && String(l.redis).endsWith(`:${port}`)),
      'the node says Redis is back',
    );
    // the fallback lease is released locally; new ones are taken in Redis
    l1.release();
    const l2 = await g.acquireConnection(q('down.site'), s);
    assert.ok(isLease(l2));
    assert.equal(await g.redis!.count('path:ip-1->down.site'), 1);

    await r2.stop();
    await until(() => !g.redis!.available);
    assert.ok(isLease(await g.acquireConnection(q('down2.site'), s)), 'falls back again when Redis goes away mid-run');
  });

  test('refundRates gives back a unit taken in Redis', async () => {
    const direct = new RedisLimits(redis.url, log);
    closers.push(() => direct.close());
    await until(() => direct.available);
    const items = [{ key: 'refund.site', t: parseThrottle('2/min') }];
    assert.equal(await direct.takeRates(items), 0);
    assert.equal(await direct.takeRates(items), 0);
    assert.ok((await direct.takeRates(items)) > 0, 'the burst of 2 is used up');
    await direct.refundRates(items);
    assert.equal(await direct.takeRates(items), 0, 'the refunded unit can be taken again');
    assert.ok((await direct.takeRates(items)) > 0);
  });

  test('Redis stalls (connection open, no answers): each decision falls back to local limits; answers again: shared again', async () => {
    const r3 = await startRedis();
    closers.push(() => r3.stop());
    const g = await node({ url: r3.url, commandTimeoutMs: 300, renewEveryMs: 100 });
    await until(() => g.redis!.available);
    const s = shaping({ connection_limit: 1 });
    const held = await g.acquireConnection(q('stall.site'), s);
    assert.ok(isLease(held));
    assert.equal(await g.redis!.count('path:ip-1->stall.site'), 1);
    const failed = () => lines.filter((l) => l.msg === 'shaping: Redis command failed; using local limits for this decision' && l.redis === r3.url);
    r3.child.kill('SIGSTOP');
    try {
      // the lease renewal times out too (and is logged, not thrown)
      await until(() => failed().length >= 1, 10_000);
      const l1 = await g.acquireConnection(q('stall.site'), s);
      assert.ok(isLease(l1), 'the local fallback hands out a connection (the Redis lease is not visible locally)');
      assert.ok(!isLease(await g.acquireConnection(q('stall.site'), s)), 'and enforces the limit locally');
      assert.equal(g.redis!.available, true, 'a slow command does not mark Redis down');
      assert.ok(failed().every((l) => /timed out/i.test(String(l.error))), JSON.stringify(failed()[0]));
      l1.release();
    } finally {
      r3.child.kill('SIGCONT');
    }
    held.release();
    await untilAsync(async () => {
      try {
        return (await g.redis!.count('path:ip-1->stall.site')) === 0;
      } catch {
        return false;
      }
    }, 10_000);
    const l2 = await g.acquireConnection(q('stall.site'), s);
    assert.ok(isLease(l2));
    assert.equal(await g.redis!.count('path:ip-1->stall.site'), 1, 'the next decision is shared in Redis again');
    l2.release();
  });
});
