import { mkdirSync } from 'node:fs';
import { setImmediate as yieldLoop } from 'node:timers/promises';
import { open } from 'lmdb';
import type { Database, RootDatabase } from 'lmdb';
import type { Spool, SpoolMeta, SpoolPutOptions } from './types.js';

export interface LmdbSpoolOptions {
  /** directory of the lmdb environment (created if missing) */
  path: string;
  /**
   * How long lmdb waits to collect more writes into one transaction (ms). 0 commits on the
   * next turn of the event loop; writes issued while a commit is running join the next one
   * either way, so concurrent sessions share fsyncs without any delay.
   */
  commitDelayMs?: number;
}

export class SpoolError extends Error {
  constructor(readonly code: 'SPOOL_CLOSED' | 'SPOOL_WRITE' | 'SPOOL_OPEN', message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SpoolError';
  }
}

type Flushable = Promise<unknown> & { flushed?: Promise<unknown> };

/**
 * The durable spool: one lmdb environment with two databases, `meta` (SpoolMeta, msgpack) and
 * `body` (raw bytes), so that scanning and updating the queue state never touches bodies.
 *
 * Durability and group commit: lmdb-js batches every write issued in the same event-loop turn
 * (and every write issued while the previous commit is still running) into one transaction
 * on its write thread. With `overlappingSync` (lmdb's default on Linux) a transaction's fsync
 * runs after it became visible, overlapping the next transaction; `separateFlushed` gives each
 * write a second promise for that fsync. `put` resolves only after it: the message is on
 * disk, and N concurrent sessions pay for about one fsync. `noSync` is never used.
 */
export class LmdbSpool implements Spool {
  private closed = false;
  /** deferred_spool messages: RAM only until their first updateMeta */
  private readonly deferred = new Map<string, { meta: SpoolMeta; body: Buffer }>();

  private constructor(
    readonly path: string,
    private readonly root: RootDatabase,
    private readonly metaDb: Database<SpoolMeta, string>,
    private readonly bodyDb: Database<Buffer, string>,
  ) {}

  static open(opts: LmdbSpoolOptions): LmdbSpool {
    try {
      mkdirSync(opts.path, { recursive: true });
      const root = open({
        path: opts.path,
        compression: false,
        overlappingSync: true,
        separateFlushed: true,
        commitDelay: Math.max(0, Math.round(opts.commitDelayMs ?? 0)),
        maxDbs: 4,
      });
      const metaDb = root.openDB<SpoolMeta, string>({ name: 'meta', encoding: 'msgpack' });
      const bodyDb = root.openDB<Buffer, string>({ name: 'body', encoding: 'binary' });
      return new LmdbSpool(opts.path, root, metaDb, bodyDb);
    } catch (e) {
      throw new SpoolError('SPOOL_OPEN', `cannot open the spool at ${opts.path}: ${(e as Error).message}`, { cause: e });
    }
  }

  async put(meta: SpoolMeta, body: Buffer, opts: SpoolPutOptions = {}): Promise<void> {
    this.assertOpen();
    if (opts.deferred) {
      this.deferred.set(meta.id, { meta, body });
      return;
    }
    // both writes in the same turn: they land in the same lmdb transaction
    const b = this.bodyDb.put(meta.id, body) as Flushable;
    const m = this.metaDb.put(meta.id, meta) as Flushable;
    await this.durable(m, b);
  }

  async getBody(id: string): Promise<Buffer | undefined> {
    const d = this.deferred.get(id);
    if (d) return d.body;
    this.assertOpen();
    return this.bodyDb.get(id);
  }

  async getMeta(id: string): Promise<SpoolMeta | undefined> {
    const d = this.deferred.get(id);
    if (d) return d.meta;
    this.assertOpen();
    return this.metaDb.get(id);
  }

  async updateMeta(meta: SpoolMeta): Promise<void> {
    this.assertOpen();
    const d = this.deferred.get(meta.id);
    if (d) {
      // first transient failure of a deferred message: now it goes to disk
      const b = this.bodyDb.put(meta.id, d.body) as Flushable;
      const m = this.metaDb.put(meta.id, meta) as Flushable;
      await this.durable(m, b);
      this.deferred.delete(meta.id);
      return;
    }
    await this.durable(this.metaDb.put(meta.id, meta) as Flushable);
  }

  async remove(id: string): Promise<void> {
    if (this.deferred.delete(id)) return;
    this.assertOpen();
    const m = this.metaDb.remove(id) as Flushable;
    const b = this.bodyDb.remove(id) as Flushable;
    await this.durable(m, b);
  }

  /**
   * Every durably spooled message in id (= arrival) order. Reads a consistent lmdb snapshot
   * lazily and yields to the event loop every 500 entries so a large spool does not stall it.
   * A meta record whose body is missing cannot be delivered; it is skipped.
   */
  async *scan(): AsyncIterable<SpoolMeta> {
    this.assertOpen();
    let n = 0;
    for (const { key, value } of this.metaDb.getRange({})) {
      if (this.closed) return;
      if (!this.bodyDb.doesExist(key)) continue;
      yield value;
      if (++n % 500 === 0) await yieldLoop();
    }
  }

  async count(): Promise<number> {
    this.assertOpen();
    return this.metaDb.getCount() + this.deferred.size;
  }

  /** Ids of every message on disk (tests, admin). */
  ids(): string[] {
    this.assertOpen();
    return [...this.metaDb.getKeys({})];
  }

  /** How many deferred (RAM-only) messages are held. */
  get deferredCount(): number {
    return this.deferred.size;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.root.flushed;
    } finally {
      await this.root.close();
    }
  }

  private async durable(...writes: Flushable[]): Promise<void> {
    try {
      await Promise.all(writes);
      await Promise.all(writes.map((w) => w.flushed ?? w));
    } catch (e) {
      throw new SpoolError('SPOOL_WRITE', `spool write failed: ${(e as Error).message}`, { cause: e });
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new SpoolError('SPOOL_CLOSED', 'the spool is closed');
  }
}
