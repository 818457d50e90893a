import type { QueueParams } from '../config/queues.js';
import { disposition } from '../delivery/response.js';
import type { SmtpReply } from '../delivery/response.js';
import { internalReply } from '../delivery/smtp-client.js';
import type { LogWriter } from '../logging/types.js';
import type { RecordJournal } from '../logging/record-journal.js';
import type { SpoolMeta } from '../spool/types.js';
import type { SpoolStateWriter } from '../spool/write-retry.js';
import { hasPending, pendingRecipients, storeRetryState } from './job.js';
import type { Job } from './job.js';
import type { OutcomeRecorder } from './outcome.js';
import type { RecentIds } from './recent-ids.js';
import type { AttemptContext } from './records.js';
import { retryDelay } from './retry.js';
import { nextAllowed, storedSchedule } from './schedule.js';
import { firstReply } from './util.js';

/** A message the queue holds: its spooled state and one job per routing domain. */
export interface QueuedMessage {
  readonly meta: SpoolMeta;
  readonly jobs: Job[];
}

export interface AttemptSettlerDeps {
  /** the queue's messages by id (shared with the queue manager, which adds them) */
  readonly messages: Map<string, QueuedMessage>;
  /** messages finished lately (a late announcement of one is ignored) */
  readonly finished: RecentIds;
  readonly outcomes: OutcomeRecorder;
  readonly spoolWrites: SpoolStateWriter;
  readonly records: LogWriter;
  /** when set, the attempt's records are journaled with its spool write (the same writer as `records`) */
  readonly journal?: RecordJournal;
  /** puts a job back on the timer heap for its retry */
  readonly schedule: (job: Job, due: number) => void;
}

/**
 * The end of a delivery attempt: the outcome records per recipient, the retry of what is
 * still pending (or its expiry past max_age), and the message's new state on the spool (its
 * removal once nothing is pending), written after the records.
 */
export class AttemptSettler {
  /** spool writes still running, by message id (the stop waits for them) */
  readonly writes = new Map<string, Promise<void>>();

  constructor(private readonly deps: AttemptSettlerDeps) {}

  /**
   * Applies one attempt's replies: 2xx → Delivery, 5xx → Bounce, anything else →
   * TransientFailure and a retry (or Expiration when the retry would come after max_age).
   * `force` treats every reply as a bounce or as transient (routing failures).
   */
  outcome(job: Job, replies: Map<string, SmtpReply>, ctx: AttemptContext, params: QueueParams, force?: 'bounce' | 'transient'): void {
    const { outcomes } = this.deps;
    const meta = job.meta;
    const now = Date.now();
    const transient: [string, SmtpReply][] = [];
    for (const [rcpt, reply] of replies) {
      const d = force === 'bounce' ? 'permanent' : force === 'transient' ? 'transient' : disposition(reply);
      if (d === 'delivered') outcomes.final('Delivery', meta, rcpt, reply, ctx, now);
      else if (d === 'permanent') outcomes.final('Bounce', meta, rcpt, reply, ctx, now);
      else if (meta.recipients.some((r) => r.address === rcpt && r.status === 'pending')) transient.push([rcpt, reply]);
    }
    if (transient.length) {
      const failures = Math.max(job.attempts, 1);
      // a schedule moves the retry into its delivery window, and its expires replaces max_age
      const schedule = meta.extra?.schedule ? storedSchedule(meta.extra) : undefined;
      const next = nextAllowed(schedule, now + retryDelay(failures, params.retryIntervalMs, params.maxRetryIntervalMs));
      const expires = schedule?.expires ?? meta.receivedAt + params.maxAgeMs;
      for (const [rcpt, reply] of transient) outcomes.transient(meta, rcpt, reply, ctx, now);
      if (next >= expires) {
        const limit = schedule?.expires !== undefined ? `the expires time of its schedule (${new Date(expires).toISOString()})` : `max_age (${Math.round(params.maxAgeMs / 1000)}s)`;
        const why = internalReply(`message expired: next attempt would be after ${limit}; last reply: ${firstReply(transient)}`, 'QUEUE', 551, '5.4.7');
        for (const [rcpt] of transient) outcomes.final('Expiration', meta, rcpt, why, ctx, now);
      } else {
        job.state = 'scheduled';
        job.due = next;
        this.finishAttempt(job);
        this.deps.schedule(job, next);
        return;
      }
    }
    this.finishJob(job);
  }

  /** Every pending recipient of the job expires with `reply`. */
  expire(job: Job, reply: SmtpReply, ctx: AttemptContext): void {
    const now = Date.now();
    for (const rcpt of pendingRecipients(job)) this.deps.outcomes.final('Expiration', job.meta, rcpt, reply, ctx, now);
    this.finishJob(job);
  }

  /** The job has no pending recipients left: remove the message once none of its jobs has. */
  finishJob(job: Job): void {
    job.state = 'done';
    job.gen++;
    this.finishAttempt(job);
  }

  /** Persists the message after an attempt: removed when nothing is pending, else its new state. */
  private finishAttempt(job: Job): void {
    const msg = this.deps.messages.get(job.meta.id);
    if (!msg) {
      this.deps.outcomes.takeLines(job.meta.id);
      return;
    }
    if (!hasPending(msg.meta)) {
      this.forget(msg.meta.id);
      this.deps.finished.add(msg.meta.id);
      this.persist(msg.meta, 'remove');
      return;
    }
    for (const j of msg.jobs) if (j.state !== 'done' && !pendingRecipients(j).length) j.state = 'done';
    storeRetryState(msg.meta, msg.jobs);
    this.persist(msg.meta, 'update');
  }

  /** The queue lets go of the message (finished, or its body is gone). */
  forget(id: string): void {
    if (this.deps.messages.delete(id)) this.deps.outcomes.stats.messages--;
  }

  /**
   * Spool writes of one message happen in order (the last state wins) and are retried until
   * they succeed (disk full: nothing is lost). A Delivery record is never behind the spool
   * removal (or the "delivered" mark) of its recipient: the lines this message's records
   * wrote since its last spool write go into the same lmdb transaction (the journal,
   * src/logging/record-journal.ts), and the write waits for the log hooks' copies; without a
   * journal it waits until the log records written so far are on disk.
   */
  persist(meta: SpoolMeta, op: 'update' | 'remove'): void {
    const id = meta.id;
    const { journal } = this.deps;
    const lines = this.deps.outcomes.takeLines(id);
    const next = journal
      ? this.deps.spoolWrites.submit(meta, op, () => journal.tapsDurable(), lines ? journal.entryFor(id, lines) : undefined)
      : this.deps.spoolWrites.submit(meta, op, () => this.deps.records.durable());
    this.writes.set(id, next);
    void next.then(() => {
      if (this.writes.get(id) === next) this.writes.delete(id);
    });
  }
}
