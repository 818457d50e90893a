import type { Logger } from '../logging/logger.js';
import { AcmeSubsystem } from '../acme/subsystem.js';
import { HttpSubsystem } from '../http/subsystem.js';
import { QueueSubsystem } from '../queue/subsystem.js';
import { SmtpSubsystem } from '../smtp/subsystem.js';
import { StorageSubsystem } from '../spool/subsystem.js';
import { AdminSubsystem } from '../admin/subsystem.js';
import { HookSubsystem } from '../events/subsystem.js';
import { TlsRptSubsystem } from '../tls-policy/tls-rpt-subsystem.js';
import type { SmtpSubsystem as Smtp } from '../smtp/subsystem.js';
import type { QueueIntake } from '../queue/types.js';
import type { Spool } from '../spool/types.js';
import type { RecordTap } from '../logging/record-writer.js';
import type { SharedIpLimit } from '../smtp/ip-connections.js';
import type { SharedAuthFailures } from '../auth/failure-limit.js';
import { OwnerHub } from './owner-hub.js';
import type { ReceptionContext, RuntimeContext, Subsystem } from './subsystem.js';
import { StartupError } from './subsystem.js';

/**
 * The composition root: the one place that builds spool → records → queue → listeners → HTTP,
 * each with the real objects it depends on (the compiler checks every dependency). Returns the
 * started subsystems in start order; stop runs them in reverse.
 */
export async function composeServer(ctx: RuntimeContext, opts: { readonly workers?: number } = {}): Promise<Subsystem[]> {
  const started: Subsystem[] = [];
  const start = starter(ctx, started);
  const workers = opts.workers ?? 1;
  const storage = await start(new StorageSubsystem());
  const admin = await start(new AdminSubsystem({ dir: storage.spool.path }));
  // certificates (or their placeholders) exist before a listener that names one binds
  await start(new AcmeSubsystem());
  // log hooks tap the record writer before the queue's spool scan can write a record
  const hooks = await start(new HookSubsystem({ spoolPath: storage.spool.path, records: storage.records }));
  // TLS policy decisions and TLS-RPT; mailto: reports go through reception once SMTP runs
  let smtpRef: Smtp | undefined;
  const tlsRpt = await start(new TlsRptSubsystem({ reception: () => smtpRef?.reception }));
  const queue = await start(new QueueSubsystem({ spool: storage.spool, records: storage.records, journal: storage.journal, admin: admin.state, tlsPolicy: tlsRpt.engine }));
  // with reception workers the owner keeps the reception path (inject, reports) but no listener
  const smtp = (smtpRef = await start(new SmtpSubsystem({ spool: storage.spool, records: storage.records, journal: storage.journal, intake: queue.manager, listen: workers <= 1 })));
  let hubRef: OwnerHub | undefined;
  await start(new HttpSubsystem({ spool: storage.spool, records: storage.records, queue: queue.manager, reception: smtp.reception, admin: admin.state, hooks, workers: () => hubRef?.status() ?? [] }));
  // last: workers announce messages to a running queue, and stop before it
  if (workers > 1) hubRef = await start(new OwnerHub({ workers, spool: storage.spool, records: storage.records, intake: queue.manager, hooks }));
  return started;
}

/**
 * A reception worker's part (src/runtime/worker-runtime.ts): the spool and its own records
 * files, and the SMTP listeners, whose messages go to `intake` (the IPC to the owner).
 */
export async function composeReception(ctx: ReceptionContext, opts: { readonly tag: string; readonly intake: QueueIntake; readonly sharedIpLimit: SharedIpLimit; readonly sharedAuthFailures: SharedAuthFailures; readonly recordTap?: RecordTap }): Promise<Subsystem[]> {
  const started: Subsystem[] = [];
  const start = starter(ctx, started);
  const storage = await start(new StorageSubsystem({ worker: { tag: opts.tag } }));
  // the owner's log hooks get this worker's records through the tap (before any is written)
  if (opts.recordTap) storage.records.addTap(opts.recordTap);
  if ([...ctx.store.current.main.listeners.values()].some((l) => l.deferredSpool))
    ctx.log.warn('deferred_spool is not available with [server] workers > 1: those listeners spool durably (the owner delivers from the spool)');
  await start(new SmtpSubsystem({ spool: durableOnly(storage.spool), records: storage.records, journal: storage.journal, intake: opts.intake, sharedIpLimit: opts.sharedIpLimit, sharedAuthFailures: opts.sharedAuthFailures }));
  return started;
}

/** The spool as a worker uses it: a message only its own RAM held would be invisible to the owner. */
function durableOnly(spool: Spool): Spool {
  return {
    put: (meta, body, opts) => spool.put(meta, body, opts?.journal ? { journal: opts.journal } : {}),
    putMany: (entries) => spool.putMany(entries),
    getBody: (id) => spool.getBody(id),
    getMeta: (id) => spool.getMeta(id),
    updateMeta: (meta, journal) => spool.updateMeta(meta, journal),
    remove: (id, journal) => spool.remove(id, journal),
    scan: (from) => spool.scan(from),
    current: (ids) => spool.current(ids),
    count: () => spool.count(),
    journal: (prefix) => spool.journal(prefix),
    clearJournal: (keys) => spool.clearJournal(keys),
    close: () => spool.close(),
  };
}

/** Starts subsystems in order; a failure stops the started ones, newest first, and throws StartupError. */
function starter<C extends ReceptionContext>(ctx: C, started: Subsystem[]) {
  return async <S extends Subsystem & { start(ctx: C): Promise<void> }>(s: S): Promise<S> => {
    try {
      await s.start(ctx);
    } catch (e) {
      // a start failure (spool locked by another process, a listener that cannot bind...) is
      // fatal: undo what started, newest first, and let the caller exit non-zero
      ctx.log.error(`${s.name}: cannot start: ${(e as Error).message}`, { code: (e as { code?: string }).code });
      for (const t of [s, ...started.slice().reverse()]) await t.stop(Date.now() + 2_000).catch(() => undefined);
      throw new StartupError(s.name, e as Error);
    }
    started.push(s);
    return s;
  };
}


export type { Logger };
