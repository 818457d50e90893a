import type { Logger } from '../logging/logger.js';
import type { LogWriter, RecordType } from '../logging/types.js';
import type { RecordJournal } from '../logging/record-journal.js';
import type { RecipientState, SpoolMeta } from '../spool/types.js';
import type { SmtpReply } from '../delivery/response.js';
import { outcomeRecord } from './records.js';
import { countOutcome } from '../metrics/queue-metrics.js';
import type { AttemptContext } from './records.js';

/** Counters for tests, metrics and the shutdown report. */
export interface QueueStats {
  messages: number;
  delivered: number;
  bounced: number;
  transient: number;
  expired: number;
  /** messages taken in since start (reception and the spool scan) */
  received: number;
  /** delivery attempts since start (sends and failed connections) */
  attempts: number;
}

const FINAL: Record<'Delivery' | 'Bounce' | 'AdminBounce' | 'Expiration', { status: RecipientState['status']; stat: keyof QueueStats }> = {
  Delivery: { status: 'delivered', stat: 'delivered' },
  Bounce: { status: 'bounced', stat: 'bounced' },
  AdminBounce: { status: 'bounced', stat: 'bounced' },
  Expiration: { status: 'expired', stat: 'expired' },
};

/** Marks recipient outcomes in the message's meta and writes their log records. */
export class OutcomeRecorder {
  readonly stats: QueueStats = { messages: 0, delivered: 0, bounced: 0, transient: 0, expired: 0, received: 0, attempts: 0 };

  /** file lines written per message since its last spool write, for that write's journal entry */
  private readonly lines = new Map<string, string>();

  /**
   * `nodeId`: this node's id for the records (src/logging/node-id.ts); `journal`: records are
   * journaled with the spool write that follows them (src/logging/record-journal.ts)
   */
  constructor(private readonly records: LogWriter, private readonly log: Logger, private readonly nodeId: () => string, private readonly journal?: RecordJournal) {}

  /** The lines written for message `id` since the last call: the journal of its next spool write. */
  takeLines(id: string): string | undefined {
    const l = this.lines.get(id);
    this.lines.delete(id);
    return l;
  }

  /**
   * A final outcome for a still-pending recipient; false if it was not pending. `silent`: no
   * log record (an admin bounce with suppress_logging).
   */
  final(type: keyof typeof FINAL, meta: SpoolMeta, rcpt: string, reply: SmtpReply, ctx: AttemptContext, now = Date.now(), silent = false): boolean {
    const state = meta.recipients.find((r) => r.address === rcpt && r.status === 'pending');
    if (!state) return false;
    state.status = FINAL[type].status;
    this.stats[FINAL[type].stat]++;
    countOutcome(type, ctx, meta.receivedAt, now);
    if (!silent) this.write(type, meta, rcpt, reply, ctx, now);
    return true;
  }

  /** A transient failure (the recipient stays pending). */
  transient(meta: SpoolMeta, rcpt: string, reply: SmtpReply, ctx: AttemptContext, now = Date.now()): void {
    this.stats.transient++;
    countOutcome('TransientFailure', ctx, meta.receivedAt, now);
    this.write('TransientFailure', meta, rcpt, reply, ctx, now);
  }

  /**
   * KumoMTA's Delayed record: why a recipient went back to its scheduled queue without a
   * delivery attempt (no outcome counted). No spool write follows (the message's state has not
   * changed), so the line is not kept for a journal entry.
   */
  delayed(meta: SpoolMeta, rcpt: string, reply: SmtpReply, ctx: AttemptContext, now = Date.now()): void {
    this.write('Delayed', meta, rcpt, reply, ctx, now, false);
  }

  private write(type: RecordType, meta: SpoolMeta, rcpt: string, reply: SmtpReply, ctx: AttemptContext, now: number, spoolWrite = true): void {
    try {
      const record = outcomeRecord(type, meta, rcpt, reply, ctx, this.nodeId(), now);
      if (!this.journal) return this.records.write(record);
      const line = this.journal.writeNow(record);
      if (line && spoolWrite) this.lines.set(meta.id, (this.lines.get(meta.id) ?? '') + line);
      /* c8 ignore start -- defensive: outcomeRecord is pure and the writer buffers (its disk errors are its own, retried) */
    } catch (e) {
      this.log.error('writing a log record failed', { id: meta.id, type, error: String(e) });
    }
    /* c8 ignore stop */
  }
}
