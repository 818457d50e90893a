/**
 * Counts failed AUTH attempts per client IP in a sliding window. Once an IP has `max`
 * failures within `windowMs`, `blocked(ip)` is true until the oldest of them leaves the window.
 * Memory is bounded: at most `maxTracked` addresses are remembered (oldest evicted first).
 */
export class FailureLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(private readonly maxTracked = 100_000) {}

  blocked(ip: string, max: number, windowMs: number, now = Date.now()): boolean {
    return this.recent(ip, windowMs, now).length >= max;
  }

  fail(ip: string, windowMs: number, now = Date.now()): number {
    const list = this.recent(ip, windowMs, now);
    list.push(now);
    this.failures.delete(ip); // re-insert: Map order = least recently failed first
    this.failures.set(ip, list);
    if (this.failures.size > this.maxTracked) this.failures.delete(this.failures.keys().next().value!);
    return list.length;
  }

  /** A successful login clears the address's count. */
  succeed(ip: string): void {
    this.failures.delete(ip);
  }

  private recent(ip: string, windowMs: number, now: number): number[] {
    const list = this.failures.get(ip);
    if (!list) return [];
    const kept = list.filter((t) => now - t < windowMs);
    if (kept.length) this.failures.set(ip, kept);
    else this.failures.delete(ip);
    return kept;
  }
}
