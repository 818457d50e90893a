import type { Throttle } from '../config/values.js';

/**
 * A local GCRA limiter for a hook's max_message_rate: `take(n)` reserves n events and says how
 * long to wait before sending them (0: now). A batch larger than the burst goes when the
 * limiter is idle, so that it is never starved.
 */
export class HookRateLimit {
  private tat = 0;

  take(rate: Throttle | undefined, n: number, now = Date.now()): number {
    if (!rate) return 0;
    const burstMs = rate.maxBurst * rate.intervalMs;
    const start = Math.max(this.tat, now);
    const next = start + n * rate.intervalMs;
    const wait = n > rate.maxBurst ? start - now : next - now - burstMs;
    if (wait > 0) return Math.ceil(wait);
    this.tat = next;
    return 0;
  }
}
