import { Redis } from 'ioredis';
import type { Logger } from '../logging/logger.js';
import type { LimitBackend, LimitItem, RateItem } from './limits.js';

/**
 * Limits shared by every node through Redis. Throttles are GCRA in a Lua script (one TAT key
 * per throttle, all-or-none over the keys of a decision); connection limits are leases: members
 * of a sorted set scored by their expiry, renewed while the connection lives, so a crashed
 * node's leases lapse by themselves. Times come from the Redis server (`TIME`), so node clocks
 * need not agree. Keys share one hash tag so the multi-key scripts also work on Redis Cluster.
 */
const PREFIX = 'kumo-ts:{shaping}:';

const GCRA_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local wait = 0
local tats = {}
for i = 1, #KEYS do
  local T = tonumber(ARGV[(i - 1) * 2 + 1])
  local B = tonumber(ARGV[(i - 1) * 2 + 2])
  local tat = tonumber(redis.call('GET', KEYS[i]) or now)
  if tat < now then tat = now end
  local newTat = tat + T
  local over = newTat - now - T * B
  if over > wait then wait = over end
  tats[i] = newTat
end
if wait > 0 then return tostring(math.ceil(wait)) end
for i = 1, #KEYS do
  redis.call('SET', KEYS[i], tostring(tats[i]), 'PX', math.ceil(tats[i] - now) + 1000)
end
return '0'
`;

const REFUND_LUA = `
for i = 1, #KEYS do
  local tat = tonumber(redis.call('GET', KEYS[i]))
  if tat then redis.call('SET', KEYS[i], tostring(tat - tonumber(ARGV[i])), 'KEEPTTL') end
end
return 1
`;

// ARGV: leaseId, ttlMs, limit per key
const ACQUIRE_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local id = ARGV[1]
local ttl = tonumber(ARGV[2])
for i = 1, #KEYS do
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now)
  if redis.call('ZCARD', KEYS[i]) >= tonumber(ARGV[i + 2]) then return 0 end
end
for i = 1, #KEYS do
  redis.call('ZADD', KEYS[i], now + ttl, id)
  redis.call('PEXPIRE', KEYS[i], ttl * 2)
end
return 1
`;

// ARGV: ttlMs, then leaseId per key
const RENEW_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[1])
local lost = 0
for i = 1, #KEYS do
  if redis.call('ZADD', KEYS[i], 'XX', 'CH', now + ttl, ARGV[i + 1]) == 0 and not redis.call('ZSCORE', KEYS[i], ARGV[i + 1]) then
    lost = lost + 1
  else
    redis.call('PEXPIRE', KEYS[i], ttl * 2)
  end
end
return lost
`;

type ScriptClient = Redis & {
  kumoGcra(n: number, ...args: (string | number)[]): Promise<string>;
  kumoRefund(n: number, ...args: (string | number)[]): Promise<number>;
  kumoAcquire(n: number, ...args: (string | number)[]): Promise<number>;
  kumoRenew(n: number, ...args: (string | number)[]): Promise<number>;
};

/** Thrown when Redis cannot answer now; the caller falls back to local limits. */
export class RedisUnavailable extends Error {
  readonly code = 'REDIS_UNAVAILABLE';
}

export interface RedisLimitsOptions {
  /** lease lifetime without renewal (default 30 s) */
  leaseTtlMs?: number;
  /** per-command timeout (default 1 s) */
  commandTimeoutMs?: number;
}

export class RedisLimits implements LimitBackend {
  readonly redis: ScriptClient;
  readonly leaseTtlMs: number;
  private state: 'connecting' | 'up' | 'down' = 'connecting';
  private closed = false;

  constructor(readonly url: string, private readonly log: Logger, opts: RedisLimitsOptions = {}) {
    this.leaseTtlMs = opts.leaseTtlMs ?? 30_000;
    const redis = new Redis(url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: opts.commandTimeoutMs ?? 1000,
      connectTimeout: 2000,
      retryStrategy: (times) => Math.min(200 * times, 2000),
    });
    redis.defineCommand('kumoGcra', { lua: GCRA_LUA });
    redis.defineCommand('kumoRefund', { lua: REFUND_LUA });
    redis.defineCommand('kumoAcquire', { lua: ACQUIRE_LUA });
    redis.defineCommand('kumoRenew', { lua: RENEW_LUA });
    redis.on('ready', () => {
      if (this.state === 'down') log.info('shaping: Redis is reachable again; throttles and connection limits are shared again', { redis: url });
      else log.info('shaping: throttles and connection limits are shared through Redis', { redis: url });
      this.state = 'up';
    });
    redis.on('error', (e: Error) => this.down(e.message));
    redis.on('close', () => this.down('connection closed'));
    this.redis = redis as ScriptClient;
  }

  get available(): boolean {
    return this.state === 'up' && this.redis.status === 'ready';
  }

  /** Logs once per outage (and once at start when Redis cannot be reached). */
  private down(why: string): void {
    if (this.closed || this.state === 'down') return;
    this.state = 'down';
    this.log.warn('shaping: Redis unavailable; using local (per-node) limits until it is back', { redis: this.url, error: why });
  }

  private async call<T>(fn: () => Promise<T>): Promise<T> {
    if (!this.available) throw new RedisUnavailable('Redis is not connected');
    try {
      return await fn();
    } catch (e) {
      // a dropped connection marks Redis down until 'ready'; a slow command only falls back once
      if (this.redis.status !== 'ready') this.down((e as Error).message);
      else this.log.warn('shaping: Redis command failed; using local limits for this decision', { redis: this.url, error: (e as Error).message });
      throw new RedisUnavailable((e as Error).message);
    }
  }

  async takeRates(items: readonly RateItem[]): Promise<number> {
    if (!items.length) return 0;
    const args: (string | number)[] = items.map((i) => PREFIX + 'rate:' + i.key);
    for (const i of items) args.push(i.t.intervalMs, i.t.maxBurst);
    const res = await this.call(() => this.redis.kumoGcra(items.length, ...args));
    return Number(res);
  }

  async refundRates(items: readonly RateItem[]): Promise<void> {
    if (!items.length) return;
    const args: (string | number)[] = items.map((i) => PREFIX + 'rate:' + i.key);
    for (const i of items) args.push(i.t.intervalMs);
    await this.call(() => this.redis.kumoRefund(items.length, ...args)).catch(() => undefined);
  }

  async acquire(items: readonly LimitItem[], leaseId: string): Promise<boolean> {
    if (!items.length) return true;
    const args: (string | number)[] = items.map((i) => PREFIX + 'conn:' + i.key);
    args.push(leaseId, this.leaseTtlMs, ...items.map((i) => i.limit));
    return (await this.call(() => this.redis.kumoAcquire(items.length, ...args))) === 1;
  }

  async release(items: readonly LimitItem[], leaseId: string): Promise<void> {
    if (!items.length || !this.available) return; // an unreleased lease lapses after its TTL
    const p = this.redis.multi();
    for (const i of items) p.zrem(PREFIX + 'conn:' + i.key, leaseId);
    await p.exec().catch(() => undefined);
  }

  /** Renews many leases in one round trip; returns how many were found lost (expired). */
  async renew(leases: readonly { items: readonly LimitItem[]; leaseId: string }[]): Promise<number> {
    if (!leases.length || !this.available) return 0;
    const keys: string[] = [];
    const ids: string[] = [];
    for (const l of leases) for (const i of l.items) {
      keys.push(PREFIX + 'conn:' + i.key);
      ids.push(l.leaseId);
    }
    if (!keys.length) return 0;
    try {
      return await this.call(() => this.redis.kumoRenew(keys.length, ...keys, this.leaseTtlMs, ...ids));
    } catch {
      return 0;
    }
  }

  /** Leases currently held under a key, across every node (tests, metrics). */
  async count(key: string): Promise<number> {
    return this.call(() => this.redis.zcount(PREFIX + 'conn:' + key, Date.now(), '+inf'));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.redis.disconnect();
  }
}
