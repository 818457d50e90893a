import type { WorkerStatus } from '../http/api-deps.js';
import cluster from 'node:cluster';
import type { Worker } from 'node:cluster';
import type { Snapshot } from '../config/snapshot.js';
import type { ConfigCompiling } from '../config/store.js';
import type { HookSubsystem } from '../events/subsystem.js';
import { setWorkerMetrics } from '../http/metrics.js';
import type { ProcessMetrics } from '../http/metrics.js';
import type { Logger } from '../logging/logger.js';
import { journalPrefix, planJournal, restoreJournal } from '../logging/record-journal.js';
import type { RecordWriter } from '../logging/record-writer.js';
import type { QueueIntake } from '../queue/types.js';
import type { Spool } from '../spool/types.js';
import { WORKER_EPOCH_ENV, WORKER_ID_ENV, workerTag } from './cluster-role.js';
import { OwnerIpCounts } from './ipc-admission.js';
import { OwnerAuthFailures } from './ipc-auth-failures.js';
import { isWorkerMessage } from './ipc-messages.js';
import type { OwnerToWorker, WorkerToOwner } from './ipc-messages.js';
import { recoverSpooled } from './recovery-scan.js';
import type { RuntimeContext, Subsystem } from './subsystem.js';

export interface OwnerHubDeps {
  readonly workers: number;
  readonly spool: Spool;
  /** the owner's record writer: a dead worker's journaled records are written through it */
  readonly records: RecordWriter;
  /** the queue: schedules a message once, whichever way it is announced */
  readonly intake: QueueIntake & { has(id: string): boolean };
  /** the log hooks: the workers' records go through them as the owner's own do */
  readonly hooks: HookSubsystem;
}

/** ids are time-ordered; a worker's clock is the owner's, the margin covers a message begun just before its start was noted */
const RECOVERY_MARGIN_MS = 5_000;
const BACKOFF_FIRST_MS = 1_000;
const BACKOFF_MAX_MS = 30_000;
/** a worker that dies sooner than this after its start is failing, not unlucky: back off */
const FAST_DEATH_MS = 10_000;
/** part of the shutdown budget the workers get to finish their messages in DATA */
const WORKER_DRAIN_MS = 2_500;
const WORKER_KILL_MS = 3_000;
const START_TIMEOUT_MS = 30_000;

interface Slot {
  readonly id: number;
  worker?: Worker;
  startedAt: number;
  ready: boolean;
  backoffMs: number;
  restartTimer?: NodeJS.Timeout;
  /** the last epoch this worker reported live */
  epoch: number;
}

/**
 * 'workers': the owner's side of `[server] workers` > 1 (cluster primary). Forks the reception
 * workers (they share the listening sockets, SCHED_NONE: the kernel hands each connection to
 * one acceptor), schedules what they announce, rescans the spool for what a dead worker had
 * committed but not announced, restarts it with backoff, sends each config epoch, and drains
 * them first at shutdown.
 */
export class OwnerHub implements Subsystem {
  readonly name = 'workers';
  private readonly slots: Slot[] = [];

  /** each worker's state, for GET /api/config/status */
  status(): WorkerStatus[] {
    return this.slots.map((s) => {
      const pid = s.worker && !s.worker.isDead() ? s.worker.process.pid : undefined;
      return { id: s.id, ...(pid !== undefined ? { pid } : {}), ready: s.ready && pid !== undefined, epoch: s.epoch };
    });
  }
  /** max_connections_per_ip for the whole node */
  private readonly ipCounts = new OwnerIpCounts();
  private readonly authFailures = new OwnerAuthFailures();
  private metricsReq = 0;
  private readonly metricsWaiters = new Map<number, (m: ProcessMetrics) => void>();
  private log: Logger | undefined;
  private ctx: RuntimeContext | undefined;
  private stopping = false;
  private startWaiter: { resolve: () => void; reject: (e: Error) => void } | undefined;

  constructor(private readonly deps: OwnerHubDeps) {}

  async start(ctx: RuntimeContext): Promise<void> {
    this.ctx = ctx;
    this.log = ctx.log.child({ subsystem: 'workers' });
    // must be set before the first fork; round-robin would accept every connection here
    cluster.schedulingPolicy = cluster.SCHED_NONE;
    cluster.setupPrimary({ silent: false });
    for (let id = 1; id <= this.deps.workers; id++) this.slots.push({ id, startedAt: 0, ready: false, backoffMs: BACKOFF_FIRST_MS, epoch: 0 });
    const epoch = ctx.store.current.epoch;
    try {
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`reception workers not ready after ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
        this.startWaiter = {
          resolve: () => (clearTimeout(t), resolve()),
          reject: (e) => (clearTimeout(t), reject(e)),
        };
        for (const s of this.slots) this.fork(s, epoch);
      });
    } finally {
      // from now on a worker that exits before it is ready is restarted (onExit), not a failed start
      this.startWaiter = undefined;
    }
    setWorkerMetrics(() => this.workerMetrics());
    // the workers compile changed files while the owner does (on the other cores) and swap on 'epoch'
    ctx.store.on('compiling', this.onCompiling);
    this.log.info('reception workers ready', { workers: this.slots.length, pids: this.slots.map((s) => s.worker?.process.pid) });
  }

  private readonly onCompiling = (c: ConfigCompiling): void => this.broadcast({ type: 'prepare', epoch: c.epoch });

  /** A new epoch in the owner: every worker swaps to its compile of the same files (started at 'prepare'). */
  apply(next: Snapshot, prev: Snapshot | undefined): void {
    if (prev && next.main.server.workers !== prev.main.server.workers)
      this.log?.warn('[server] workers changed: the number of reception workers changes at the next start', { running: this.slots.length, configured: next.main.server.workers });
    this.broadcast({ type: 'epoch', epoch: next.epoch, hash: next.hash });
  }

  /** Workers first: no new connections, the messages in DATA finish and are announced, then they exit (or are killed). */
  async stop(deadlineMs: number): Promise<void> {
    this.stopping = true;
    setWorkerMetrics(undefined);
    this.ctx?.store.off('compiling', this.onCompiling);
    const now = Date.now();
    const drainBy = Math.min(now + WORKER_DRAIN_MS, deadlineMs);
    const killAt = Math.min(now + WORKER_KILL_MS, deadlineMs);
    const exits: Promise<unknown>[] = [];
    for (const s of this.slots) {
      clearTimeout(s.restartTimer);
      const w = s.worker;
      if (!w || w.isDead()) continue;
      exits.push(new Promise((r) => w.once('exit', r)));
      this.send(w, { type: 'drain', deadline: drainBy });
    }
    const killer = setTimeout(() => {
      for (const s of this.slots) {
        if (s.worker && !s.worker.isDead()) {
          this.log?.warn(`reception worker ${s.id} did not stop in time: killed (what it answered 250 is spooled)`, { pid: s.worker.process.pid });
          s.worker.process.kill('SIGKILL');
        }
      }
    }, Math.max(0, killAt - Date.now()));
    await Promise.all(exits);
    clearTimeout(killer);
    // a message a killed worker committed but did not announce is on disk: the next start's scan schedules it
  }

  private fork(slot: Slot, epoch: number): void {
    slot.startedAt = Date.now();
    slot.ready = false;
    const w = cluster.fork({ [WORKER_ID_ENV]: String(slot.id), [WORKER_EPOCH_ENV]: String(epoch) });
    slot.worker = w;
    w.on('message', (m: unknown) => {
      if (isWorkerMessage(m)) this.onMessage(slot, w, m);
    });
    w.on('exit', (code, signal) => void this.onExit(slot, w, code, signal));
  }

  private onMessage(slot: Slot, w: Worker, m: WorkerToOwner): void {
    switch (m.type) {
      case 'spooled':
        // the channel may still hand over a dead worker's last announcements; what it sent is
        // committed and its recovery scan takes it (announced now, a message the queue has
        // delivered and removed meanwhile would be scheduled again)
        if (w.isDead()) return;
        this.deps.intake.enqueue(m.meta);
        return;
      case 'ready':
        slot.ready = true;
        slot.epoch = m.epoch;
        if (this.slots.every((s) => s.ready)) this.startWaiter?.resolve();
        return;
      case 'epoch-live':
        slot.epoch = m.epoch;
        if (m.hash !== this.ctx?.store.current.hash)
          // its files changed after the owner compiled them: the owner's monitor sees that change too and announces the next epoch
          this.log?.warn(`reception worker ${slot.id} compiled epoch ${m.epoch} from different files`, { hash: m.hash.slice(0, 12) });
        if (this.slots.every((s) => s.epoch >= m.epoch)) this.log?.info(`config epoch ${m.epoch} live in every reception worker`, { epoch: m.epoch });
        return;
      case 'epoch-refused':
        this.log?.error(`reception worker ${slot.id} refused config epoch ${m.epoch}; it keeps serving epoch ${slot.epoch}`, { errors: m.errors });
        return;
      case 'admit': {
        const { ok, key, overTotal } = this.ipCounts.admit(slot.id, m);
        if (slot.worker) this.send(slot.worker, { type: 'admitted', req: m.req, ok, key, ...(overTotal ? { overTotal } : {}) });
        return;
      }
      case 'release':
        this.ipCounts.release(slot.id, m.req);
        return;
      case 'auth-count':
        if (slot.worker) this.send(slot.worker, { type: 'auth-counted', req: m.req, count: this.authFailures.count(m) });
        return;
      case 'auth-ok':
        this.authFailures.succeed(m);
        return;
      case 'metrics':
        this.metricsWaiters.get(m.req)?.(m.metrics);
        return;
      case 'records': {
        // answered in order: acceptForwarded's durable barrier covers every earlier batch too
        const w = slot.worker;
        this.deps.hooks.acceptForwarded(m.lines).then(
          () => w && this.send(w, { type: 'records-durable', seq: m.seq }),
          /* c8 ignore start -- the hook queue failing its fsync (a disk error): not provokable on a shared test box */
          (e) => {
            this.log?.error(`reception worker ${slot.id}: its records could not be queued for the log hooks`, { records: m.lines.length, error: String(e) });
            if (w) this.send(w, { type: 'records-durable', seq: m.seq, error: String(e) });
          },
          /* c8 ignore stop */
        );
        return;
      }
    }
  }

  private async onExit(slot: Slot, w: Worker, code: number | null, signal: string | null): Promise<void> {
    if (slot.worker !== w) return;
    this.ipCounts.releaseAll(slot.id);
    const lived = Date.now() - slot.startedAt;
    if (!slot.ready && this.startWaiter && !this.slots.every((s) => s.ready)) {
      // at start a worker that cannot come up (a listener cannot bind) fails the start
      this.stopping = true;
      for (const s of this.slots) if (s.worker && !s.worker.isDead()) s.worker.process.kill('SIGKILL');
      this.startWaiter.reject(new Error(`reception worker ${slot.id} exited before it was ready (code ${code}, signal ${signal})`));
      this.startWaiter = undefined;
      return;
    }
    if (this.stopping) return;
    this.log?.error(`reception worker ${slot.id} exited`, { pid: w.process.pid, code, signal, lived_ms: lived });
    await this.recover(slot);
    await this.restoreRecords(slot);
    if (this.stopping) return;
    slot.backoffMs = lived < FAST_DEATH_MS ? slot.backoffMs : BACKOFF_FIRST_MS;
    const delay = slot.backoffMs;
    slot.backoffMs = Math.min(slot.backoffMs * 2, BACKOFF_MAX_MS);
    this.log?.info(`restarting reception worker ${slot.id} in ${delay} ms`);
    slot.restartTimer = setTimeout(() => {
      if (!this.stopping && this.ctx) this.fork(slot, this.ctx.store.current.epoch);
    }, delay);
  }

  /** Schedules what a worker committed since it started but may not have announced. */
  private async recover(slot: Slot): Promise<void> {
    const from = Math.max(0, slot.startedAt - RECOVERY_MARGIN_MS).toString(16).padStart(12, '0');
    try {
      const r = await recoverSpooled(this.deps, from);
      this.log?.info(`recovery scan after reception worker ${slot.id}`, { scanned: r.scanned, recovered: r.recovered });
      /* c8 ignore start -- the lmdb scan failing (a damaged or vanished spool) */
    } catch (e) {
      this.log?.error(`recovery scan after reception worker ${slot.id} failed (the next start rescans the whole spool)`, { error: String(e) });
    }
    /* c8 ignore stop */
  }

  /** The Reception records a dead worker journaled but may not have written to its file (before a new one takes its tag). */
  private async restoreRecords(slot: Slot): Promise<void> {
    try {
      const plan = await planJournal(this.deps.spool, this.ctx!.store.current.main.logs.path, journalPrefix(workerTag(slot.id)), this.log);
      await restoreJournal(plan, this.deps.records, this.deps.spool);
      if (plan.keys.length) this.log?.info(`log records of reception worker ${slot.id} restored from the spool journal`, { written: plan.missingLines, already_logged: plan.presentLines });
      /* c8 ignore start -- the spool or the log directory failing (the next start restores them) */
    } catch (e) {
      this.log?.error(`restoring the journaled records of reception worker ${slot.id} failed (the next start restores them)`, { error: String(e) });
    }
    /* c8 ignore stop */
  }

  /** Every live worker's metrics (one that does not answer within 2 s is left out). */
  private workerMetrics(): Promise<ProcessMetrics[]> {
    const live = this.slots.filter((s) => s.worker && !s.worker.isDead() && s.worker.isConnected());
    return Promise.all(live.map((s) => new Promise<ProcessMetrics>((resolve) => {
      const req = ++this.metricsReq;
      const done = (m: ProcessMetrics) => {
        clearTimeout(t);
        this.metricsWaiters.delete(req);
        resolve(m);
      };
      const t = setTimeout(() => done([]), 2_000);
      this.metricsWaiters.set(req, done);
      this.send(s.worker!, { type: 'metrics-req', req });
    })));
  }

  private broadcast(m: OwnerToWorker): void {
    for (const s of this.slots) if (s.worker && !s.worker.isDead()) this.send(s.worker, m);
  }

  private send(w: Worker, m: OwnerToWorker): void {
    try {
      w.send(m);
      /* c8 ignore start -- a send racing the worker's exit (its channel closing) */
    } catch {
      // its channel is closing: it is exiting, onExit handles it
    }
    /* c8 ignore stop */
  }
}
