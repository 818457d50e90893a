import cluster from 'node:cluster';
import { Counter, Gauge } from 'prom-client';
import { metricsRegistry } from '../http/metrics.js';

/**
 * One process-wide budget for message bytes held in memory while DATA is received (all
 * listeners together, `[server] max_inflight_bytes`). A message reserves as its bytes arrive
 * (or its MAIL FROM SIZE= up front) and releases when it is spooled or refused, so the process
 * answers 451 4.3.1 instead of growing without bound. The limit is passed with each request:
 * it is read from the snapshot current at that decision, never cached.
 */
export class InflightBudget {
  private used = 0;

  /** bytes reserved right now */
  get bytes(): number {
    return this.used;
  }

  /** Reserves `n` more bytes if that stays within `limit`. */
  tryReserve(n: number, limit: number): boolean {
    if (n <= 0) return true;
    if (this.used + n > limit) return false;
    this.used += n;
    return true;
  }

  release(n: number): void {
    this.used = Math.max(0, this.used - n);
  }

  /** A reservation owned by one message: it grows as the message does and is released once. */
  reservation(): Reservation {
    return new Reservation(this);
  }
}

export class Reservation {
  private held = 0;
  private released = false;

  constructor(private readonly budget: InflightBudget) {}

  get bytes(): number {
    return this.held;
  }

  /**
   * Makes sure at least `total` bytes are held, reserving in steps of `step` (fewer calls);
   * false when the budget has no room for them (nothing more is reserved then).
   */
  ensure(total: number, limit: number, step = 256 * 1024): boolean {
    if (this.released) return false;
    if (total <= this.held) return true;
    const want = Math.max(total - this.held, Math.min(step, limit - this.budget.bytes));
    if (!this.budget.tryReserve(want, limit)) return false;
    this.held += want;
    return true;
  }

  /** Gives everything back; later calls do nothing. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.budget.release(this.held);
    this.held = 0;
  }
}

/**
 * This process's share of max_inflight_bytes: the whole budget, or an equal part in each
 * reception worker ([server] workers > 1), so that the node-wide total still holds.
 */
export function processInflightBudget(server: { readonly maxInflightBytes: number; readonly workers: number }): number {
  return cluster.isWorker && server.workers > 1 ? Math.floor(server.maxInflightBytes / server.workers) : server.maxInflightBytes;
}

export const inflightBudget = new InflightBudget();

const registers = [metricsRegistry()];

new Gauge({
  name: 'kumo_ts_smtp_inflight_bytes',
  help: 'Message bytes held in memory while being received (all listeners), against [server] max_inflight_bytes',
  registers,
  collect() {
    this.set(inflightBudget.bytes);
  },
});

export const inflightRefusals = new Counter({
  name: 'kumo_ts_smtp_inflight_refusals_total',
  help: 'Messages refused with 451 4.3.1 because the in-flight byte budget was used up: at DATA, or midway through the message',
  labelNames: ['listener', 'when'] as const,
  registers,
});
