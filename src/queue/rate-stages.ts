import type { QueueConfig, QueueParams } from '../config/queues.js';
import type { Throttle } from '../config/values.js';
import type { ConfigStore } from '../config/store.js';
import type { ShapingGate } from '../shaping/gate.js';
import { DEFAULT_SHAPING } from '../shaping/types.js';
import type { ShapingQuery } from '../shaping/types.js';
import { jobParams } from './admin-hooks.js';
import { pendingRecipients } from './job.js';
import type { Job } from './job.js';
import { delayedRateThrottle, delayedThrottleInsertReady } from './metrics.js';
import type { OutcomeRecorder } from './outcome.js';
import { RateHold } from './rate-hold.js';
import type { Held } from './rate-hold.js';
import type { AttemptContext } from './records.js';
import { delayedReply } from './records.js';

/** One message rate a job must pass before routing; `key` names its counter (the shaping gate's site). */
export interface RateStage {
  /** whose rate: KumoMTA delays the queue's as MessageRateThrottle, the others in throttle_insert_ready_queue */
  readonly kind: 'queue' | 'tenant' | 'campaign';
  readonly key: string;
  readonly rate: Throttle;
}

/**
 * The message rates a job passes on its way to a ready queue, in order: its scheduled
 * queue's `max_message_rate`, its tenant's `overall_max_message_rate` ([tenant.'t']) and its
 * campaign's ([tenant.'t'.campaigns.'c']), each counted across every queue that shares it. KumoMTA's
 * queue helper applies the last two in its throttle_insert_ready_queue handler; there the
 * campaign's throttle is made from the tenant's spec, which reads as a slip: kumo-ts uses
 * the campaign's own rate, as the file says.
 */
export function rateStages(queues: QueueConfig, job: Job, params: QueueParams): RateStage[] {
  const out: RateStage[] = [];
  if (params.maxMessageRate) out.push({ kind: 'queue', key: `queue:${job.queue}`, rate: params.maxMessageRate });
  const tenant = job.meta.tenant;
  const t = tenant !== undefined ? queues.tenants.get(tenant) : undefined;
  if (t?.overallMaxMessageRate) out.push({ kind: 'tenant', key: `tenant:${tenant}`, rate: t.overallMaxMessageRate });
  const campaign = job.meta.campaign;
  const c = campaign !== undefined ? t?.campaignRates.get(campaign) : undefined;
  if (c) out.push({ kind: 'campaign', key: `campaign:${tenant}:${campaign}`, rate: c });
  return out;
}

/**
 * Holds jobs at their rate stages before routing: one RateHold line per stage key (arrival
 * order, one timer), counted by the shaping gate; a released job goes on from the stage after
 * the one that held it.
 */
export class RateStageGate {
  /** how many of its stages a held job has passed */
  private readonly passed = new WeakMap<Job, number>();
  private readonly hold: RateHold<Job>;

  /** `release(job, passed)`: a held job may go on, its first `passed` stages behind it */
  constructor(
    private readonly store: ConfigStore,
    private readonly gate: ShapingGate,
    private readonly outcomes: OutcomeRecorder,
    release: (job: Job, passed: number) => void,
  ) {
    this.hold = new RateHold<Job>((key, job) => this.delay(key, job), (job) => release(job, this.passed.get(job) ?? 0));
  }

  /** true: the job may be routed now; false: it is held and comes back through `release`. */
  async pass(job: Job, params: QueueParams, from: number): Promise<boolean> {
    const stages = rateStages(this.store.current.queues, job, params);
    for (let i = from; i < stages.length; i++) {
      this.passed.set(job, i + 1);
      const stage = stages[i]!;
      // its turn: the head's, then one emission interval for each job before it
      const onHeld = (at: Held) => this.held(job, stage, Math.max(at.headDue, Date.now()) + at.ahead * stage.rate.intervalMs);
      if (!(await this.hold.admit(stage.key, job, onHeld))) return false;
    }
    return true;
  }

  stop(): void {
    this.hold.stop();
  }

  /**
   * One stage's wait (0: one message may go now, and is counted), read from the current
   * config: a stage the config dropped meanwhile no longer holds anything back.
   */
  private delay(key: string, job: Job): Promise<number> {
    const snap = this.store.current;
    const stage = rateStages(snap.queues, job, jobParams(snap, job)).find((s) => s.key === key);
    if (!stage) return Promise.resolve(0);
    const q: ShapingQuery = { domain: key, site: key, mxHosts: [], source: '' };
    return this.gate.messageDelay(q, { ...DEFAULT_SHAPING, max_message_rate: stage.rate });
  }

  /**
   * A job held at a stage: a Delayed record per recipient, as KumoMTA writes when a throttle
   * sends a message back to its scheduled queue ("Context: Received, MessageRateThrottle. Next
   * due in ..."; a tenant's or campaign's rate is KumoMTA's ThrottledByThrottleInsertReadyQueue).
   * One record per hold, due at the job's estimated turn: KumoMTA's message wakes at each
   * throttle's retry_after and may log again.
   */
  private held(job: Job, stage: RateStage, due: number): void {
    const now = Date.now();
    const why = stage.kind === 'queue' ? 'MessageRateThrottle' : 'ThrottledByThrottleInsertReadyQueue';
    const reply = delayedReply(`${job.reason}, ${why}`, due, now);
    const rec: AttemptContext = { queue: job.queue, attempts: job.attempts };
    for (const rcpt of pendingRecipients(job)) this.outcomes.delayed(job.meta, rcpt, reply, rec, now);
    (stage.kind === 'queue' ? delayedRateThrottle : delayedThrottleInsertReady).inc({ queue: job.queue });
    // released later, it goes on as a message whose due time came (KumoMTA requeues it with one)
    job.reason = 'DueTimeWasReached';
  }
}
