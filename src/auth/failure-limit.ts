import { clientKey } from '../net/client-key.js';

interface Failure {
  readonly at: number;
  /** the username the failed attempt was for (lower-cased) */
  readonly user: string;
}

/**
 * A failure count as SMTP AUTH asks it: this process's (FailureLimiter) or the whole node's
 * (a reception worker asks its owner: src/runtime/ipc-auth-failures.ts).
 */
export interface FailureCount {
  blocked(ip: string, max: number, windowMs: number): boolean | Promise<boolean>;
  /** records a failure; the failures now counted against the address */
  fail(ip: string, user: string, windowMs: number): number | Promise<number>;
  succeed(ip: string, user: string): void;
}

/** One FailureCount per listener, shared by every process of the node. */
export interface SharedAuthFailures {
  forListener(listener: string): FailureCount;
}

/**
 * Counts failed AUTH attempts per client address (IPv6 per /64, see clientKey) in a sliding
 * window, each failure tagged with the username it was for. Once an address has `max`
 * failures within `windowMs`, whatever the usernames, `blocked(ip)` is true until the oldest
 * leaves the window: an address cannot spray passwords over many usernames. A successful login
 * clears only that username's failures from that address: it proves nothing about the other
 * usernames tried from there (an attacker with one valid account cannot reset the count).
 * Memory is bounded: at most `maxTracked` addresses (least recently failed evicted first).
 */
export class FailureLimiter implements FailureCount {
  private readonly failures = new Map<string, Failure[]>();

  constructor(private readonly maxTracked = 100_000) {}

  blocked(ip: string, max: number, windowMs: number, now = Date.now()): boolean {
    return this.count(ip, windowMs, now) >= max;
  }

  /** The failures counted against the address within the window. */
  count(ip: string, windowMs: number, now = Date.now()): number {
    return this.recent(clientKey(ip), windowMs, now).length;
  }

  /** Records a failure; returns the failures now counted against the address. */
  fail(ip: string, user: string, windowMs: number, now = Date.now()): number {
    const key = clientKey(ip);
    const list = this.recent(key, windowMs, now);
    list.push({ at: now, user: user.toLowerCase() });
    this.failures.delete(key); // re-insert: Map order = least recently failed first
    this.failures.set(key, list);
    if (this.failures.size > this.maxTracked) this.failures.delete(this.failures.keys().next().value!);
    return list.length;
  }

  /** A successful login: forget that username's failures from that address, and only those. */
  succeed(ip: string, user: string): void {
    const key = clientKey(ip);
    const u = user.toLowerCase();
    const list = this.failures.get(key);
    if (!list) return;
    const kept = list.filter((f) => f.user !== u);
    if (kept.length) this.failures.set(key, kept);
    else this.failures.delete(key);
  }

  private recent(key: string, windowMs: number, now: number): Failure[] {
    const list = this.failures.get(key);
    if (!list) return [];
    const kept = list.filter((f) => now - f.at < windowMs);
    if (kept.length) this.failures.set(key, kept);
    else this.failures.delete(key);
    return kept;
  }
}
