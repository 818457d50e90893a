import type { EgressConfig, EgressPool } from '../config/egress.js';
import { UNSPECIFIED } from '../config/egress.js';

interface PoolState {
  /** the compiled pool this state was built for; a new snapshot's pool object resets it */
  readonly pool: EgressPool;
  readonly current: number[];
}

/**
 * Picks egress sources from pools by smooth weighted round robin (as nginx does): every
 * pick adds each entry's weight to its running score, takes the highest and subtracts the
 * total from it. Weights 5,1,1 give a a b a c a a, spread out rather than bursty.
 *
 * Runtime state, not config: the snapshot holds the pools; this holds the scores and the
 * temporary suspensions (suspend_when_unplumbed), reset when a pool definition changes.
 */
export class SourceSelector {
  private readonly states = new Map<string, PoolState>();
  private readonly suspended = new Map<string, number>();

  /**
   * The next source of `poolName`, or undefined when the pool does not exist or every
   * source in it is suspended / has weight 0. `now` is for tests.
   */
  pick(egress: EgressConfig, poolName: string | undefined, now = Date.now()): string | undefined {
    const name = poolName ?? UNSPECIFIED;
    const pool = egress.pools.get(name);
    if (!pool) return undefined;
    let st = this.states.get(name);
    if (!st || st.pool !== pool) {
      st = { pool, current: pool.entries.map(() => 0) };
      this.states.set(name, st);
    }
    let total = 0;
    let best = -1;
    for (let i = 0; i < pool.entries.length; i++) {
      const e = pool.entries[i];
      if (e.weight <= 0 || this.isSuspended(e.source, now)) continue;
      st.current[i] += e.weight;
      total += e.weight;
      if (best < 0 || st.current[i] > st.current[best]) best = i;
    }
    if (best < 0) return undefined;
    st.current[best] -= total;
    return pool.entries[best].source;
  }

  /** Skips `source` in every pool until `until` (epoch ms). */
  suspend(source: string, until: number): void {
    this.suspended.set(source, Math.max(until, this.suspended.get(source) ?? 0));
  }

  /** epoch ms until which the source is suspended, if it is */
  suspendedUntil(source: string, now = Date.now()): number | undefined {
    const u = this.suspended.get(source);
    if (u === undefined) return undefined;
    if (u <= now) {
      this.suspended.delete(source);
      return undefined;
    }
    return u;
  }

  /** The earliest time a suspended source of the pool comes back (for delaying its messages). */
  poolResumesAt(egress: EgressConfig, poolName: string | undefined, now = Date.now()): number | undefined {
    const pool = egress.pools.get(poolName ?? UNSPECIFIED);
    let at: number | undefined;
    for (const e of pool?.entries ?? []) {
      const u = e.weight > 0 ? this.suspendedUntil(e.source, now) : undefined;
      if (u !== undefined && (at === undefined || u < at)) at = u;
    }
    return at;
  }

  private isSuspended(source: string, now: number): boolean {
    return this.suspended.size > 0 && this.suspendedUntil(source, now) !== undefined;
  }
}
