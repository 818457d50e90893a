import type { Throttle } from '../config/values.js';

/** One throttle to take a unit from, under a limit key shared by every path naming it. */
export interface RateItem {
  readonly key: string;
  readonly t: Throttle;
}

/** One connection limit to hold a lease on. */
export interface LimitItem {
  readonly key: string;
  readonly limit: number;
}

/**
 * Where limits are kept: in process, or shared through Redis. Every call is all-or-none over
 * its items, so a refusal by one limit never consumes capacity of another.
 */
export interface LimitBackend {
  /** 0 when a unit was taken from every throttle; else the ms until all would allow it (nothing taken). */
  takeRates(items: readonly RateItem[]): Promise<number> | number;
  /** gives back units taken by takeRates (when a later check of the same decision refused) */
  refundRates(items: readonly RateItem[]): Promise<void> | void;
  /** true when a lease was taken on every limit (nothing taken otherwise) */
  acquire(items: readonly LimitItem[], leaseId: string): Promise<boolean> | boolean;
  release(items: readonly LimitItem[], leaseId: string): Promise<void> | void;
}

/**
 * GCRA (generic cell rate algorithm) per key: a theoretical arrival time (TAT) per key; a unit
 * may go when TAT - now ≤ interval × (max_burst - 1). So "10/s" allows a burst of 10, then one
 * every 100 ms. Connection limits are counters. In-process, O(1) per call.
 */
export class LocalLimits implements LimitBackend {
  private readonly tat = new Map<string, number>();
  private readonly held = new Map<string, number>();
  private ops = 0;

  constructor(private readonly clock: () => number = () => performance.timeOrigin + performance.now()) {}

  takeRates(items: readonly RateItem[]): number {
    if (!items.length) return 0;
    const now = this.clock();
    let wait = 0;
    const next: number[] = [];
    for (const { key, t } of items) {
      const tat = Math.max(this.tat.get(key) ?? now, now);
      const newTat = tat + t.intervalMs;
      const over = newTat - now - t.intervalMs * t.maxBurst;
      if (over > 0) wait = Math.max(wait, over);
      next.push(newTat);
    }
    if (wait > 0) return Math.ceil(wait);
    items.forEach(({ key }, i) => this.tat.set(key, next[i]));
    if (++this.ops % 4096 === 0) this.prune(now);
    return 0;
  }

  refundRates(items: readonly RateItem[]): void {
    for (const { key, t } of items) {
      const tat = this.tat.get(key);
      if (tat !== undefined) this.tat.set(key, tat - t.intervalMs);
    }
  }

  acquire(items: readonly LimitItem[]): boolean {
    for (const { key, limit } of items) if ((this.held.get(key) ?? 0) >= limit) return false;
    for (const { key } of items) this.held.set(key, (this.held.get(key) ?? 0) + 1);
    return true;
  }

  release(items: readonly LimitItem[]): void {
    for (const { key } of items) {
      const n = (this.held.get(key) ?? 1) - 1;
      if (n <= 0) this.held.delete(key);
      else this.held.set(key, n);
    }
  }

  /** current connection count under a key (tests, metrics) */
  count(key: string): number {
    return this.held.get(key) ?? 0;
  }

  /* c8 ignore start -- memory housekeeping every 4096 takes: a TAT in the past decides nothing (max(tat, now)) */
  private prune(now: number): void {
    for (const [k, tat] of this.tat) if (tat < now) this.tat.delete(k);
  }
}
/* c8 ignore stop */
