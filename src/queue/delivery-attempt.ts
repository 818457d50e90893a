import type { ConfigStore } from '../config/store.js';
import type { EgressSource } from '../config/egress.js';
import type { QueueParams } from '../config/queues.js';
import type { SourceSelector } from '../egress/selector.js';
import type { Logger } from '../logging/logger.js';
import type { ShapingGate } from '../shaping/gate.js';
import type { EffectiveShaping, ShapingQuery } from '../shaping/types.js';
import type { Spool } from '../spool/types.js';
import type { ReadyQueue } from '../delivery/ready-queue.js';
import type { SmtpReply } from '../delivery/response.js';
import { internalReply } from '../delivery/smtp-client.js';
import type { ConnectError } from '../delivery/smtp-client.js';
import type { DeliverySession } from '../delivery/delivery-session.js';
import { readyQueueService } from '../delivery/push-protocols.js';
import { maildirReplies } from '../delivery/maildir.js';
import { deliverLatency } from '../metrics/latency.js';
import { pendingRecipients } from './job.js';
import type { Job } from './job.js';
import type { OutcomeRecorder } from './outcome.js';
import type { AttemptContext } from './records.js';
import { smtpAttemptFacts } from './records.js';
import { jobParams } from './admin-hooks.js';
import type { AttemptSettler } from './attempt-settler.js';

export interface DeliveryAttemptDeps {
  readonly store: ConfigStore;
  readonly spool: Spool;
  readonly gate: ShapingGate;
  readonly log: Logger;
  readonly outcomes: OutcomeRecorder;
  readonly settle: AttemptSettler;
  readonly selector: SourceSelector;
  readonly source: (name: string) => EgressSource;
  readonly shaping: (q: ShapingQuery) => EffectiveShaping;
  /** the queue is stopping: a failure now is not an attempt, the message stays spooled */
  readonly stopping: () => boolean;
  /** the stop's deadline cut the sends in flight off */
  readonly aborting: () => boolean;
}

/**
 * One delivery attempt of a job, once the queue manager has routed it: the body read from the
 * spool, the send (an SMTP session of its ready queue, or maildir), the replies fed to the
 * shaping gate (automation) and the outcome settled (records, retry, spool). A connection
 * that could not be opened is an attempt too, for every pending recipient of the job.
 */
export class DeliveryAttempt {
  constructor(private readonly d: DeliveryAttemptDeps) {}

  async smtp(job: Job, session: DeliverySession, rq: ReadyQueue): Promise<void> {
    const d = this.d;
    const meta = job.meta;
    const rcpts = pendingRecipients(job);
    const params = jobParams(d.store.current, job);
    if (!rcpts.length) return d.settle.finishJob(job);
    const body = await this.loadBody(job, rcpts, { queue: job.queue, site: rq.site, source: rq.source, pool: params.egressPool, attempts: job.attempts }, params);
    if (!body) return;
    job.attempts++;
    d.outcomes.stats.attempts++;
    const timer = deliverLatency.startTimer({ service: readyQueueService(rq.key) });
    const replies = await session.send(meta.sender, rcpts, body, { smtputf8: meta.extra?.smtputf8 === true, job, crlf: meta.extra?.crlf === true });
    timer();
    if (d.aborting() && !session.usable && [...replies.values()].every((r) => r.internal)) {
      // cut off by the shutdown deadline: outcome unknown, the message stays spooled as it was
      job.attempts--;
      return;
    }
    const ctx: AttemptContext = { queue: job.queue, site: rq.site, source: rq.source, readyQueue: rq.key, pool: params.egressPool, peer: session.peer, tls: session.tls, attempts: job.attempts, ...smtpAttemptFacts(session, d.source(rq.source), d.shaping(rq.query)) };
    const path = rq.path(job);
    const seen = new Set<SmtpReply>();
    for (const r of replies.values()) {
      if (seen.has(r)) continue;
      seen.add(r);
      d.gate.onResponse(path, { code: r.code, enhanced: r.enhanced, text: r.text, internal: r.internal });
    }
    d.settle.outcome(job, replies, ctx, params);
  }

  connectFailed(job: Job, err: ConnectError, rq: ReadyQueue): void {
    const d = this.d;
    if (d.stopping()) return; // shutting down: not an attempt, the message stays spooled
    const params = jobParams(d.store.current, job);
    if (err.unplumbed) {
      const ms = d.source(rq.source).suspendWhenUnplumbedMs;
      if (ms) d.selector.suspend(rq.source, Date.now() + ms);
    }
    job.attempts++;
    d.outcomes.stats.attempts++;
    d.gate.onResponse(rq.path(job), { code: err.reply.code, enhanced: err.reply.enhanced, text: err.reply.text, internal: err.reply.internal });
    const ctx: AttemptContext = { queue: job.queue, site: rq.site, source: rq.source, readyQueue: rq.key, pool: params.egressPool, peer: err.peer, attempts: job.attempts, ...smtpAttemptFacts(undefined, d.source(rq.source), d.shaping(rq.query)) };
    d.settle.outcome(job, new Map(pendingRecipients(job).map((r) => [r, err.reply])), ctx, params, err.permanent ? 'bounce' : 'transient');
  }

  async maildir(job: Job, params: QueueParams, ctx: AttemptContext): Promise<void> {
    if (params.protocol.kind !== 'maildir') return;
    const meta = job.meta;
    const rcpts = pendingRecipients(job);
    job.state = 'sending';
    const c = { ...ctx, site: 'maildir' };
    const body = await this.loadBody(job, rcpts, c, params);
    if (!body) return;
    job.attempts++;
    const replies = await maildirReplies(params.protocol, rcpts, body, {
      domain: job.domain, queue: job.queue, tenant: meta.tenant, campaign: meta.campaign, routing_domain: params.routingDomain,
    });
    this.d.settle.outcome(job, replies, { ...c, attempts: job.attempts }, params);
  }

  /**
   * The body of a job's message from the spool. Undefined when there is none: a read error
   * counts as a transient failure (retried), a missing body drops the message from the queue.
   */
  private async loadBody(job: Job, rcpts: string[], ctx: AttemptContext, params: QueueParams): Promise<Buffer | undefined> {
    const d = this.d;
    try {
      const body = await d.spool.getBody(job.meta.id);
      if (!body) {
        d.log.warn('message body missing from the spool; dropping it from the queue', { id: job.meta.id });
        d.settle.forget(job.meta.id);
      }
      return body;
      /* c8 ignore start -- native failure: an lmdb read error of a stored body cannot be provoked from a test */
    } catch (e) {
      if (d.stopping()) return undefined;
      job.attempts++;
      const reply = internalReply(`reading the message from the spool failed: ${(e as Error).message}`, 'SPOOL', 451, '4.3.0');
      d.settle.outcome(job, new Map(rcpts.map((r) => [r, reply])), { ...ctx, attempts: job.attempts }, params, 'transient');
      return undefined;
    }
    /* c8 ignore stop */
  }
}
