import type { RuntimeContext, Subsystem } from '../runtime/subsystem.js';
import type { Snapshot } from '../config/snapshot.js';
import { RecordWriter } from '../logging/record-writer.js';
import { planJournal, RecordJournal, restoreJournal } from '../logging/record-journal.js';
import { LmdbSpool } from './lmdb-spool.js';
import { join } from 'node:path';
import { LOCK_FILE, acquireDirLock, readHolder } from './lock.js';
import type { DirLock } from './lock.js';

/**
 * 'storage': opens the durable spool and the log-record writer (`spool`, `records`, for the
 * subsystems built after it). Starts first, stops last, so every other subsystem can write
 * until it has stopped.
 */
export interface StorageOptions {
  /**
   * A reception worker (src/runtime/worker-runtime.ts): it opens the spool and the log
   * directory under its owner's locks (the lock file must name its parent) instead of taking
   * them, and writes its records to its own files (`-<tag>.jsonl`).
   */
  readonly worker?: { readonly tag: string };
}

export class StorageSubsystem implements Subsystem {
  readonly name = 'storage';
  constructor(private readonly options: StorageOptions = {}) {}
  private openSpool: LmdbSpool | undefined;
  private openRecords: RecordWriter | undefined;
  private openJournal: RecordJournal | undefined;
  private ctx: Pick<RuntimeContext, 'store' | 'log'> | undefined;
  private readonly locks: DirLock[] = [];

  /** the durable spool; only after start */
  get spool(): LmdbSpool {
    if (!this.openSpool) throw new Error('storage: spool used before start');
    return this.openSpool;
  }

  /** the log-record writer; only after start */
  get records(): RecordWriter {
    if (!this.openRecords) throw new Error('storage: records used before start');
    return this.openRecords;
  }

  /** where reception's records ride the spool write (src/logging/record-journal.ts); only after start */
  get journal(): RecordJournal {
    if (!this.openJournal) throw new Error('storage: journal used before start');
    return this.openJournal;
  }

  async start(ctx: Pick<RuntimeContext, 'store' | 'log'>): Promise<void> {
    this.ctx = ctx;
    const main = ctx.store.current.main;
    const worker = this.options.worker;
    if (worker) {
      for (const [dir, what] of [[main.spool.path, 'spool'], [main.logs.path, 'log directory']] as const) {
        const holder = readHolder(join(dir, LOCK_FILE));
        if (holder?.pid !== process.ppid)
          throw new Error(`${what} ${dir} is not locked by this worker's owner (pid ${process.ppid}): ${holder ? `pid ${holder.pid} holds it` : 'nobody holds it'}`);
      }
    } else {
      // one process per spool and per log directory (issue 15): a second one stops here, before it
      // runs the queue on the same spool or compresses the records file the first one is writing
      await this.lock(main.spool.path, 'spool');
      if (main.logs.path !== main.spool.path) await this.lock(main.logs.path, 'log directory');
    }
    this.openSpool = LmdbSpool.open({ path: main.spool.path, commitDelayMs: main.spool.groupCommitWindowMs, log: ctx.log.child({ subsystem: 'spool' }) });
    // the owner: records a crash left in the spool's journal go to the log first (read before
    // the writer compresses the last run's files)
    const plan = worker ? undefined : await planJournal(this.openSpool, main.logs.path, '', ctx.log);
    this.openRecords = new RecordWriter({
      settings: () => ctx.store.current.main.logs,
      classifier: () => ctx.store.current.bounce,
      log: ctx.log.child({ subsystem: 'records' }),
      fileTag: worker?.tag,
    });
    this.openJournal = new RecordJournal(this.openSpool, this.openRecords, worker?.tag ?? '', ctx.log.child({ subsystem: 'records' }));
    if (plan?.keys.length) {
      await restoreJournal(plan, this.openRecords, this.openSpool);
      ctx.log.info('log records restored from the spool journal', { written: plan.missingLines, already_logged: plan.presentLines });
    }
    ctx.log.info('spool open', { path: main.spool.path, messages: await this.openSpool.count(), logs: main.logs.path });
  }

  apply(next: Snapshot, prev: Snapshot | undefined): void {
    if (prev && next.main.spool.path !== prev.main.spool.path)
      this.ctx?.log.warn('spool.path changed: the spool stays where it is until the next start', {
        current: this.openSpool?.path,
        configured: next.main.spool.path,
      });
    // the record writer follows logs.path live: lock the new directory too (records only ever
    // go to new files of our own there, so a held lock is reported, not fatal)
    const logs = next.main.logs.path;
    if (prev && logs !== prev.main.logs.path && !this.options.worker && !this.locks.some((l) => l.dir === logs))
      acquireDirLock(logs, 'log directory', this.ctx?.log).then((l) => this.locks.push(l), (e: Error) =>
        this.ctx?.log.error(`logs.path changed: ${e.message}`, { code: (e as { code?: string }).code }));
  }

  async stop(_deadlineMs: number): Promise<void> {
    await this.openJournal?.clear().catch(() => undefined);
    await this.openRecords?.close();
    await this.openSpool?.close();
    for (const l of this.locks.splice(0)) l.release();
  }

  private async lock(dir: string, what: string): Promise<void> {
    try {
      this.locks.push(await acquireDirLock(dir, what, this.ctx?.log));
    } catch (e) {
      for (const l of this.locks.splice(0)) l.release();
      throw e;
    }
  }
}
