import type { ConfigStore } from '../config/store.js';
import type { Snapshot } from '../config/snapshot.js';
import { UNSPECIFIED } from '../config/egress.js';
import type { EgressSource } from '../config/egress.js';
import { DEFAULT_REAP_INTERVAL_MS, queueParams } from '../config/queues.js';
import type { QueueParams } from '../config/queues.js';
import { Reporter } from '../config/report.js';
import { createResolver } from '../dns/create.js';
import type { Resolver } from '../dns/resolver.js';
import { RouteCache } from '../dns/route-cache.js';
import { RouteError } from '../dns/route.js';
import type { Route } from '../dns/route.js';
import { SourceSelector } from '../egress/selector.js';
import type { Logger } from '../logging/logger.js';
import type { RecordJournal } from '../logging/record-journal.js';
import type { LogWriter } from '../logging/types.js';
import type { ShapingGate } from '../shaping/gate.js';
import { resolveShaping } from '../shaping/resolve.js';
import type { EffectiveShaping, ShapingQuery } from '../shaping/types.js';
import type { Spool, SpoolMeta } from '../spool/types.js';
import { SpoolStateWriter } from '../spool/write-retry.js';
import { ReadyQueue } from '../delivery/ready-queue.js';
import { readyQueueIdentity, shapingQueryFor, siteIdentity } from '../delivery/ready-queue-name.js';
import type { SiteIdentity } from '../delivery/ready-queue-name.js';
import { mxListLabel } from '../dns/route.js';
import type { ReadyQueueHost } from '../delivery/ready-queue.js';
import type { SmtpReply } from '../delivery/response.js';
import { internalReply } from '../delivery/smtp-client.js';
import type { ConnectError } from '../delivery/smtp-client.js';
import type { DeliverySession } from '../delivery/delivery-session.js';
import { isPushProtocol, pushOpener, pushReadyQueue } from '../delivery/push-protocols.js';
import type { PushFacts, PushProtocol } from '../delivery/push-protocols.js';
import { raceDeadline } from './util.js';
import { buildJobs, pendingRecipients, storeRetryState } from './job.js';
import type { Job } from './job.js';
import { parseQueueName, queueName } from './naming.js';
import { OutcomeRecorder } from './outcome.js';
import type { QueueStats } from './outcome.js';
import type { AttemptContext } from './records.js';
import { delayedReply } from './records.js';
import { nextAllowed, storedSchedule } from './schedule.js';
import { nodeIdFor } from '../logging/node-id.js';
import { TimerHeap } from './timer-heap.js';
import { RateStageGate } from './rate-stages.js';
import { pickSource } from './source-pick.js';
import type { SourcePickDeps } from './source-pick.js';
import { delayedReadyFull, liveReadyQueues } from './metrics.js';
import type { IntakeReason, QueueIntake } from './types.js';
import { registerQueueView, unregisterQueueView } from '../metrics/queue-metrics.js';
import type { QueueMetricsView } from '../metrics/queue-metrics.js';
import type { AdminState } from '../admin/admin-state.js';
import type { AdminRule, BounceRule } from '../admin/rules.js';
import { ParkedJobs, adminVerdict, jobParams, recordAdminBounce } from './admin-hooks.js';
import { TlsPolicyEngine } from '../tls-policy/decide.js';
import { RecentIds } from './recent-ids.js';
import { AttemptSettler } from './attempt-settler.js';
import { DeliveryAttempt } from './delivery-attempt.js';
import { SiblingQueues } from './sibling-queues.js';
import type { QueuedMessage } from './attempt-settler.js';

export interface QueueManagerDeps {
  readonly store: ConfigStore;
  readonly spool: Spool;
  readonly records: LogWriter;
  /** outcome records journaled with the spool writes that follow them (the same writer as `records`) */
  readonly journal?: RecordJournal;
  readonly gate: ShapingGate;
  readonly log: Logger;
  /** overrides the resolver the config describes (tests) */
  readonly resolver?: Resolver;
  /** admin bounces and suspensions in force (src/admin/); none in unit tests */
  readonly admin?: AdminState;
  /** MTA-STS / DANE decisions (and TLS-RPT counts); a private one without reporting when absent */
  readonly tlsPolicy?: TlsPolicyEngine;
  /** how long a finished message's id is remembered (ms, default 60 s; tests) */
  readonly finishedWindowMs?: number;
}

/** Base delay before a message whose ready queue was full is tried again (jittered up to 2x). */
/**
 * A job that found its ready queue full waits for room (ReadyQueue.waitForRoom); this timer
 * is only the safety net, later the more jobs wait (a million waiting must not all wake up
 * together).
 */
const READY_FULL_FALLBACK_MS = 30_000;
const READY_FULL_FALLBACK_PER_WAITING_MS = 10;

/** Longest the stop lets in-flight sends finish before dropping their connections. */
export const DELIVERY_DRAIN_MS = 5_000;
/** Kept free at the end of the stop for spool writes and log records to flush. */
const FLUSH_RESERVE_MS = 1_500;

/**
 * The scheduled and ready queues. Holds only SpoolMeta in RAM (bodies are read from the
 * spool when a connection is about to send), drives every retry from one timer heap, and
 * makes every decision from the config snapshot current at that moment.
 */
export class QueueManager implements QueueIntake, ReadyQueueHost {
  readonly gate: ShapingGate;
  readonly log: Logger;
  private readonly timers = new TimerHeap<{ job: Job; gen: number }>((items) => this.onDue(items));
  private readonly messages = new Map<string, QueuedMessage>();
  private readonly ready = new Map<string, ReadyQueue>();
  /** the protocol last routed to each HTTP / AMQP ready queue: its new connections use it */
  private readonly pushLatest = new Map<string, PushProtocol>();
  /** ready queues by source → site: they share the site's connection limit */
  private readonly siblings = new SiblingQueues();
  private readonly selector = new SourceSelector();
  private readonly sourcePick: SourcePickDeps;
  private readonly routes = new RouteCache();
  /** jobs that found their ready queue full: which queue, in which epoch (roomFor) */
  private readonly waitingRoom = new WeakMap<Job, { rq: ReadyQueue; epoch: number; ctx: AttemptContext }>();
  /** messages finished lately: a late announcement or scan of one is ignored */
  private readonly finished: RecentIds;
  private readonly inflight = new Set<Promise<unknown>>();
  /** the queue's, tenant's and campaign's message rates before routing (rate-stages.ts) */
  private readonly rates: RateStageGate;
  private resolverFor: { epoch: number; resolver: Resolver } | undefined;
  private sweeper: NodeJS.Timeout;
  private aborting = false;
  stopping = false;
  private readonly outcomes: OutcomeRecorder;
  /** outcome records, retries and the spool write at the end of each attempt */
  private readonly settle: AttemptSettler;
  /** jobs held by admin suspensions of their scheduled queue (src/queue/admin-hooks.ts) */
  readonly parked = new ParkedJobs();
  private readonly tlsPolicy: TlsPolicyEngine;
  /** one attempt of a routed job: body, send, outcome (src/queue/delivery-attempt.ts) */
  private readonly attempt: DeliveryAttempt;

  constructor(private readonly deps: QueueManagerDeps) {
    this.gate = deps.gate;
    this.sourcePick = { selector: this.selector, gate: deps.gate, shaping: (q) => this.shaping(q) };
    this.log = deps.log;
    this.finished = new RecentIds(deps.finishedWindowMs);
    this.tlsPolicy = deps.tlsPolicy ?? new TlsPolicyEngine(undefined, (what, e) => deps.log.warn(what, { error: String(e) }));
    this.outcomes = new OutcomeRecorder(deps.records, deps.log, () => nodeIdFor(deps.store.current.main.spool.path), deps.journal);
    this.rates = new RateStageGate(deps.store, deps.gate, this.outcomes, (job, passed) => this.track(this.promote(job, passed)));
    this.settle = new AttemptSettler({
      messages: this.messages,
      finished: this.finished,
      outcomes: this.outcomes,
      spoolWrites: new SpoolStateWriter({ spool: deps.spool, log: deps.log, stopping: () => this.stopping, stored: (key) => deps.journal?.stored(key) }),
      records: deps.records,
      journal: deps.journal,
      schedule: (job, due) => this.schedule(job, due),
    });
    this.attempt = new DeliveryAttempt({
      store: deps.store, spool: deps.spool, gate: deps.gate, log: deps.log, outcomes: this.outcomes, settle: this.settle, selector: this.selector,
      source: (name) => this.source(name),
      shaping: (q) => this.shaping(q),
      stopping: () => this.stopping,
      aborting: () => this.aborting,
    });
    this.sweeper = setInterval(() => this.sweep(), 30_000);
    this.sweeper.unref();
    liveReadyQueues.add(this.readyView);
    registerQueueView(this.metricsView);
    deps.admin?.on('ended', this.onRuleEnded);
  }

  /** A suspension ended: what it held back is due now. */
  private readonly onRuleEnded = (rule: AdminRule) => {
    if (this.stopping) return;
    // through the timer heap, not promoted here: a suspension that held a million jobs would
    // otherwise route them all in this one synchronous call (tens of seconds without serving
    // the event loop, the admin API that asked included); the heap hands them out in chunks
    if (rule.kind === 'suspend') for (const job of this.parked.release(rule.id)) this.schedule(job, Date.now(), true);
    if (rule.kind === 'suspend-ready-q') for (const rq of this.ready.values()) rq.kick();
  };

  private readonly readyView = () => this.ready.values();

  /** What the queue gauges read at scrape time (src/metrics/queue-metrics.ts). */
  private readonly metricsView: QueueMetricsView = {
    scheduledJobs: () => scheduledJobs(this.messages.values()),
    // an idle ready queue (no message, no connection) is not live: its series age out
    readyQueues: () => [...this.ready.values()].filter((rq) => rq.busy).map((rq) => ({
      name: rq.key, size: rq.size, connections: rq.connections, provider: this.shaping(rq.query).provider ?? rq.site,
    })),
    reapIntervalMs: (queue) => {
      const snap = this.deps.store.current;
      if (queue === undefined) return snap.queues.defaults.reapIntervalMs ?? DEFAULT_REAP_INTERVAL_MS;
      const q = parseQueueName(queue);
      return queueParams(snap.queues, q.domain, q.tenant, q.campaign).reapIntervalMs;
    },
  };

  // ---------- intake ----------

  /**
   * Whether this message is scheduled or being delivered here, or was finished here lately
   * (its removal may not be committed yet, or a scan may read it from an older snapshot).
   */
  has(id: string): boolean {
    return this.messages.has(id) || this.settle.writes.has(id) || this.finished.has(id);
  }

  /** Takes ownership of a durably spooled message and schedules its delivery; a known id (see `has`) is ignored. */
  enqueue(meta: SpoolMeta, reason: IntakeReason = 'Received'): void {
    if (this.stopping || this.has(meta.id)) return;
    const jobs = buildJobs(meta);
    if (!jobs.length) {
      // nothing pending (finished before a crash, removal lost): finish it now
      this.finished.add(meta.id);
      this.settle.persist(meta, 'remove');
      return;
    }
    this.messages.set(meta.id, { meta, jobs });
    this.outcomes.stats.messages++;
    this.outcomes.stats.received++;
    const snap = this.deps.store.current;
    const now = Date.now();
    for (const job of jobs) {
      job.reason = reason;
      // named now so the scheduled-queue gauges count it before its first attempt
      const params = jobParams(snap, job);
      job.queue = queueName({ domain: job.domain, tenant: meta.tenant, campaign: meta.campaign, routingDomain: params.routingDomain });
      // only a schedule (first_attempt, a delivery window) makes a new message due later
      if (reason === 'Received' && job.due > now) {
        const reply = delayedReply('Received, ScheduledForLater', job.due, now);
        const ctx: AttemptContext = { queue: job.queue, attempts: job.attempts };
        for (const rcpt of pendingRecipients(job)) this.outcomes.delayed(meta, rcpt, reply, ctx, now);
      }
      this.schedule(job, job.due);
    }
  }

  /** Outcome counters since start (tests, metrics, the shutdown log line). */
  get stats(): Readonly<QueueStats> {
    return this.outcomes.stats;
  }

  /** Number of messages held (for tests and metrics). */
  get size(): number {
    return this.messages.size;
  }

  /** `viaTimers`: due now, but promoted from the timer heap (in chunks) rather than at once. */
  private schedule(job: Job, due: number, viaTimers = false): void {
    job.due = due;
    job.gen++;
    job.state = 'scheduled';
    if (due <= Date.now() && !viaTimers) this.track(this.promote(job));
    else this.timers.add({ job, gen: job.gen }, due);
  }

  private onDue(items: { job: Job; gen: number }[]): void {
    for (const { job, gen } of items) {
      if (job.gen !== gen || job.state !== 'scheduled') continue;
      job.reason = 'DueTimeWasReached';
      this.track(this.promote(job));
    }
  }

  // ---------- scheduled -> ready ----------

  /** `ratesPassed`: the rate stages already passed (a job released by rateHold) */
  private async promote(job: Job, ratesPassed = 0): Promise<void> {
    if (this.stopping) return;
    job.state = 'routing';
    const snap = this.deps.store.current;
    const meta = job.meta;
    const params = jobParams(snap, job);
    job.queue = queueName({ domain: job.domain, tenant: meta.tenant, campaign: meta.campaign, routingDomain: params.routingDomain });
    const ctx: AttemptContext = { queue: job.queue, pool: params.egressPool, attempts: job.attempts };
    if (this.adminGate(job, params)) return;

    if (this.expiredByAge(job, params, ctx)) return;
    // a delivery window (the message's schedule): outside it, wait for its next start
    const allowed = meta.extra?.schedule ? nextAllowed(storedSchedule(meta.extra), Date.now()) : 0;
    if (allowed > Date.now()) return this.schedule(job, allowed);
    if (!(await this.rates.pass(job, params, ratesPassed))) return;
    return this.route(job, snap, params, ctx);
  }

  /** Past max_age (or its schedule's expires, which replaces it): expired (bounced with 551 5.4.7) and true. */
  private expiredByAge(job: Job, params: QueueParams, ctx: AttemptContext): boolean {
    const expires = job.meta.extra?.schedule ? storedSchedule(job.meta.extra)?.expires : undefined;
    if (Date.now() < (expires ?? job.meta.receivedAt + params.maxAgeMs)) return false;
    const why = expires !== undefined ? `past the expires time of its schedule (${new Date(expires).toISOString()})` : `older than max_age (${Math.round(params.maxAgeMs / 1000)}s)`;
    this.settle.expire(job, internalReply(`message expired: ${why}`, 'QUEUE', 551, '5.4.7'), ctx);
    return true;
  }

  /** Route, egress source, ready queue (or maildir). */
  private async route(job: Job, snap: Snapshot, params: QueueParams, ctx: AttemptContext): Promise<void> {
    if (this.stopping) return;
    const meta = job.meta;
    if (params.protocol.kind === 'maildir') return this.attempt.maildir(job, params, ctx);
    // HTTP and AMQP delivery: no DNS route; the ready queue (site http:<origin> or
    // amqp:<endpoint>) is shaped like a site's
    const push = isPushProtocol(params.protocol) ? params.protocol : undefined;

    const routingDomain = params.routingDomain ?? job.domain;
    let route: Route;
    try {
      route = push ? pushReadyQueue(push, '').route : await this.routes.get(this.resolver(snap), snap.epoch, routingDomain, {
        mxList: params.protocol.kind === 'smtp' ? params.protocol.mxList : undefined,
        allowLoopback: snap.main.dns.allowLoopbackDestinations,
      });
    } catch (e) {
      if (!(e instanceof RouteError)) throw e;
      const reply: SmtpReply = { code: e.code, enhanced: e.enhanced, text: `kumo-ts: ${e.message}`, command: 'DNS', internal: true };
      this.settle.outcome(job, new Map(pendingRecipients(job).map((r) => [r, reply])), ctx, params, e.permanent ? 'bounce' : 'transient');
      return;
    }
    if (this.stopping) return;

    const site: SiteIdentity = push ? { site: route.site, mxSite: route.site, ownSite: false } : siteIdentity(snap.shaping, routingDomain, route);
    const source = await pickSource(this.sourcePick, snap, params.egressPool, routingDomain, route, site);
    if (this.stopping || job.state === 'done') return; // done: bounced by an admin action meanwhile
    if (typeof source !== 'string') {
      if (source.retryAt) return this.schedule(job, source.retryAt);
      /* c8 ignore start -- guard: no retryAt only for a pool missing from the snapshot, and config refuses an egress_pool it does not define */
      const reply = internalReply(`egress pool "${params.egressPool}" has no usable source`, 'QUEUE', 451, '4.3.0');
      this.settle.outcome(job, new Map(pendingRecipients(job).map((r) => [r, reply])), { ...ctx, site: site.site }, params, 'transient');
      return;
    }
    /* c8 ignore stop */
    // MTA-STS and DANE are about SMTP hosts: an HTTP or AMQP destination has none
    if (!push) try {
      route = await this.applyTlsPolicy(snap, routingDomain, route, site, source);
    } catch (e) {
      const err = e instanceof RouteError ? e : new RouteError(false, 451, '4.7.5', `TLS policy lookup failed: ${String((e as Error).message ?? e)}`);
      const reply: SmtpReply = { code: err.code, enhanced: err.enhanced, text: `kumo-ts: ${err.message}`, command: 'DNS', internal: true };
      this.settle.outcome(job, new Map(pendingRecipients(job).map((r) => [r, reply])), { ...ctx, site: site.site, source }, params, 'transient');
      return;
    }
    if (this.stopping || (job.state as string) === 'done') return; // bounced by an admin action meanwhile
    // everything that makes the destination distinct is in the identity (site, MX hosts,
    // ports, TLS mode, TLS policy): a queue's connections only carry mail that would make the same connection
    const id = push ? pushReadyQueue(push, source).id : readyQueueIdentity(snap, source, routingDomain, route);
    if (push) this.pushLatest.set(id.key, push);
    let rq = this.ready.get(id.key);
    if (!rq) {
      const key = id.key;
      const opener = push ? pushOpener(push, () => this.pushLatest.get(key) ?? push, () => this.source(source), (j) => this.pushFacts(j)) : undefined;
      rq = new ReadyQueue(id, routingDomain, route, this, opener);
      this.ready.set(id.key, rq);
      this.siblings.add(rq);
    } else rq.adopt(route);
    this.enterReady(job, rq, snap.epoch, ctx);
  }

  /** Into its ready queue unless the path is suspended or bounced by shaping automation, or the queue is full. */
  private enterReady(job: Job, rq: ReadyQueue, epoch: number, ctx: AttemptContext): void {
    const path = rq.path(job);
    const until = this.gate.suspendedUntil(path);
    if (until !== undefined && until > Date.now()) return this.schedule(job, until);
    const bounce = this.gate.bounceReason?.(path);
    if (bounce !== undefined) {
      // shaping automation (Bounce / BounceTenant / BounceCampaign) in force for this path
      const reply = internalReply(`bounced by shaping automation: ${bounce}`, 'QUEUE', 550, '5.7.1');
      const c = { ...ctx, site: rq.site, source: rq.source };
      const now = Date.now();
      for (const rcpt of pendingRecipients(job)) this.outcomes.final('AdminBounce', job.meta, rcpt, reply, c, now);
      return this.settle.finishJob(job);
    }
    if (!rq.offer(job)) this.readyFull(job, rq, epoch, { ...ctx, site: rq.site, source: rq.source, readyQueue: rq.key });
  }

  /** MTA-STS / DANE of the routing domain (src/tls-policy/): may drop MX hosts, or throw a RouteError. */
  private applyTlsPolicy(snap: Snapshot, domain: string, route: Route, site: SiteIdentity, source: string): Promise<Route> {
    const s = this.shaping(shapingQueryFor(domain, site, route.mxHosts, source));
    return this.tlsPolicy.decideOrThrow({
      settings: snap.main.tlsPolicy,
      resolver: this.resolver(snap),
      domain,
      route,
      enableMtaSts: s.enable_mta_sts !== false,
      enableDane: s.enable_dane === true,
      port: this.source(source).remotePort ?? 25,
      timeoutMs: snap.main.dns.timeoutMs,
    });
  }

  /**
   * The job's ready queue already holds max_ready messages: it goes back to its scheduled
   * queue until the ready queue has room for it, with a Delayed record as KumoMTA writes one
   * ("Context: Received, ReadyQueueWasFull. Next due in ..."; the due time is the safety-net timer's, the
   * job is offered again as soon as there is room). Not a delivery attempt nor a response:
   * the attempt counter, the retry backoff and shaping automation are left alone, and the
   * spool is not rewritten (its state has not changed).
   */
  private readyFull(job: Job, rq: ReadyQueue, epoch: number, ctx: AttemptContext): void {
    this.waitingRoom.set(job, { rq, epoch, ctx });
    const now = Date.now();
    const fallback = Math.max(READY_FULL_FALLBACK_MS, rq.waitingForRoom * READY_FULL_FALLBACK_PER_WAITING_MS);
    const due = now + fallback + Math.floor(Math.random() * fallback);
    const reply = delayedReply(`${job.reason}, ReadyQueueWasFull`, due, now);
    // KumoMTA's Delayed record names no site, pool nor source: the message is not in a ready queue
    const rec: AttemptContext = { queue: ctx.queue, attempts: ctx.attempts };
    for (const rcpt of pendingRecipients(job)) this.outcomes.delayed(job.meta, rcpt, reply, rec, now);
    delayedReadyFull.inc({ queue: job.queue });
    this.schedule(job, due);
    rq.waitForRoom(job);
  }

  /**
   * Its ready queue has room for a job that found it full. In the same epoch and with the job
   * still belonging to that queue, it is offered again at once instead of being routed anew: its
   * route, source and scheduled-queue rate were decided moments ago, and with reception
   * workers outrunning delivery most of a burst takes this path (routing each job twice was
   * about 6 % of the owner's CPU). Admin rules, max_age and suspensions are checked again.
   */
  roomFor(job: Job): void {
    // not inside the ready queue's own loop over its jobs (a connection failure delaying them all)
    queueMicrotask(() => this.reoffer(job));
  }

  private reoffer(job: Job): void {
    if (this.stopping || job.state !== 'scheduled') return;
    const at = this.waitingRoom.get(job);
    this.waitingRoom.delete(job);
    const snap = this.deps.store.current;
    if (!at || at.epoch !== snap.epoch || this.ready.get(at.rq.id.key) !== at.rq || !this.belongs(job, at.rq)) return this.schedule(job, Date.now());
    job.gen++; // the fallback timer set by readyFull is void now
    job.state = 'routing';
    const params = jobParams(snap, job);
    if (this.adminGate(job, params)) return;
    if (this.expiredByAge(job, params, at.ctx)) return;
    this.enterReady(job, at.rq, snap.epoch, at.ctx);
  }

  // ---------- ReadyQueueHost ----------

  source(name: string): EgressSource {
    const snap = this.deps.store.current;
    return snap.egress.sources.get(name) ?? snap.egress.sources.get(UNSPECIFIED)!;
  }

  hostname(): string {
    return this.deps.store.current.main.hostname;
  }

  shaping(q: ShapingQuery): EffectiveShaping {
    return resolveShaping(this.deps.store.current, q);
  }

  /** What an HTTP request or AMQP publish for `job` needs, from the current config (undefined: it no longer pushes). */
  private pushFacts(job: Job): PushFacts | undefined {
    const p = jobParams(this.deps.store.current, job).protocol;
    return isPushProtocol(p) ? { protocol: p, meta: job.meta, queue: job.queue, domain: job.domain } : undefined;
  }

  deliver(job: Job, session: DeliverySession, rq: ReadyQueue): Promise<void> {
    return this.attempt.smtp(job, session, rq);
  }

  readySuspended(rq: ReadyQueue): boolean {
    return this.deps.admin?.readySuspensionFor(rq.key) !== undefined;
  }

  reschedule(job: Job, due: number): void {
    if (this.stopping) return;
    this.schedule(job, due);
  }

  starved(rq: ReadyQueue): void {
    this.siblings.releaseIdleFor(rq);
  }

  belongs(job: Job, rq: ReadyQueue): boolean {
    const snap = this.deps.store.current;
    const params = jobParams(snap, job);
    if (isPushProtocol(params.protocol)) return pushReadyQueue(params.protocol, rq.source).id.key === rq.id.key;
    if (params.protocol.kind !== 'smtp') return false;
    const mx = params.protocol.mxList;
    if ((mx?.length ? mxListLabel(mx) : undefined) !== rq.route.mxListLabel) return false;
    // the DNS answer behind an MX route is not asked again per message: the queue's stands
    return readyQueueIdentity(snap, rq.source, params.routingDomain ?? job.domain, rq.route).key === rq.id.key;
  }

  connectFailed(job: Job, err: ConnectError, rq: ReadyQueue): void {
    this.attempt.connectFailed(job, err, rq);
  }

  // ---------- admin (rules: src/queue/admin-hooks.ts; bulk actions: src/queue/admin-ops.ts) ----------

  /** An admin bounce or scheduled-queue suspension in force for the job: applied, true. */
  private adminGate(job: Job, params: QueueParams): boolean {
    const v = adminVerdict(this.deps.admin, job, params);
    if (v?.kind === 'bounce') this.bounceJob(job, v);
    else if (v) this.parked.park(v.id, job);
    return v !== undefined;
  }

  /** Bounces a job's pending recipients under an admin rule (not one being sent: 0) and finishes it. */
  bounceJob(job: Job, rule: BounceRule): number {
    if (job.state === 'done' || job.state === 'sending') return 0;
    const n = recordAdminBounce(this.outcomes, this.deps.admin, job, this.paramsOf(job), rule);
    this.settle.finishJob(job);
    return n;
  }

  /** Every message held, with its jobs (admin views and bulk actions; read-only use). */
  heldMessages(): IterableIterator<{ readonly meta: SpoolMeta; readonly jobs: readonly Job[] }> {
    return this.messages.values();
  }

  heldMessage(id: string): { readonly meta: SpoolMeta; readonly jobs: readonly Job[] } | undefined {
    return this.messages.get(id);
  }

  /** The queue config of a job as the manager applies it (rebind's routing domain included). */
  paramsOf(job: Job): QueueParams {
    return jobParams(this.deps.store.current, job);
  }

  /** Makes a waiting job (timer, suspension; ready: after takeFromReady) due at `due`. */
  requeue(job: Job, due: number): void {
    if (!this.stopping && job.state === 'scheduled') this.schedule(job, due);
  }

  /** Takes the jobs matching `pred` out of the ready queues (no connection has them yet), back in the scheduled state. */
  takeFromReady(pred: (job: Job) => boolean): Job[] {
    const out: Job[] = [];
    for (const rq of this.ready.values()) for (const job of rq.drop(pred)) out.push(Object.assign(job, { state: 'scheduled' as const }));
    return out;
  }

  /** Saves a message's changed metadata (rebind), in order with its other spool writes. */
  saveMeta(meta: SpoolMeta): void {
    const msg = this.messages.get(meta.id);
    if (msg) storeRetryState(meta, msg.jobs);
    this.settle.persist(meta, 'update');
  }

  // ---------- helpers ----------

  private resolver(snap: Snapshot): Resolver {
    if (this.deps.resolver) return this.deps.resolver;
    if (this.resolverFor?.epoch !== snap.epoch) this.resolverFor = { epoch: snap.epoch, resolver: createResolver(snap.main.dns, new Reporter()).resolver };
    return this.resolverFor.resolver;
  }

  private track(p: Promise<unknown>): void {
    const t = p.catch((e: unknown) => this.log.error('queue processing failed', { error: String((e as Error).stack ?? e) }));
    this.inflight.add(t);
    void t.then(() => this.inflight.delete(t));
  }

  private sweep(): void {
    for (const [k, rq] of this.ready) {
      if (rq.busy) continue;
      this.ready.delete(k);
      this.pushLatest.delete(k);
      this.siblings.remove(rq);
    }
  }

  /** Ready queues by identity key (see ready-queue-name.ts; read-only use: admin, tests). */
  readyQueues(): ReadonlyMap<string, ReadyQueue> {
    return this.ready;
  }

  /**
   * Stops intake and scheduling, lets connections finish the message in flight for at most
   * DELIVERY_DRAIN_MS (and never past `deadline` minus the time the spool and records need),
   * then drops them: those messages stay spooled unchanged, as do messages not yet sent, for
   * the restart. Then waits for the spool writes. A receiver that never answers DATA thus
   * costs the stop a bounded few seconds, whatever the process-wide deadline.
   */
  async stop(deadline: number): Promise<void> {
    this.stopping = true;
    liveReadyQueues.delete(this.readyView);
    unregisterQueueView(this.metricsView);
    this.deps.admin?.off('ended', this.onRuleEnded);
    this.timers.stop();
    this.rates.stop();
    clearInterval(this.sweeper);
    const t0 = Date.now();
    const drainUntil = Math.min(t0 + DELIVERY_DRAIN_MS, deadline - FLUSH_RESERVE_MS);
    const stops = [...this.ready.values()].map((rq) => rq.stop());
    const graceful = await raceDeadline(Promise.all(stops), drainUntil);
    if (!graceful) {
      this.aborting = true;
      const sending = [...this.ready.values()].reduce((n, rq) => n + (rq.busy ? 1 : 0), 0);
      this.log.warn(`queue: delivery drain budget of ${Math.max(0, drainUntil - t0)} ms used up; dropping the connections still sending (their messages stay spooled unchanged)`, {
        ready_queues_busy: sending,
      });
      for (const rq of this.ready.values()) rq.destroy();
      // a dropped send settles at once (internal failure); the bound only guards a stuck one
      await raceDeadline(Promise.all(stops), Math.min(Date.now() + 1_000, deadline - FLUSH_RESERVE_MS / 2));
    }
    await raceDeadline(Promise.all([...this.inflight]), Math.min(Date.now() + 1_000, deadline - FLUSH_RESERVE_MS / 2));
    await raceDeadline(Promise.all([...this.settle.writes.values()]), deadline - 200);
  }
}

/** Jobs waiting in their scheduled queue (not in a ready queue, not being sent, not done). */
function* scheduledJobs(messages: Iterable<QueuedMessage>): Iterable<{ queue: string; receivedAt: number }> {
  for (const m of messages) for (const j of m.jobs) if ((j.state === 'scheduled' || j.state === 'routing') && j.queue) yield { queue: j.queue, receivedAt: m.meta.receivedAt };
}
