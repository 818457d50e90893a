import { selects } from '../admin/rules.js';
import type { BounceRule, QueueSelector } from '../admin/rules.js';
import { yieldIfBusy } from '../config/yield.js';
import type { Logger } from '../logging/logger.js';
import type { SpoolMeta } from '../spool/types.js';
import { META_KEY, jobFacts } from './admin-hooks.js';
import type { Job } from './job.js';
import type { QueueManager } from './manager.js';
import { parseQueueName } from './naming.js';

/** Bulk actions yield to the event loop at least every this many messages (and per time slice). */
const SLICE_MESSAGES = 500;
/** A long bulk action logs its progress this often. */
const PROGRESS_MS = 3_000;

/** Counts and logs the progress of one bulk action over the held messages. */
class Progress {
  private readonly t0 = Date.now();
  private last = this.t0;
  seen = 0;
  constructor(private readonly log: Logger, private readonly what: string, private readonly total: number) {}

  async step(fields: () => Record<string, unknown>): Promise<void> {
    this.seen++;
    if (this.seen % SLICE_MESSAGES === 0) await new Promise<void>((r) => setImmediate(r));
    else await yieldIfBusy();
    const now = Date.now();
    /* c8 ignore start -- only a bulk action over 3 s (hundreds of thousands of messages) logs progress: too slow for the suite */
    if (now - this.last >= PROGRESS_MS) {
      this.last = now;
      this.log.info(`admin: ${this.what} in progress`, { scanned: this.seen, of: this.total, ...fields() });
    }
    /* c8 ignore stop */
  }

  done(fields: Record<string, unknown>): void {
    this.log.info(`admin: ${this.what} done`, { scanned: this.seen, ms: Date.now() - this.t0, ...fields });
  }
}

const matching = (mgr: QueueManager, sel: QueueSelector) => (job: Job) => job.state !== 'done' && selects(sel, jobFacts(job, mgr.paramsOf(job)));

/**
 * Bounces every held message (recipient job) the rule selects, now: AdminBounce records and
 * spool removal (src/queue/manager.ts bounceJob). Runs in slices; answers with the recipients
 * bounced by scheduled queue name. Jobs being sent at this moment are not bounced (their
 * outcome is already on the wire); a retry of theirs meets the rule at intake.
 */
export async function bulkBounce(mgr: QueueManager, rule: BounceRule, log: Logger): Promise<{ bounced: Record<string, number>; total: number }> {
  const match = matching(mgr, rule);
  const bounced: Record<string, number> = {};
  let total = 0;
  const bounce = (job: Job) => {
    const queue = jobFacts(job, mgr.paramsOf(job)).name;
    const n = mgr.bounceJob(job, rule);
    if (n) {
      bounced[queue] = (bounced[queue] ?? 0) + n;
      total += n;
    }
  };
  // first what waits in ready queues (no connection has it yet), then the scheduled rest
  for (const job of mgr.takeFromReady(match)) bounce(job);
  const msgs = [...mgr.heldMessages()];
  const progress = new Progress(log, `bounce ${rule.id}`, msgs.length);
  for (const m of msgs) {
    for (const job of m.jobs) if (match(job)) bounce(job);
    await progress.step(() => ({ bounced: total }));
  }
  progress.done({ bounced: total, id: rule.id });
  return { bounced, total };
}

/**
 * A new scheduled-queue suspension also holds what already waits in a ready queue without a
 * connection: those jobs go back through intake, where the suspension parks them.
 */
export function holdSuspended(mgr: QueueManager, sel: QueueSelector): number {
  const jobs = mgr.takeFromReady(matching(mgr, sel));
  for (const job of jobs) mgr.requeue(job, Date.now());
  return jobs.length;
}

export interface RebindRequest extends QueueSelector {
  readonly reason: string;
  /** string keys and values, merged into the message metadata (routing_domain, queue, tenant, campaign, others) */
  readonly data: Readonly<Record<string, string>>;
  readonly always_flush?: boolean;
}

export interface RebindResult {
  /** recipient jobs that matched */
  matched: number;
  /** of those, how many changed scheduled queue */
  moved: number;
  /** how many were made due now */
  flushed: number;
}

/**
 * KumoMTA's rebind without the rebind_message event: the data is merged into the metadata of
 * every matching message (durably: the spool record is rewritten), then each matching job is
 * queued again under its new routing. A job whose scheduled queue changed, or every job with
 * always_flush, is due at once; others keep their next-attempt time.
 */
export async function bulkRebind(mgr: QueueManager, req: RebindRequest, log: Logger): Promise<RebindResult> {
  const match = matching(mgr, req);
  const res: RebindResult = { matched: 0, moved: 0, flushed: 0 };
  const fromReady = new Set(mgr.takeFromReady(match));
  const msgs = [...mgr.heldMessages()];
  const progress = new Progress(log, 'rebind', msgs.length);
  for (const m of msgs) {
    const jobs = m.jobs.filter((j) => fromReady.has(j) || match(j));
    if (jobs.length) {
      const before = jobs.map((j) => jobFacts(j, mgr.paramsOf(j)).name);
      applyRebindData(m.meta, req.data);
      mgr.saveMeta(m.meta);
      jobs.forEach((job, i) => {
        res.matched++;
        const moved = jobFacts(job, mgr.paramsOf(job)).name !== before[i];
        if (moved) res.moved++;
        if (moved || req.always_flush || fromReady.has(job) || mgr.parked.has(job)) {
          mgr.requeue(job, Date.now());
          res.flushed++;
        }
      });
    }
    await progress.step(() => ({ ...res }));
  }
  progress.done({ ...res, reason: req.reason, data: req.data });
  return res;
}

/** Merges rebind data into a message's metadata (tenant, campaign, routing domain, queue name, others). */
export function applyRebindData(meta: SpoolMeta, data: Readonly<Record<string, string>>): void {
  const extra: Record<string, unknown> = { ...(meta.extra ?? {}) };
  const other: Record<string, unknown> = { ...((extra[META_KEY] as Record<string, unknown> | undefined) ?? {}) };
  for (const [k, v] of Object.entries(data)) {
    if (k === 'tenant') meta.tenant = v;
    else if (k === 'campaign') meta.campaign = v;
    else if (k === 'routing_domain') extra.routing_domain = v.toLowerCase();
    else if (k === 'queue') {
      // KumoMTA's queue override: the name's parts become the message's; a domain other than
      // the recipient's routes the message there
      const q = parseQueueName(v);
      if (q.tenant !== undefined) meta.tenant = q.tenant;
      if (q.campaign !== undefined) meta.campaign = q.campaign;
      const rd = (q.routingDomain ?? q.domain).toLowerCase();
      const own = new Set(meta.recipients.map((r) => r.address.slice(r.address.lastIndexOf('@') + 1).toLowerCase()));
      if (q.routingDomain !== undefined || !own.has(rd)) extra.routing_domain = rd;
      else delete extra.routing_domain;
    } else other[k] = v;
  }
  if (Object.keys(other).length) extra[META_KEY] = other;
  meta.extra = extra;
}
