import type { AdminState } from '../admin/admin-state.js';
import type { AdminRule } from '../admin/rules.js';
import type { Spool, SpoolMeta } from '../spool/types.js';
import { rfc3339, messageMeta } from '../logging/record-fields.js';
import { META_KEY, jobFacts, routingOverride } from './admin-hooks.js';
import type { Job } from './job.js';
import type { QueueManager } from './manager.js';
import type { HookQueueView } from '../events/metrics.js';

/** A rule as the queue summary shows it. */
export interface RuleRef {
  id: string;
  reason: string;
  /** RFC 3339 */
  expires: string;
}

export interface ScheduledSummary {
  name: string;
  domain: string;
  tenant?: string;
  campaign?: string;
  count: number;
  oldest_age_s: number;
  suspended: RuleRef | null;
  bounce: RuleRef | null;
}

export interface ReadySummary {
  name: string;
  source: string;
  site: string;
  count: number;
  connections: number;
  suspended: RuleRef | null;
}

export interface QueueSummary {
  scheduled: ScheduledSummary[];
  ready: ReadySummary[];
  totals: { scheduled: number; ready: number; received_total: number; delivered_total: number; transient_total: number; failed_total: number };
}

const ref = (r: AdminRule | undefined): RuleRef | null => (r ? { id: r.id, reason: r.reason, expires: rfc3339(r.expires) } : null);

/** Whether a job waits in a scheduled queue (timer, suspension, routing) rather than a ready queue. */
const scheduledState = (j: Job) => j.state === 'scheduled' || j.state === 'routing';

/**
 * `GET /api/admin/queue-summary/v1`: scheduled queues (recipient jobs waiting for their next
 * attempt or held by a suspension) and ready queues (waiting for / on a connection), largest
 * first, with the admin rules in force for each and the outcome counters since start (the
 * CLI's `top` derives rates from them).
 */
export function queueSummary(mgr: QueueManager, admin: AdminState | undefined, hooks: readonly HookQueueView[] = []): QueueSummary {
  const now = Date.now();
  const sched = new Map<string, ScheduledSummary & { oldest: number }>();
  for (const m of mgr.heldMessages()) {
    for (const job of m.jobs) {
      if (!scheduledState(job)) continue;
      // the name set at the last promotion; the queue config is only consulted for jobs never
      // promoted since start (polled every second by `top`: keep it cheap)
      let e = job.queue ? sched.get(job.queue) : undefined;
      if (!e) {
        const facts = jobFacts(job, mgr.paramsOf(job));
        e = sched.get(facts.name);
      }
      if (!e) {
        const facts = jobFacts(job, mgr.paramsOf(job));
        e = {
          name: facts.name,
          domain: facts.domain,
          ...(facts.tenant !== undefined ? { tenant: facts.tenant } : {}),
          ...(facts.campaign !== undefined ? { campaign: facts.campaign } : {}),
          count: 0,
          oldest_age_s: 0,
          suspended: ref(admin?.suspensionFor(facts)),
          bounce: ref(admin?.bounceFor(facts)),
          oldest: m.meta.receivedAt,
        };
        sched.set(facts.name, e);
      }
      e.count++;
      if (m.meta.receivedAt < e.oldest) e.oldest = m.meta.receivedAt;
    }
  }
  const scheduled = [...sched.values()]
    .map(({ oldest, ...e }) => ({ ...e, oldest_age_s: Math.max(0, Math.floor((now - oldest) / 1000)) }))
    .sort((a, b) => b.count - a.count || a.name.localeCompare(b.name));
  const ready: ReadySummary[] = [];
  for (const rq of mgr.readyQueues().values()) {
    ready.push({ name: rq.key, source: rq.source, site: rq.site, count: rq.size, connections: rq.connections, suspended: ref(admin?.readySuspensionFor(rq.key)) });
  }
  ready.sort((a, b) => b.count - a.count || a.name.localeCompare(b.name));
  const s = mgr.stats;
  const mailScheduled = scheduled.reduce((n, e) => n + e.count, 0);
  // log hook queues (src/events/) are scheduled queues of events, listed with the mail's but
  // left out of the message totals
  for (const h of hooks) scheduled.push({ name: `hook:${h.hook}`, domain: '', count: h.backlog, oldest_age_s: Math.floor(h.oldestAgeS), suspended: null, bounce: null });
  return {
    scheduled,
    ready,
    totals: {
      scheduled: mailScheduled,
      ready: ready.reduce((n, e) => n + e.count, 0),
      received_total: s.received,
      delivered_total: s.delivered,
      transient_total: s.transient,
      failed_total: s.bounced + s.expired,
    },
  };
}

/** KumoMTA's ReadyQueueStateSnapshot, by ready queue name (`GET /api/admin/ready-q-states/v1`). */
export function readyQueueStates(mgr: QueueManager, admin: AdminState | undefined, only?: readonly string[]): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const rq of mgr.readyQueues().values()) {
    if (only?.length && !only.includes(rq.key)) continue;
    const s = admin?.readySuspensionFor(rq.key);
    out[rq.key] = {
      connection_count: rq.connections,
      ready_count: rq.size,
      ...(s ? { suspended: readySuspendEntry(s as Extract<AdminRule, { kind: 'suspend-ready-q' }>) } : {}),
    };
  }
  return out;
}

/** KumoMTA's SuspendReadyQueueV1ListEntry. */
export function readySuspendEntry(r: Extract<AdminRule, { kind: 'suspend-ready-q' }>, now = Date.now()) {
  return { id: r.id, name: r.name, reason: r.reason, duration: durationOf(r.expires - now), expires: rfc3339(r.expires) };
}

/** Remaining time as KumoMTA prints it in list entries ("4m 59s"). */
export function durationOf(ms: number): string {
  let s = Math.max(0, Math.round(ms / 1000));
  const parts: string[] = [];
  for (const [unit, size] of [['d', 86_400], ['h', 3_600], ['m', 60]] as const) {
    if (s >= size) {
      parts.push(`${Math.floor(s / size)}${unit}`);
      s %= size;
    }
  }
  if (s || !parts.length) parts.push(`${s}s`);
  return parts.join(' ');
}

export interface InspectedMessage {
  id: string;
  message: {
    sender: string;
    recipient: string[];
    meta: Record<string, unknown>;
    data?: string;
    due: string | null;
    num_attempts: number;
    scheduling: Record<string, unknown>;
  };
}

/**
 * KumoMTA's InspectMessageV1Response for a spooled message: envelope, metadata, scheduling
 * (per destination domain: its queue, state, attempts and next attempt) and, with
 * `wantBody`, the message itself. Undefined for an unknown id.
 */
export async function inspectMessage(mgr: QueueManager, spool: Spool, id: string, wantBody: boolean): Promise<InspectedMessage | undefined> {
  const held = mgr.heldMessage(id);
  const meta: SpoolMeta | undefined = held?.meta ?? (await spool.getMeta(id));
  if (!meta) return undefined;
  const jobs = held?.jobs.filter((j) => j.state !== 'done') ?? [];
  const queues = jobs.map((j) => {
    const f = jobFacts(j, mgr.paramsOf(j));
    return { domain: j.domain, queue: f.name, state: mgr.parked.has(j) ? 'suspended' : j.state, num_attempts: j.attempts, due: j.due ? rfc3339(j.due) : null };
  });
  const rd = routingOverride(meta);
  const extraMeta = (meta.extra?.[META_KEY] as Record<string, unknown> | undefined) ?? {};
  const out: InspectedMessage = {
    id: meta.id,
    message: {
      sender: meta.sender,
      recipient: meta.recipients.map((r) => r.address),
      meta: {
        ...extraMeta,
        ...messageMeta(meta),
        ...(queues[0] ? { queue: queues[0].queue } : {}),
        ...(rd !== undefined ? { routing_domain: rd } : {}),
        reception_protocol: meta.reception.protocol,
        ...(meta.reception.peer ? { received_from: meta.reception.peer } : {}),
      },
      due: meta.due ? rfc3339(meta.due) : null,
      num_attempts: meta.attempts,
      scheduling: {
        received: rfc3339(meta.receivedAt),
        recipients: meta.recipients.map((r) => ({ address: r.address, status: r.status })),
        queues,
      },
    },
  };
  if (wantBody) {
    const body = await spool.getBody(id);
    if (body) out.message.data = body.toString('utf8');
  }
  return out;
}
