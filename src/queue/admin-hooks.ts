import type { AdminState } from '../admin/admin-state.js';
import type { BounceRule, QueueFacts, SuspendRule } from '../admin/rules.js';
import { queueParams } from '../config/queues.js';
import type { QueueParams } from '../config/queues.js';
import type { Snapshot } from '../config/snapshot.js';
import type { SmtpReply } from '../delivery/response.js';
import type { SpoolMeta } from '../spool/types.js';
import type { Job } from './job.js';
import { queueName } from './naming.js';

import type { OutcomeRecorder } from './outcome.js';
import type { AttemptContext } from './records.js';
import { pendingRecipients } from './job.js';

/** Where a rebind (`POST /api/admin/rebind/v1`) keeps a message's new routing domain. */
const ROUTING_KEY = 'routing_domain';
/** Where a rebind keeps the other metadata it was given (shown by inspect-message). */
export const META_KEY = 'meta';

/** The routing domain a rebind gave the message, if any (it wins over the queue config's). */
export function routingOverride(meta: SpoolMeta): string | undefined {
  const v = meta.extra?.[ROUTING_KEY];
  return typeof v === 'string' && v ? v : undefined;
}

/** The queue config for a job, with the message's own routing domain (rebind) applied. */
export function jobParams(snap: Snapshot, job: Job): QueueParams {
  const meta = job.meta;
  const p = queueParams(snap.queues, job.domain, meta.tenant, meta.campaign);
  const rd = routingOverride(meta);
  if (rd === undefined || rd === p.routingDomain) return p;
  // a new routing domain takes the message away from the smarthosts its old routing literal implied
  const literal = /^\[([^\]]+)\](?::(\d+))?$/.exec(rd);
  if (literal) return { ...p, routingDomain: rd, protocol: { kind: 'smtp', mxList: [{ name: literal[1], addr: literal[1], ...(literal[2] ? { port: Number(literal[2]) } : {}) }] } };
  const protocol = p.protocol.kind === 'smtp' && p.routingDomain !== undefined && /^\[/.test(p.routingDomain) ? { kind: 'smtp' as const } : p.protocol;
  return { ...p, routingDomain: rd, protocol };
}

/** The scheduled queue of a job under `params` (what admin rules match on). */
export function jobFacts(job: Job, params: QueueParams): QueueFacts {
  const meta = job.meta;
  return {
    name: queueName({ domain: job.domain, tenant: meta.tenant, campaign: meta.campaign, routingDomain: params.routingDomain }),
    domain: job.domain,
    routingDomain: params.routingDomain,
    tenant: meta.tenant,
    campaign: meta.campaign,
  };
}

/** KumoMTA's AdminBounce response (551 5.7.1, "Administrator bounced with reason: …"). */
export function adminBounceReply(reason: string): SmtpReply {
  return { code: 551, enhanced: '5.7.1', text: `Administrator bounced with reason: ${reason}`, command: 'ADMIN', internal: true };
}

/** The admin rule in force for a job at intake (a bounce before a suspension), if any. */
export function adminVerdict(admin: AdminState | undefined, job: Job, params: QueueParams): BounceRule | SuspendRule | undefined {
  if (!admin || admin.empty) return undefined;
  const facts = jobFacts(job, params);
  return admin.bounceFor(facts) ?? admin.suspensionFor(facts);
}

/**
 * AdminBounce outcomes for a job's pending recipients (no records with suppress_logging),
 * counted in the rule; the caller finishes the job. Returns how many were bounced.
 */
export function recordAdminBounce(outcomes: OutcomeRecorder, admin: AdminState | undefined, job: Job, params: QueueParams, rule: BounceRule): number {
  const facts = jobFacts(job, params);
  const reply = adminBounceReply(rule.reason);
  const ctx: AttemptContext = { queue: facts.name, pool: params.egressPool, attempts: job.attempts };
  const now = Date.now();
  let n = 0;
  for (const rcpt of pendingRecipients(job)) if (outcomes.final('AdminBounce', job.meta, rcpt, reply, ctx, now, rule.suppress_logging)) n++;
  if (n) admin?.countBounced(rule, facts.name, n);
  return n;
}

/**
 * Jobs held back by a scheduled-queue suspension, by rule id: they are neither in the timer
 * heap nor in a ready queue until the suspension ends (cancelled or expired), then they are
 * due at once. A job rescheduled meanwhile (rebind, bounce) is recognised by its generation.
 */
export class ParkedJobs {
  private readonly byRule = new Map<string, Map<Job, number>>();

  park(ruleId: string, job: Job): void {
    job.gen++;
    job.state = 'scheduled';
    let m = this.byRule.get(ruleId);
    if (!m) this.byRule.set(ruleId, (m = new Map()));
    m.set(job, job.gen);
  }

  /** The still-parked jobs of a rule, removed from the set. */
  release(ruleId: string): Job[] {
    const m = this.byRule.get(ruleId);
    this.byRule.delete(ruleId);
    if (!m) return [];
    const out: Job[] = [];
    for (const [job, gen] of m) if (job.gen === gen && job.state === 'scheduled') out.push(job);
    return out;
  }

  /** How many jobs are parked (stale entries included until their rule ends). */
  get size(): number {
    let n = 0;
    for (const m of this.byRule.values()) n += m.size;
    return n;
  }

  /** Whether `job` is parked now (for the queue summary). */
  has(job: Job): boolean {
    for (const m of this.byRule.values()) if (m.get(job) === job.gen) return true;
    return false;
  }
}
