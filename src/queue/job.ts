import type { SpoolMeta } from '../spool/types.js';

export type JobState = 'scheduled' | 'routing' | 'ready' | 'sending' | 'done';

/**
 * The unit of queueing: the pending recipients of one message at one destination domain.
 * Most messages have one; a message with recipients at several domains has one job per
 * domain, each with its own retry state, sharing the message's SpoolMeta (the only thing
 * kept in RAM — never the body).
 */
export interface Job {
  readonly meta: SpoolMeta;
  /** recipient domain, lower-case */
  readonly domain: string;
  /** scheduled queue name, set when the job is (re)scheduled */
  queue: string;
  attempts: number;
  /** epoch ms of the next attempt */
  due: number;
  /** bumped on every (re)schedule so that stale timer entries are ignored */
  gen: number;
  state: JobState;
  /**
   * Why it was last put up for delivery, as KumoMTA's insert context names it in a Delayed
   * record: taken in from reception or the spool scan, or due after a wait.
   */
  reason: 'Received' | 'Enumerated' | 'DueTimeWasReached';
}

/** Persisted per-domain retry state of a multi-domain message (SpoolMeta.extra.retry). */
type RetryState = Record<string, { attempts: number; due: number }>;

export function domainOf(address: string): string {
  const at = address.lastIndexOf('@');
  return (at >= 0 ? address.slice(at + 1) : '').toLowerCase().replace(/\.$/, '');
}

export function pendingRecipients(job: Job): string[] {
  const out: string[] = [];
  for (const r of job.meta.recipients) if (r.status === 'pending' && domainOf(r.address) === job.domain) out.push(r.address);
  return out;
}

export function hasPending(meta: SpoolMeta): boolean {
  return meta.recipients.some((r) => r.status === 'pending');
}

/** The jobs of a message (one per domain with pending recipients), with their saved retry state. */
export function buildJobs(meta: SpoolMeta): Job[] {
  const domains = new Set<string>();
  for (const r of meta.recipients) if (r.status === 'pending') domains.add(domainOf(r.address));
  const saved = (meta.extra?.retry ?? {}) as RetryState;
  return [...domains].map((domain) => ({
    meta,
    domain,
    queue: '',
    attempts: saved[domain]?.attempts ?? meta.attempts ?? 0,
    due: saved[domain]?.due ?? meta.due ?? 0,
    gen: 0,
    state: 'scheduled' as JobState,
    reason: 'Received' as const,
  }));
}

/**
 * Writes the retry state of `jobs` (all live jobs of one message) into its meta: the
 * message-level attempts/due summarize them (max attempts, earliest due) and, when there is
 * more than one domain, `extra.retry` keeps each domain's own state.
 */
export function storeRetryState(meta: SpoolMeta, jobs: readonly Job[]): void {
  const live = jobs.filter((j) => j.state !== 'done');
  const all = live.length ? live : jobs;
  meta.attempts = Math.max(0, ...all.map((j) => j.attempts));
  meta.due = live.length ? Math.min(...live.map((j) => j.due)) : 0;
  if (jobs.length > 1 || meta.extra?.retry) {
    const retry: RetryState = {};
    for (const j of live) retry[j.domain] = { attempts: j.attempts, due: j.due };
    meta.extra = { ...(meta.extra ?? {}), retry };
  }
}
