import type { Logger } from '../logging/logger.js';
import { refusedConnections } from './metrics.js';
import type { RefusalReason } from './smtp-server-patch.js';

const TEXT: Record<RefusalReason, string> = {
  per_ip_limit: 'connection refused: too many connections from this client address (max_connections_per_ip)',
  max_connections: 'connection refused: the listener already has max_connections connections open (on the whole node, with reception workers)',
  early_talker: 'client talked before the greeting (early_talker_delay): 554, disconnected',
  command_timeout: 'command line not completed within command_timeout: 421, disconnected',
  bad_utf8: 'command line is not valid UTF-8: 500',
};

/**
 * Counts what a listener's connection policy refuses (metric `kumo_ts_smtp_refused_total`
 * by reason) and logs it at most once per interval per reason and client key, with the number
 * of refusals left unlogged since: a flood of 1000 connections makes one log line, not 1000.
 */
export class Refusals {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly listener: string,
    private readonly log: Logger,
    private readonly intervalMs = 60_000,
    private readonly maxTracked = 10_000,
  ) {}

  note(reason: RefusalReason, client: string, fields: Record<string, unknown> = {}, now = Date.now()): void {
    refusedConnections.inc({ listener: this.listener, reason });
    const key = `${reason} ${client}`;
    const e = this.last.get(key);
    if (e && now - e.at < this.intervalMs) {
      e.suppressed++;
      return;
    }
    this.last.delete(key);
    this.last.set(key, { at: now, suppressed: 0 });
    if (this.last.size > this.maxTracked) this.last.delete(this.last.keys().next().value!);
    this.log.warn(`listener ${this.listener}: ${TEXT[reason]}`, {
      reason, client, ...fields, ...(e?.suppressed ? { unlogged_since_last: e.suppressed } : {}),
    });
  }
}
