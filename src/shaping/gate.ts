import { randomUUID } from 'node:crypto';
import type { ConfigStore } from '../config/store.js';
import type { Logger } from '../logging/logger.js';
import { AutomationEngine } from './automation.js';
import { AutomationState, getActiveAutomation, setActiveAutomation } from './automation-state.js';
import { providerLimitName } from './compile.js';
import { LocalLimits } from './limits.js';
import type { LimitBackend, LimitItem, RateItem } from './limits.js';
import { RedisLimits, RedisUnavailable } from './redis-limits.js';
import type { RedisLimitsOptions } from './redis-limits.js';
import { resolvePath } from './resolve.js';
import type { DeliveryResponse, EffectiveShaping, PathInfo, ShapingQuery } from './types.js';
export type { DeliveryResponse, PathInfo } from './types.js';

export interface Lease {
  release(): void;
}

/**
 * What the delivery path asks of shaping before and after each step. All limits are keyed by
 * source × site (and provider); implementations may be local or shared through Redis.
 */
export interface ShapingGate {
  /** One more connection for this path, or how long to wait before asking again. */
  acquireConnection(q: ShapingQuery, s: EffectiveShaping): Promise<Lease | { waitMs: number }>;
  /** 0 when a message may be sent now, else the ms to wait (message-rate throttles). */
  messageDelay(q: ShapingQuery, s: EffectiveShaping): Promise<number>;
  /** Every delivery response (automation rules see it). */
  onResponse(q: PathInfo, response: DeliveryResponse): void;
  /** epoch ms until which this path is suspended by automation, if it is. */
  suspendedUntil(q: PathInfo): number | undefined;
  /**
   * Automation Bounce / BounceTenant / BounceCampaign in force for this path: the reason to
   * bounce its messages with (instead of delivering), else undefined.
   */
  bounceReason?(q: PathInfo): string | undefined;
  /**
   * Source selection (IP warm-up): true when this egress source may be picked for this path
   * now (takes one unit of `source_selection_rate` and `additional_source_selection_rates`);
   * false means: try the pool's next source.
   */
  trySelectSource?(q: ShapingQuery, s: EffectiveShaping): Promise<boolean>;
  close(): Promise<void>;
}

export interface GateOptions {
  /** Redis URL: limits not written `local:` are shared through it */
  redisUrl?: string;
  redis?: RedisLimitsOptions;
  /** persisted automation state (default: none, in memory only) */
  automation?: AutomationState;
  /** how often Redis leases are renewed (default a third of their TTL) */
  renewEveryMs?: number;
}

interface HeldLease {
  readonly leaseId: string;
  readonly shared: LimitItem[];
  readonly local: LimitItem[];
  /** where the shared items were taken: Redis, or the local fallback while it was down */
  readonly sharedIn: 'redis' | 'local';
}

/** How long to wait before asking again when a connection limit is full. */
const FULL_RETRY_MS = 100;

/**
 * The shaping gate: connection limits (connection_limit per source × site, provider limits
 * per provider × source, named additional limits), connection and message rates (GCRA),
 * source selection rates, and automation (suspend, bounce, overrides). With a Redis URL every
 * limit not written `local:` is shared by the nodes; when Redis is down, the node falls back
 * to its own local limits and says so in the log.
 */
export class ShapingGateImpl implements ShapingGate {
  readonly local = new LocalLimits();
  readonly redis: RedisLimits | undefined;
  readonly automation: AutomationState;
  private readonly engine: AutomationEngine;
  private readonly leases = new Set<HeldLease>();
  private readonly renewTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly store: ConfigStore | undefined, private readonly log: Logger | undefined, opts: GateOptions = {}) {
    this.automation = opts.automation ?? new AutomationState(undefined, log);
    this.engine = new AutomationEngine(this.automation, log);
    if (opts.redisUrl && log) {
      this.redis = new RedisLimits(opts.redisUrl, log, opts.redis);
      this.renewTimer = setInterval(() => void this.renew(), opts.renewEveryMs ?? Math.max(1000, this.redis.leaseTtlMs / 3));
      this.renewTimer.unref();
    }
  }

  private split<T extends { key: string }>(items: T[], isLocal: (i: T) => boolean): { local: T[]; shared: T[] } {
    if (!this.redis) return { local: items, shared: [] };
    const local: T[] = [];
    const shared: T[] = [];
    for (const i of items) (isLocal(i) ? local : shared).push(i);
    return { local, shared };
  }

  /** Shared limits go to Redis when it is up, else to the local fallback. */
  private async onShared<T>(fn: (b: LimitBackend) => Promise<T> | T): Promise<{ result: T; where: 'redis' | 'local' }> {
    if (this.redis?.available) {
      try {
        return { result: await fn(this.redis), where: 'redis' };
      } catch (e) {
        if (!(e instanceof RedisUnavailable)) throw e;
      }
    }
    return { result: await fn(this.local), where: 'local' };
  }

  async acquireConnection(q: ShapingQuery, s: EffectiveShaping): Promise<Lease | { waitMs: number }> {
    const until = this.suspendedUntil(q);
    if (until !== undefined) return { waitMs: Math.max(1, Math.min(until - Date.now(), 60_000)) };
    const localNames = new Set(s.local_limits ?? []);
    const items: (LimitItem & { local: boolean })[] = [
      { key: `path:${q.source}->${q.site}`, limit: s.connection_limit, local: localNames.has('connection_limit') },
    ];
    if (s.provider && s.provider_connection_limit !== undefined) {
      items.push({ key: `named:${providerLimitName(s.provider, q.source, 'limit')}`, limit: s.provider_connection_limit, local: localNames.has('provider_connection_limit') });
    }
    for (const [name, limit] of Object.entries(s.additional_connection_limits)) items.push({ key: `named:${name}`, limit, local: localNames.has(name) });
    // smallest first, as KumoMTA does, so a small limit refuses before a big one is touched
    items.sort((a, b) => a.limit - b.limit);
    if (items[0].limit <= 0) return { waitMs: 1000 };
    const { local, shared } = this.split(items, (i) => i.local);
    const leaseId = randomUUID();
    if (!this.local.acquire(local)) return { waitMs: FULL_RETRY_MS };
    const got = await this.onShared((b) => b.acquire(shared, leaseId));
    if (!got.result) {
      this.local.release(local);
      return { waitMs: FULL_RETRY_MS };
    }
    const held: HeldLease = { leaseId, local, shared, sharedIn: got.where };
    if (s.max_connection_rate) {
      const wait = await this.takeRates([{ key: `connrate:${q.source}->${q.site}`, t: s.max_connection_rate }]);
      if (wait > 0) {
        this.releaseLease(held);
        return { waitMs: wait };
      }
    }
    this.leases.add(held);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.leases.delete(held);
        this.releaseLease(held);
      },
    };
  }

  private releaseLease(h: HeldLease): void {
    this.local.release(h.local);
    if (h.sharedIn === 'local') this.local.release(h.shared);
    else void Promise.resolve(this.redis?.release(h.shared, h.leaseId)).catch(() => undefined);
  }

  private async renew(): Promise<void> {
    if (!this.redis?.available) return;
    const list = [...this.leases].filter((l) => l.sharedIn === 'redis' && l.shared.length).map((l) => ({ items: l.shared, leaseId: l.leaseId }));
    const lost = await this.redis.renew(list);
    if (lost) this.log?.warn('shaping: connection leases lapsed in Redis before renewal (Redis restarted or lease TTL too short)', { lost });
  }

  /** Takes one unit from every throttle (local ones in process), all or none. */
  private async takeRates(items: RateItem[]): Promise<number> {
    const { local, shared } = this.split(items, (i) => i.t.local);
    const wl = this.local.takeRates(local);
    if (wl > 0) return wl;
    const ws = await this.onShared((b) => b.takeRates(shared));
    if (ws.result > 0) this.local.refundRates(local);
    return ws.result;
  }

  async messageDelay(q: ShapingQuery, s: EffectiveShaping): Promise<number> {
    const items: RateItem[] = [];
    if (s.max_message_rate) items.push({ key: `msg:${q.source}->${q.site}`, t: s.max_message_rate });
    if (s.provider && s.provider_max_message_rate) items.push({ key: `named:${providerLimitName(s.provider, q.source, 'rate')}`, t: s.provider_max_message_rate });
    for (const [name, t] of Object.entries(s.additional_message_rate_throttles)) items.push({ key: `named:${name}`, t });
    return this.takeRates(items);
  }

  async trySelectSource(q: ShapingQuery, s: EffectiveShaping): Promise<boolean> {
    const items: RateItem[] = [];
    if (s.source_selection_rate) items.push({ key: `select:${q.source}->${q.site}`, t: s.source_selection_rate });
    for (const [name, t] of Object.entries(s.additional_source_selection_rates ?? {})) items.push({ key: `named:${name}`, t });
    items.sort((a, b) => a.t.limit / a.t.periodMs - b.t.limit / b.t.periodMs);
    return (await this.takeRates(items)) === 0;
  }

  onResponse(q: PathInfo, response: DeliveryResponse): void {
    if (!this.store?.loaded || this.closed) return;
    try {
      const snap = this.store.current;
      const rules = resolvePath(snap.shaping, q, this.automation).rules;
      this.engine.onResponse(rules, q, response, Date.now(), snap.bounce);
      /* c8 ignore start -- defensive: a compiled snapshot's rules do not throw; a bug here must not fail the delivery */
    } catch (e) {
      this.log?.error('shaping automation: failed to process a response', { error: (e as Error).message });
    }
    /* c8 ignore stop */
  }

  suspendedUntil(q: PathInfo): number | undefined {
    return this.automation.suspensionFor(q)?.until;
  }

  bounceReason(q: PathInfo): string | undefined {
    const e = this.automation.bounceFor(q);
    return e ? `automation rule (${e.rule.block}) bounce until ${new Date(e.until).toISOString()}: ${e.reason}` : undefined;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.renewTimer) clearInterval(this.renewTimer);
    for (const l of [...this.leases]) this.releaseLease(l);
    this.leases.clear();
    await this.automation.flush();
    if (getActiveAutomation() === this.automation) setActiveAutomation(undefined);
    await this.redis?.close();
  }
}

/**
 * In-process limits only (no Redis, no persisted automation unless given); the single-node
 * default and what tests construct directly.
 */
export class LocalShapingGate extends ShapingGateImpl {
  constructor(store?: ConfigStore, log?: Logger, automation?: AutomationState) {
    super(store, log, { automation });
  }
}

/**
 * The gate for a running server: Redis-shared when the main config has `[redis] url`, local
 * otherwise. Automation effects are loaded from (and saved to) the shaping automation state
 * file and registered so that `resolveShaping` applies active overrides. The Redis URL is read
 * once: changing it takes a restart.
 */
export function createShapingGate(store: ConfigStore, log: Logger, opts: Omit<GateOptions, 'automation' | 'redisUrl'> = {}): ShapingGate {
  const snap = store.current;
  const automation = AutomationState.load(snap.shaping.automationStatePath, log);
  if (automation.size) log.info('shaping automation: restored active effects', { count: automation.size, path: snap.shaping.automationStatePath });
  setActiveAutomation(automation);
  const url = snap.main.redis?.url;
  if (!url) log.info('shaping: throttles and connection limits are local to this node (no [redis] url)');
  return new ShapingGateImpl(store, log, { ...opts, redisUrl: url, automation });
}
