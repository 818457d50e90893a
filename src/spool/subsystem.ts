import { registerSubsystem } from '../server.js';
import type { ServerContext, Subsystem } from '../server.js';
import type { Snapshot } from '../config/snapshot.js';
import { RecordWriter } from '../logging/record-writer.js';
import { LmdbSpool } from './lmdb-spool.js';

/**
 * 'storage': opens the durable spool and the log-record writer and provides them as the
 * services 'spool' (Spool) and 'records' (LogWriter). Starts first, stops last, so every
 * other subsystem can write until it has stopped.
 */
export class StorageSubsystem implements Subsystem {
  readonly name = 'storage';
  private spool: LmdbSpool | undefined;
  private records: RecordWriter | undefined;
  private ctx: ServerContext | undefined;

  async start(ctx: ServerContext): Promise<void> {
    this.ctx = ctx;
    const main = ctx.store.current.main;
    this.spool = LmdbSpool.open({ path: main.spool.path, commitDelayMs: main.spool.groupCommitWindowMs });
    this.records = new RecordWriter({ settings: () => ctx.store.current.main.logs, log: ctx.log.child({ subsystem: 'records' }) });
    ctx.services.provide('spool', this.spool);
    ctx.services.provide('records', this.records);
    ctx.log.info('spool open', { path: main.spool.path, messages: await this.spool.count(), logs: main.logs.path });
  }

  apply(next: Snapshot, prev: Snapshot | undefined): void {
    if (prev && next.main.spool.path !== prev.main.spool.path)
      this.ctx?.log.warn('spool.path changed: the spool stays where it is until the next start', {
        current: this.spool?.path,
        configured: next.main.spool.path,
      });
  }

  async stop(_deadlineMs: number): Promise<void> {
    await this.records?.close();
    await this.spool?.close();
  }
}

registerSubsystem(() => new StorageSubsystem());
