import type { Logger } from '../logging/logger.js';
import { retryDelay } from '../queue/retry.js';
import type { EventStore } from './event-store.js';
import { hookQueueName } from './hook-config.js';
import type { LogHookSettings } from './hook-config.js';
import { hookEvents, hookRetries } from './metrics.js';
import type { HookQueueView } from './metrics.js';
import type { HookEvent } from './payload.js';
import { HookRateLimit } from './rate-limit.js';
import { senderKey } from './sender.js';
import type { HookSender, SendOutcome } from './sender.js';

export interface HookQueueDeps {
  readonly name: string;
  readonly store: EventStore;
  /** the hook's settings in the current snapshot; undefined once it is removed from the config */
  readonly settings: () => LogHookSettings | undefined;
  readonly makeSender: (s: LogHookSettings) => HookSender;
  readonly log: Logger;
}

export interface HookQueueStats {
  queued: number;
  delivered: number;
  failed: number;
  expired: number;
  retries: number;
}

const WARN_INTERVAL_MS = 30_000;

/**
 * The scheduled queue of one log hook (`hook:NAME`). Holds only sequence numbers in RAM (the
 * events are read from the event store when their batch is sent) and sends batches of up to
 * batch_size, a partial one after batch_wait, at most connection_limit at once and within
 * max_message_rate. A transient failure puts the batch back at the head and pauses the whole
 * hook for the retry interval, doubled per consecutive failure up to max_retry_interval (a
 * receiver that is down is not hammered, and order is kept as far as the parallel sends
 * allow). Events leave the store only when the receiver took them, refused them for good, or
 * they outlived max_age; each of these is counted.
 */
export class HookQueue {
  private q: number[] = [];
  private head = 0;
  private inflightBatches = 0;
  private inflightEvents = 0;
  private failures = 0;
  private pausedUntil = 0;
  /** when the oldest event of the partial batch at the head started waiting */
  private waitStart = 0;
  /** a retried batch goes as soon as the pause ends, full or not */
  private flushNow = false;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = 0;
  private sender: { key: string; sender: HookSender } | undefined;
  private readonly rate = new HookRateLimit();
  /** the batches being sent, each with when its oldest event was queued */
  private readonly sends = new Map<Promise<void>, number>();
  private stopping = false;
  private warned = { at: 0, suppressed: 0 };
  readonly stats: HookQueueStats = { queued: 0, delivered: 0, failed: 0, expired: 0, retries: 0 };

  constructor(private readonly deps: HookQueueDeps) {}

  get name(): string {
    return this.deps.name;
  }

  /** Events queued and not yet taken (those in flight included). */
  get backlog(): number {
    return this.q.length - this.head + this.inflightEvents;
  }

  view(): HookQueueView {
    // an event being sent (again) is still waiting: a receiver that keeps failing shows its age
    let oldest = this.head < this.q.length ? this.deps.store.get(this.deps.name, this.q[this.head]!)?.t : undefined;
    for (const t of this.sends.values()) if (oldest === undefined || t < oldest) oldest = t;
    return { hook: this.deps.name, backlog: this.backlog, inflight: this.inflightEvents, oldestAgeS: oldest !== undefined ? Math.max(0, (Date.now() - oldest) / 1000) : 0 };
  }

  /** Takes events that are on disk (recovered at start, or just written). */
  push(...seqs: number[]): void {
    if (!seqs.length) return;
    if (this.head >= this.q.length) this.waitStart = Date.now();
    for (const s of seqs) this.q.push(s);
    this.stats.queued += seqs.length;
    this.pump();
  }

  /**
   * Re-reads the settings (a new config epoch) and sends what is due. A hook that will need a
   * new client (its URL or connection settings changed, or it came back after being removed)
   * starts without the backoff its old receiver earned: a URL fixed while the old one was
   * failing takes effect at once, not after max_retry_interval.
   */
  kick(): void {
    const s = this.deps.settings();
    if (s && this.failures && this.sender?.key !== senderKey(s)) {
      this.failures = 0;
      this.pausedUntil = 0;
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.pump();
  }

  /** The hook left the config: nothing more is sent; its events stay queued for a later return. */
  retire(deadline: number): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const s = this.sender;
    this.sender = undefined;
    return s ? s.sender.close(deadline) : Promise.resolve();
  }

  async stop(deadline: number): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await Promise.race([Promise.all([...this.sends.keys()]), new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now())).unref())]);
    await this.retire(deadline);
  }

  private pump(): void {
    if (this.stopping) return;
    const s = this.deps.settings();
    if (!s) return;
    for (;;) {
      const n = this.q.length - this.head;
      if (!n || this.inflightBatches >= s.connectionLimit) return; // a finishing send pumps again
      const now = Date.now();
      if (now < this.pausedUntil) return this.arm(this.pausedUntil);
      if (n < s.batchSize && !this.flushNow && now - this.waitStart < s.batchWaitMs) return this.arm(this.waitStart + s.batchWaitMs);
      const take = Math.min(n, s.batchSize);
      const wait = this.rate.take(s.maxMessageRate, take, now);
      if (wait > 0) return this.arm(now + wait);
      const seqs = this.q.slice(this.head, this.head + take);
      this.head += take;
      this.compact();
      this.flushNow = false;
      this.waitStart = now;
      this.dispatch(seqs, s);
    }
  }

  private arm(at: number): void {
    if (this.timer && this.timerAt <= at) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.pump();
    }, Math.max(0, at - Date.now()));
  }

  private compact(): void {
    if (this.head > 4096 && this.head * 2 > this.q.length) {
      this.q = this.q.slice(this.head);
      this.head = 0;
    }
  }

  private requeueFront(seqs: number[]): void {
    if (this.head >= seqs.length) {
      this.head -= seqs.length;
      for (let i = 0; i < seqs.length; i++) this.q[this.head + i] = seqs[i]!;
    } else {
      this.q = [...seqs, ...this.q.slice(this.head)];
      this.head = 0;
    }
  }

  private dispatch(seqs: number[], s: LogHookSettings): void {
    const { store, name } = this.deps;
    const events: HookEvent[] = [];
    const expired: number[] = [];
    const now = Date.now();
    let oldestT = now;
    for (const seq of seqs) {
      const e = store.get(name, seq);
      if (!e) continue;
      if (now - e.t > s.maxAgeMs) expired.push(seq);
      else {
        events.push({ seq, json: e.r });
        oldestT = Math.min(oldestT, e.t);
      }
    }
    if (expired.length) {
      store.remove(name, expired);
      this.stats.expired += expired.length;
      hookEvents.inc({ hook: name, outcome: 'expired' }, expired.length);
      this.deps.log.warn(`${hookQueueName(name)}: events older than max_age dropped`, { hook: name, events: expired.length, max_age_s: Math.round(s.maxAgeMs / 1000) });
    }
    if (!events.length) return;
    this.inflightBatches++;
    this.inflightEvents += events.length;
    const p = this.sendBatch(events, s).finally(() => {
      this.inflightBatches--;
      this.inflightEvents -= events.length;
      this.sends.delete(p);
      this.pump();
    });
    this.sends.set(p, oldestT);
  }

  private async sendBatch(events: HookEvent[], s: LogHookSettings): Promise<void> {
    const { store, name, log } = this.deps;
    const sender = this.senderFor(s);
    let out: SendOutcome;
    try {
      out = await sender.send(events, s);
    /* c8 ignore next 3 -- guard: both senders turn every failure into an outcome; a bug throwing must not lose the batch */
    } catch (e) {
      out = { kind: 'retry', reason: String((e as Error)?.message ?? e) };
    }
    const seqs = events.map((e) => e.seq);
    if (out.kind === 'done' || out.kind === 'fail') {
      store.remove(name, seqs);
      this.failures = 0;
      if (out.kind === 'done') {
        this.stats.delivered += seqs.length;
        hookEvents.inc({ hook: name, outcome: 'delivered' }, seqs.length);
        if (this.warned.at) {
          log.info(`${hookQueueName(name)}: the receiver takes events again`, { hook: name, backlog: this.backlog - seqs.length });
          this.warned = { at: 0, suppressed: 0 };
        }
        return;
      }
      this.stats.failed += seqs.length;
      hookEvents.inc({ hook: name, outcome: 'failed' }, seqs.length);
      log.error(`${hookQueueName(name)}: the receiver refused events for good; dropped`, { hook: name, events: seqs.length, reason: out.reason, first_id: firstId(events[0]!) });
      return;
    }
    if (this.stopping) return; // they stay in the store for the restart
    this.requeueFront(seqs);
    this.failures++;
    this.flushNow = true;
    const delay = retryDelay(this.failures, s.retryIntervalMs, s.maxRetryIntervalMs);
    this.pausedUntil = Math.max(this.pausedUntil, Date.now() + delay);
    this.stats.retries++;
    hookRetries.inc({ hook: name });
    const now = Date.now();
    if (now - this.warned.at >= WARN_INTERVAL_MS) {
      log.warn(`${hookQueueName(name)}: sending events failed; retrying`, { hook: name, reason: out.reason, retry_in_ms: delay, backlog: this.backlog, failures: this.failures, suppressed: this.warned.suppressed });
      this.warned = { at: now, suppressed: 0 };
    } else this.warned.suppressed++;
  }

  private senderFor(s: LogHookSettings): HookSender {
    const key = senderKey(s);
    if (this.sender?.key !== key) {
      const old = this.sender;
      this.sender = { key, sender: this.deps.makeSender(s) };
      // the old client finishes what it has in flight
      if (old) void old.sender.close(Date.now() + s.timeoutMs);
    }
    return this.sender.sender;
  }
}

function firstId(e: HookEvent): string | undefined {
  const m = /"id":"([^"]*)"/.exec(e.json);
  return m?.[1];
}
