import { compileConfig } from '../config/compile.js';
import { PreparedCompile } from './prepared-compile.js';
import { formatIssue } from '../config/issues.js';
import { ConfigStore } from '../config/store.js';
import type { Snapshot } from '../config/snapshot.js';
import type { Logger } from '../logging/logger.js';
import type { QueueIntake } from '../queue/types.js';
import { workerTag } from './cluster-role.js';
import { composeReception } from './compose.js';
import { metricsRegistry } from '../http/metrics.js';
import { IpcIpLimit } from './ipc-admission.js';
import { IpcAuthFailures } from './ipc-auth-failures.js';
import { IpcRecordTap } from './ipc-record-tap.js';
import { isOwnerMessage } from './ipc-messages.js';
import type { WorkerToOwner } from './ipc-messages.js';
import type { Subsystem } from './subsystem.js';
import { refuseDebugSignal } from './debug-signal.js';

export interface WorkerOptions {
  readonly configDir: string;
  readonly log: Logger;
  /** 1..N, the same for its replacements */
  readonly id: number;
  /** the owner's live epoch when it forked this worker */
  readonly epoch: number;
}

/**
 * A reception worker (cluster worker, `[server] workers` > 1): the SMTP listeners and the
 * reception path (DATA, DKIM, spool put, Reception records) of src/smtp/, nothing else. Each
 * committed message is announced to the owner (`spooled`), which schedules it; the worker
 * follows the owner's config epochs, drains on its word, and exits when its owner is gone.
 */
export async function runWorker(opts: WorkerOptions): Promise<void> {
  const log = opts.log.child({ worker: opts.id });
  // sends not yet written to the channel: the drain waits for them before exiting
  let unsent = 0;
  let flushed: (() => void) | undefined;
  const send = (m: WorkerToOwner): boolean => {
    // a closed channel means the owner is gone: this process exits on 'disconnect'
    if (!process.connected) return false;
    unsent++;
    process.send!(m, undefined, undefined, () => {
      if (--unsent === 0) flushed?.();
    });
    return true;
  };
  const allSent = (): Promise<void> => (unsent === 0 ? Promise.resolve() : new Promise((r) => (flushed = r)));
  // the owner decides when to stop: a signal to the whole process group must not cut the
  // messages in DATA short before the owner's drain reaches this worker
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(sig, () => undefined);
  refuseDebugSignal(log);
  // records for the owner's log hooks; the 250 waits for the owner's confirmation through it
  let hookTap: IpcRecordTap | undefined;
  // prepended: node's own cluster 'disconnect' listener (registered first) exits with code 0 at once
  process.prependListener('disconnect', () => {
    hookTap?.channelGone();
    log.error('owner process gone: exiting (its restart rescans the spool)');
    process.exit(1);
  });

  const store = new ConfigStore();
  const first = await compileConfig({ root: opts.configDir, epoch: opts.epoch, receptionOnly: true });
  if (!first.ok) {
    // the owner compiled the same files a moment ago: they changed in between
    log.error('config is invalid in this worker', { errors: first.issues.filter((i) => i.severity === 'error').map(formatIssue) });
    process.exit(1);
  }
  store.swap(first.snapshot);
  hookTap = new IpcRecordTap(store, send);
  const intake: QueueIntake = { enqueue: (meta) => send({ type: 'spooled', meta }) };
  const ipLimit = new IpcIpLimit(send);
  const authFailures = new IpcAuthFailures(send);
  // 'admitted' answers are needed while the listeners start serving
  process.on('message', (m: unknown) => {
    if (!isOwnerMessage(m)) return;
    if (m.type === 'admitted') ipLimit.onAdmitted(m);
    else if (m.type === 'auth-counted') authFailures.onCounted(m);
    else if (m.type === 'records-durable') hookTap?.onConfirmed(m.seq, m.error);
    else if (m.type === 'metrics-req')
      void metricsRegistry().getMetricsAsJSON().then((metrics) => send({ type: 'metrics', req: m.req, metrics }), () => send({ type: 'metrics', req: m.req, metrics: [] }));
  });
  const subsystems = await composeReception({ store, log }, { tag: workerTag(opts.id), intake, sharedIpLimit: ipLimit, sharedAuthFailures: authFailures, recordTap: hookTap });
  // the listeners reconcile before the owner hears the epoch is live here
  const apply = (next: Snapshot, prev: Snapshot | undefined) =>
    Promise.all(subsystems.map((s) => Promise.resolve(s.apply?.(next, prev)).catch((e) => log.error(`${s.name}: applying epoch ${next.epoch} failed`, { error: String(e) }))));

  const prepared = new PreparedCompile(opts.configDir);
  // epochs one at a time, in the order the owner made them live
  let epochs = Promise.resolve();
  const onEpoch = async (epoch: number, hash: string): Promise<void> => {
    if (store.current.hash === hash) {
      // the same files (a forced re-evaluation): nothing to swap
      prepared.take(epoch);
      send({ type: 'epoch-live', epoch, hash });
      return;
    }
    const res = await prepared.forEpoch(epoch, hash);
    if (!res.ok) {
      const errors = res.issues.filter((i) => i.severity === 'error').map(formatIssue);
      log.error(`config epoch ${epoch} refused in this worker; epoch ${store.current.epoch} keeps serving`, { errors });
      send({ type: 'epoch-refused', epoch, errors });
      return;
    }
    const prev = store.current;
    store.swap(res.snapshot);
    await apply(res.snapshot, prev);
    log.info(`config epoch ${epoch} live`, { hash: res.snapshot.hash.slice(0, 12) });
    send({ type: 'epoch-live', epoch, hash: res.snapshot.hash });
  };

  let draining = false;
  process.on('message', (m: unknown) => {
    if (!isOwnerMessage(m)) return;
    if (m.type === 'epoch') epochs = epochs.then(() => onEpoch(m.epoch, m.hash)).catch((e) => log.error('epoch swap failed', { error: String(e) }));
    else if (m.type === 'prepare') prepared.prepare(m.epoch);
    else if (m.type === 'drain' && !draining) {
      draining = true;
      void drain(subsystems, m.deadline, log, allSent);
    }
  });
  log.info('reception worker ready', { pid: process.pid, epoch: store.current.epoch });
  send({ type: 'ready', epoch: store.current.epoch, hash: store.current.hash });
}

/** Listeners first (no new sessions, the ones in DATA finish), then spool and records; then exit. */
async function drain(subsystems: readonly Subsystem[], deadline: number, log: Logger, allSent: () => Promise<void>): Promise<void> {
  const t0 = Date.now();
  for (const s of [...subsystems].reverse()) {
    try {
      await s.stop(deadline);
      /* c8 ignore start -- a guard: one stop() rejecting must not keep the worker from exiting (none rejects in the tests) */
    } catch (e) {
      log.error(`${s.name}: stop failed`, { error: String(e) });
    }
    /* c8 ignore stop */
  }
  log.info('reception worker stopped', { ms: Date.now() - t0 });
  // the last `spooled` messages must leave before the process does
  await Promise.race([allSent(), new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now())))]);
  process.exit(0);
}
