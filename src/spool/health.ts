import type { Logger } from '../logging/logger.js';

export interface SpoolHealthOptions {
  log?: Logger;
  /** while unhealthy, at most one "still failing" line per this many ms (default 60 s) */
  logIntervalMs?: number;
}

/**
 * Whether the spool can write (KumoMTA refuses mail while its spool is unhealthy). A failed
 * write makes it unhealthy; a successful write of a message (or of the spool's probe) makes it
 * healthy again. Changes of state are logged when they happen; while it stays unhealthy the
 * failures are summed up once per interval rather than logged one by one.
 */
export class SpoolHealth {
  private isHealthy = true;
  private since = Date.now();
  private lastLogAt = 0;
  private failuresSinceLog = 0;
  private lastError = '';
  /** failed writes since start (the metric kumo_ts_spool_write_failures_total) */
  failures = 0;

  constructor(private readonly path: string, private readonly opts: SpoolHealthOptions = {}) {}

  get healthy(): boolean {
    return this.isHealthy;
  }

  /** ms since the last change of state */
  get forMs(): number {
    return Date.now() - this.since;
  }

  failed(error: string): void {
    this.failures++;
    this.failuresSinceLog++;
    this.lastError = error;
    const now = Date.now();
    if (this.isHealthy) {
      this.isHealthy = false;
      this.since = now;
      this.lastLogAt = now;
      this.failuresSinceLog = 0;
      this.opts.log?.error('spool cannot write: new mail is refused with 451 until it can', { path: this.path, error });
      return;
    }
    this.maybeLogStill(now);
  }

  /** A message-sized write reached the disk. */
  succeeded(): void {
    if (this.isHealthy) return;
    const down = Date.now() - this.since;
    this.isHealthy = true;
    this.since = Date.now();
    this.opts.log?.info('spool writable again: accepting mail', { path: this.path, unhealthy_ms: down, failed_writes: this.failuresSinceLog });
    this.failuresSinceLog = 0;
  }

  /** Called periodically (and on refusals) so that a long outage keeps being reported. */
  maybeLogStill(now = Date.now()): void {
    if (this.isHealthy || now - this.lastLogAt < (this.opts.logIntervalMs ?? 60_000)) return;
    this.lastLogAt = now;
    this.opts.log?.error('spool still cannot write: refusing new mail with 451', {
      path: this.path, unhealthy_ms: now - this.since, failed_writes: this.failuresSinceLog, error: this.lastError,
    });
    this.failuresSinceLog = 0;
  }
}
