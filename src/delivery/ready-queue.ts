import type { EgressSource } from '../config/egress.js';
import type { Route } from '../dns/route.js';
import type { Logger } from '../logging/logger.js';
import type { Job } from '../queue/job.js';
import type { Lease, PathInfo, ShapingGate } from '../shaping/gate.js';
import type { EffectiveShaping, ShapingQuery } from '../shaping/types.js';
import { pinPorts, shapingQueryFor } from './ready-queue-name.js';
import type { ReadyQueueIdentity } from './ready-queue-name.js';
import { ConnectError, openSession } from './smtp-client.js';
import type { DeliverySession } from './delivery-session.js';
import { Fifo } from './fifo.js';

/** What a ready queue needs from the queue manager. */
export interface ReadyQueueHost {
  readonly stopping: boolean;
  readonly gate: ShapingGate;
  readonly log: Logger;
  /** current egress source definition (from the current snapshot) */
  source(name: string): EgressSource;
  /** EHLO name when the source has none */
  hostname(): string;
  /** current effective shaping for this path */
  shaping(q: ShapingQuery): EffectiveShaping;
  /** sends one job on an open session and records the outcomes */
  deliver(job: Job, session: DeliverySession, rq: ReadyQueue): Promise<void>;
  /** no connection could be made for this job */
  connectFailed(job: Job, err: ConnectError, rq: ReadyQueue): void;
  /** an admin suspension of this ready queue is in force: no connection is opened, nothing is sent */
  readySuspended?(rq: ReadyQueue): boolean;
  /** back to the scheduled queue until `due` (not an attempt: suspensions) */
  reschedule(job: Job, due: number): void;
  /** a job that found this queue full (max_ready) and waited for room may be routed again now */
  roomFor?(job: Job): void;
  /**
   * Whether `job` still belongs to this queue under the current config (its TLS mode, ports
   * and site unchanged since it was queued); if not it is routed again before it is sent.
   */
  belongs(job: Job, rq: ReadyQueue): boolean;
  /**
   * This queue has work but no connection, and the shaping gate refused one: another queue of
   * the same source → site (another TLS mode, another MX set) may close an idle connection so
   * the site's connection_limit is not held by idle connections.
   */
  starved(rq: ReadyQueue): void;
}

/** Roughly how many queued messages justify one more connection. */
const MESSAGES_PER_CONNECTION = 8;

/**
 * The messages ready to go from one egress source to one site (`source->site@smtp_client`,
 * see ready-queue-name.ts), and the connections that carry them. The identity is fixed at
 * creation: destination ports and TLS mode never change, and the route only refreshes to a
 * newer lookup of the same hosts (another domain's job cannot redirect the queue).
 * Connections are opened as the backlog grows, up to the shaping connection_limit and only
 * with a lease from the shaping gate; each sends up to max_deliveries_per_connection
 * messages, then waits idle_timeout for more before QUIT.
 */
export class ReadyQueue {
  private readonly jobs = new Fifo<Job>();
  /**
   * Jobs that found this queue holding max_ready messages, oldest first, with the generation
   * they had then: each job that leaves `jobs` hands the next one back to the host. Waiting
   * for room instead of retrying on a timer: with 10^5 jobs released at once (a suspension
   * lifted) timed retries re-routed and logged every waiting job every second or two, and
   * delivery crawled.
   */
  private readonly waiting = new Fifo<{ job: Job; gen: number }>();
  private readonly idle: ((job: Job | undefined) => void)[] = [];
  private readonly sessions = new Set<DeliverySession>();
  private workers = 0;
  private opening = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private consecutiveFailures = 0;
  private readonly abort = new AbortController();
  private drained: (() => void) | undefined;
  private maxSeen = 0;

  private current: Route;
  /** the routing domain that created the queue (shaping is looked up for it) */
  readonly domain: string;
  /** the queue name (metrics, logs) */
  readonly key: string;
  readonly source: string;
  readonly site: string;
  readonly query: ShapingQuery;
  /** path() of a job with neither tenant nor campaign */
  private untagged: PathInfo | undefined;

  constructor(
    readonly id: ReadyQueueIdentity,
    domain: string,
    route: Route,
    private readonly host: ReadyQueueHost,
    /** opens a connection of another protocol than SMTP (HTTP delivery) */
    private readonly opener?: (signal: AbortSignal) => Promise<DeliverySession>,
  ) {
    this.domain = domain;
    this.key = id.name;
    this.source = id.source;
    this.site = id.site;
    this.current = pinPorts(route, id.port);
    this.query = shapingQueryFor(domain, id, route.mxHosts, id.source);
  }

  /** hosts and addresses to connect to, ports pinned */
  get route(): Route {
    return this.current;
  }

  /**
   * A route seen for this queue's identity (same site, MX hosts, ports, TLS mode): only the
   * addresses can differ; the freshest lookup wins, so a domain's stale cached route never
   * replaces a newer one.
   */
  adopt(route: Route): void {
    if ((route.resolvedAt ?? 0) > (this.current.resolvedAt ?? 0)) this.current = pinPorts(route, this.id.port);
  }

  path(job: Job): PathInfo {
    const { tenant, campaign } = job.meta;
    // most messages have neither: one object per queue instead of a spread per call
    if (tenant === undefined && campaign === undefined) return (this.untagged ??= Object.freeze({ ...this.query, tenant: undefined, campaign: undefined }));
    return { ...this.query, tenant, campaign };
  }

  get size(): number {
    return this.jobs.length;
  }

  get connections(): number {
    return this.workers;
  }

  get busy(): boolean {
    return this.workers > 0 || this.opening > 0 || this.jobs.length > 0;
  }

  /** The most messages this queue has held at once since it was created (metrics, tests). */
  get peak(): number {
    return this.maxSeen;
  }

  /**
   * Queues `job` unless the queue already holds `max_ready` messages (read from the current
   * shaping now, never cached): then false and the caller sends it back to its scheduled queue.
   * An idle connection takes the job directly (it never sits in the queue).
   */
  offer(job: Job): boolean {
    const waiter = this.idle.shift();
    if (waiter) {
      job.state = 'ready';
      waiter(job);
      return true;
    }
    if (this.jobs.length >= this.host.shaping(this.query).max_ready) return false;
    job.state = 'ready';
    this.jobs.push(job);
    if (this.jobs.length > this.maxSeen) this.maxSeen = this.jobs.length;
    this.kick();
    return true;
  }

  /** `job` found this queue full: it is handed back (host.roomFor) once a ready job leaves. */
  waitForRoom(job: Job): void {
    this.waiting.push({ job, gen: job.gen });
  }

  /** jobs waiting for room (their generation may be stale: rescheduled elsewhere meanwhile) */
  get waitingForRoom(): number {
    return this.waiting.length;
  }

  /** A job left `jobs`: the oldest job still waiting for room may come back. */
  private roomFreed(): void {
    for (let w; (w = this.waiting.shift()); ) {
      if (w.job.gen !== w.gen || w.job.state !== 'scheduled') continue; // moved on meanwhile
      this.host.roomFor?.(w.job);
      return;
    }
  }

  /** Opens connections while the backlog justifies them and shaping allows. */
  kick(): void {
    if (this.host.stopping || this.retryTimer || !this.jobs.length || this.host.readySuspended?.(this)) return;
    const s = this.host.shaping(this.query);
    const want = Math.min(s.connection_limit, Math.max(1, Math.ceil(this.jobs.length / MESSAGES_PER_CONNECTION)));
    if (this.workers + this.opening >= want) return;
    this.opening++;
    this.host.gate.acquireConnection(this.query, s).then(
      (res) => {
        this.opening--;
        if ('waitMs' in res) {
          if (this.workers === 0 && this.jobs.length) this.host.starved(this);
          this.retryTimer = setTimeout(() => {
            this.retryTimer = undefined;
            this.kick();
          }, Math.max(10, res.waitMs));
          return;
        }
        /* c8 ignore start -- race: shutdown began, or another connection took the jobs, while the gate decided */
        if (this.host.stopping || !this.jobs.length) {
          res.release();
          this.checkDrained();
          return;
        }
        /* c8 ignore stop */
        this.workers++;
        void this.run(res, s);
        this.kick();
      },
      (e: unknown) => {
        /* c8 ignore start -- the gate falls back to local limits when Redis is unavailable; only an unexpected Redis reply error lands here */
        this.opening--;
        this.host.log.error('shaping gate failed to grant a connection', { queue: this.key, error: String(e) });
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          this.kick();
        }, 1000);
        /* c8 ignore stop */
      },
    );
  }

  /** One connection: open, send while there is work, QUIT. */
  private async run(lease: Lease, s: EffectiveShaping): Promise<void> {
    let session: DeliverySession | undefined;
    try {
      try {
        // the queue's own TLS mode: every job here was routed with it (and rechecked before sending)
        const shaping = s.enable_tls === this.id.tls ? s : { ...s, enable_tls: this.id.tls };
        session = this.opener ? await this.opener(this.abort.signal) : await openSession({ route: this.current, source: this.host.source(this.source), hostname: this.host.hostname(), shaping, signal: this.abort.signal, tlsMemoryKey: this.key });
      } catch (e) {
        this.onConnectFailure(e instanceof ConnectError ? e : new ConnectError({ code: 451, enhanced: '4.4.2', text: `kumo-ts: ${String(e)}`, internal: true }, undefined));
        return;
      }
      this.consecutiveFailures = 0;
      this.sessions.add(session);
      let sent = 0;
      while (!this.host.stopping && session.usable && sent < s.max_deliveries_per_connection) {
        const queued = this.jobs.shift();
        if (queued) this.roomFreed();
        const job = queued ?? (await this.waitForJob(s.idle_timeout_ms));
        if (!job) break;
        if (job.state === 'done') continue; // bounced by an admin action while it waited here
        /* c8 ignore start -- race: shutdown began while this connection waited idle for the job */
        if (this.host.stopping) {
          this.jobs.unshift(job);
          break;
        }
        /* c8 ignore stop */
        const go = await this.throttle(job);
        if (go === 'skip') continue;
        if (go === 'stop') break;
        job.state = 'sending';
        await this.host.deliver(job, session, this);
        sent++;
      }
    } catch (e) {
      /* c8 ignore next -- guard: host.deliver and throttle never throw (every failure is a reply) */
      this.host.log.error('delivery connection failed', { queue: this.key, error: String((e as Error).stack ?? e) });
    } finally {
      if (session) {
        this.sessions.delete(session);
        await session.quit(); // the lease outlives the connection, never the reverse
      }
      lease.release();
      this.workers--;
      this.kick();
      this.checkDrained();
    }
  }

  /**
   * Before each message: an automation rule may have suspended its path (or its tenant or
   * campaign) since it was queued here — then it goes back to its scheduled queue until the
   * suspension ends ('skip': the connection carries on with the next message); message-rate
   * throttles are waited out ('stop' with the job put back if shutting down meanwhile).
   */
  private async throttle(job: Job): Promise<'go' | 'skip' | 'stop'> {
    if (this.host.readySuspended?.(this)) {
      // suspended by an admin while this connection was open: it keeps the job and closes
      this.jobs.unshift(job);
      return 'stop';
    }
    if (!this.host.belongs(job, this)) {
      // the config changed under it (TLS mode, smarthosts, ports): route it again
      this.host.reschedule(job, Date.now());
      return 'skip';
    }
    for (;;) {
      const until = this.host.gate.suspendedUntil(this.path(job));
      if (until !== undefined && until > Date.now()) {
        this.host.reschedule(job, until);
        return 'skip';
      }
      const delay = await this.host.gate.messageDelay(this.query, this.host.shaping(this.query));
      if (delay <= 0) return 'go';
      await new Promise((r) => setTimeout(r, Math.min(delay, 5_000)));
      /* c8 ignore start -- timing: shutdown landing inside a message-rate wait */
      if (this.host.stopping) {
        this.jobs.unshift(job);
        return 'stop';
      }
      /* c8 ignore stop */
    }
  }

  private onConnectFailure(err: ConnectError): void {
    this.consecutiveFailures++;
    const s = this.host.shaping(this.query);
    // the failure is the outcome of an attempt for the next message; after too many in a row
    // every queued message gets it (KumoMTA's consecutive_connection_failures_before_delay)
    // prohibited_hosts / skip_hosts refuse the destination itself: every queued message at once
    const n = err.wholeQueue || this.consecutiveFailures >= s.consecutive_connection_failures_before_delay ? this.jobs.length : 1;
    for (let i = 0; i < n; i++) {
      const job = this.jobs.shift();
      if (!job) break;
      this.roomFreed();
      /* c8 ignore start -- guard: a job finished elsewhere (another job of its message) while it sat queued here */
      if (job.state === 'done') {
        i--;
        continue;
      }
      /* c8 ignore stop */
      this.host.connectFailed(job, err, this);
    }
  }

  /** Ends one idle connection (it QUITs and frees its lease); false when none is idle. */
  releaseIdle(): boolean {
    const waiter = this.idle.shift();
    if (!waiter) return false;
    waiter(undefined);
    return true;
  }

  private waitForJob(ms: number): Promise<Job | undefined> {
    return new Promise((resolve) => {
      const waiter = (job: Job | undefined) => {
        clearTimeout(t);
        resolve(job);
      };
      const t = setTimeout(() => {
        const i = this.idle.indexOf(waiter);
        if (i >= 0) this.idle.splice(i, 1);
        resolve(undefined);
      }, ms);
      this.idle.push(waiter);
    });
  }

  /** Stops opening connections and wakes idle ones (they QUIT). Jobs stay queued. */
  stop(): Promise<void> {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    for (const w of this.idle.splice(0)) w(undefined);
    return new Promise((resolve) => {
      this.drained = resolve;
      this.checkDrained();
    });
  }

  /** Drops every connection now (shutdown deadline); sends in flight end with an internal failure. */
  destroy(): void {
    this.abort.abort();
    for (const s of this.sessions) s.destroy();
  }

  /** Removes the queued jobs matching `pred` (admin bounce, rebind) and returns them. */
  drop(pred: (job: Job) => boolean): Job[] {
    return this.jobs.remove(pred);
  }

  private checkDrained(): void {
    if (this.drained && this.workers === 0 && this.opening === 0) {
      const d = this.drained;
      this.drained = undefined;
      d();
    }
  }
}
