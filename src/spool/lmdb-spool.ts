import { mkdirSync } from 'node:fs';
import { setImmediate as yieldLoop } from 'node:timers/promises';
import { open } from 'lmdb';
import type { Database, RootDatabase } from 'lmdb';
import type { Logger } from '../logging/logger.js';
import { SpoolError } from './errors.js';
import { SpoolHealth } from './health.js';
import { liveSpools, spoolWriteFailures } from './metrics.js';
import type { JournalEntry, Spool, SpoolEntry, SpoolMeta, SpoolPutOptions } from './types.js';

export { SpoolError } from './errors.js';

export interface LmdbSpoolOptions {
  /** directory of the lmdb environment (created if missing) */
  path: string;
  /**
   * How long lmdb waits to collect more writes into one transaction (ms). 0 commits on the
   * next turn of the event loop; writes issued while a commit is running join the next one
   * either way, so concurrent sessions share fsyncs without any delay.
   */
  commitDelayMs?: number;
  /** process log for the health changes (failures are summed up once per `healthLogIntervalMs`) */
  log?: Logger;
  /** while unhealthy, how often a probe write checks whether the spool can write again (ms, default 1000) */
  probeIntervalMs?: number;
  /** while unhealthy, at most one log line per this many ms (default 60 s) */
  healthLogIntervalMs?: number;
}

type Flushable = Promise<unknown> & { flushed?: Promise<unknown> };

/**
 * The durable spool: one lmdb environment with two databases, `meta` (SpoolMeta, msgpack) and
 * `body` (raw bytes), so that scanning and updating the queue state never touches bodies
 * (and a third, `probe`, for the health probe's writes).
 *
 * Durability and group commit: lmdb-js batches every write issued in the same event-loop turn
 * (and every write issued while the previous commit is still running) into one transaction
 * on its write thread. With `overlappingSync` (lmdb's default on Linux) a transaction's fsync
 * runs after it became visible, overlapping the next transaction; `separateFlushed` gives each
 * write a second promise for that fsync. `put` resolves only after it: the message is on
 * disk, and N concurrent sessions pay for about one fsync. `noSync` is never used.
 * overlappingSync stays on although its separate sync step costs a thread hand-off per
 * commit: off, 2 KB relays took ~9 % less CPU, but 100 KB relays lost 10-20 % of their rate,
 * because LMDB then holds the write lock through the fsync and the reception workers' and
 * the owner's commits queue behind each other (bench/RESULTS.md "Session 16").
 *
 * A write that fails (disk full, I/O error) makes the spool unhealthy (`health`): new
 * messages are then refused at once with SPOOL_UNAVAILABLE (reception answers 451) instead
 * of joining, and failing, the transactions that carry the queue's state updates and
 * removals, which free space. A probe write checks every `probeIntervalMs` whether the spool
 * can write again; its first success makes the spool healthy.
 */
export class LmdbSpool implements Spool {
  private closed = false;
  /** deferred_spool messages: RAM only until their first updateMeta */
  private readonly deferred = new Map<string, { meta: SpoolMeta; body: Buffer }>();
  readonly health: SpoolHealth;
  private probeTimer: NodeJS.Timeout | undefined;
  private probing = false;
  private probeBytes = MIN_PROBE_BYTES;

  private constructor(
    readonly path: string,
    private readonly root: RootDatabase,
    private readonly metaDb: Database<SpoolMeta, string>,
    private readonly bodyDb: Database<Buffer, string>,
    private readonly probeDb: Database<Buffer, string>,
    private readonly journalDb: Database<string, string>,
    private readonly opts: LmdbSpoolOptions,
  ) {
    this.health = new SpoolHealth(path, { log: opts.log, logIntervalMs: opts.healthLogIntervalMs });
    liveSpools.add(this.health);
  }

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
      const probeDb = root.openDB<Buffer, string>({ name: 'probe', encoding: 'binary' });
      const journalDb = root.openDB<string, string>({ name: 'journal', encoding: 'string' });
      // lmdb-js starts each event-turn batch with an internal write whose promise it drops;
      // when that transaction fails (disk full) the promise rejects with nobody listening, an
      // unhandled rejection. The batch starts right after the 'beforecommit' callbacks, so a
      // microtask queued from one finds that promise as `committed` and handles it.
      const ignore = () => undefined;
      root.on('beforecommit', () => queueMicrotask(() => void root.committed.then(ignore, ignore)));
      return new LmdbSpool(opts.path, root, metaDb, bodyDb, probeDb, journalDb, opts);
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
    this.assertHealthy();
    // the writes of one turn land in the same lmdb transaction (the journal's lines too)
    const j = this.journalPut(opts.journal);
    const b = this.bodyDb.put(meta.id, body) as Flushable;
    const m = this.metaDb.put(meta.id, meta) as Flushable;
    try {
      await this.durable(m, b, ...j);
    } catch (e) {
      // the probe writes as much as this message needed, so that it tells when one would fit
      this.probeBytes = Math.min(MAX_PROBE_BYTES, Math.max(MIN_PROBE_BYTES, body.length));
      throw e;
    }
    this.health.succeeded();
  }

  /** One lmdb batch (explicitly one transaction, committed or failed as a whole), one fsync wait. */
  async putMany(entries: readonly SpoolEntry[], opts: SpoolPutOptions = {}): Promise<void> {
    this.assertOpen();
    if (opts.deferred) {
      for (const e of entries) this.deferred.set(e.meta.id, { meta: e.meta, body: e.body });
      return;
    }
    if (!entries.length) return;
    this.assertHealthy();
    const w = this.root.batch(() => {
      for (const { meta, body } of entries) {
        void this.bodyDb.put(meta.id, body);
        void this.metaDb.put(meta.id, meta);
      }
    }) as Flushable;
    try {
      await this.durable(w);
    } catch (e) {
      this.probeBytes = Math.min(MAX_PROBE_BYTES, entries.reduce((n, x) => Math.max(n, x.body.length), MIN_PROBE_BYTES));
      throw e;
    }
    this.health.succeeded();
  }

  async getBody(id: string): Promise<Buffer | undefined> {
    const d = this.deferred.get(id);
    if (d) return d.body;
    this.assertOpen();
    return this.fresh(() => this.bodyDb.get(id));
  }

  async getMeta(id: string): Promise<SpoolMeta | undefined> {
    const d = this.deferred.get(id);
    if (d) return d.meta;
    this.assertOpen();
    return this.fresh(() => this.metaDb.get(id));
  }

  /**
   * A read that must see what another process (a reception worker) committed before it told
   * us: lmdb-js keeps its read snapshot until a timer of the next loop iteration, so an id
   * announced over IPC in the same poll phase may not be in it yet. On a miss the snapshot is
   * renewed and the read repeated (a miss is rare: only for such ids, or a real absence).
   */
  private fresh<T>(read: () => T | undefined): T | undefined {
    const v = read();
    if (v !== undefined) return v;
    this.root.resetReadTxn();
    return read();
  }

  async updateMeta(meta: SpoolMeta, journal?: JournalEntry): Promise<void> {
    this.assertOpen();
    const j = this.journalPut(journal);
    const d = this.deferred.get(meta.id);
    if (d) {
      // first transient failure of a deferred message: now it goes to disk
      const b = this.bodyDb.put(meta.id, d.body) as Flushable;
      const m = this.metaDb.put(meta.id, meta) as Flushable;
      await this.durable(m, b, ...j);
      this.deferred.delete(meta.id);
      return;
    }
    await this.durable(this.metaDb.put(meta.id, meta) as Flushable, ...j);
  }

  async remove(id: string, journal?: JournalEntry): Promise<void> {
    if (this.deferred.has(id) && !journal) {
      this.deferred.delete(id);
      return;
    }
    this.assertOpen();
    // a deferred message never reached the disk: only the journal's lines are written
    const j = this.journalPut(journal);
    const ms = this.deferred.delete(id) ? [] : [this.metaDb.remove(id) as Flushable, this.bodyDb.remove(id) as Flushable];
    await this.durable(...ms, ...j);
  }

  /** The journal entry's write, issued in the caller's turn (so in its transaction). */
  private journalPut(journal: JournalEntry | undefined): Flushable[] {
    return journal ? [this.journalDb.put(journal.key, journal.lines) as Flushable] : [];
  }

  /**
   * Every durably spooled message in id (= arrival) order. Reads a consistent lmdb snapshot
   * lazily and yields to the event loop every 500 entries so a large spool does not stall it.
   * A meta record whose body is missing cannot be delivered; it is skipped.
   */
  async *scan(fromId?: string): AsyncIterable<SpoolMeta> {
    this.assertOpen();
    // the recovery scan after a worker died must see everything that worker committed
    this.root.resetReadTxn();
    let n = 0;
    for (const { key, value } of this.metaDb.getRange(fromId === undefined ? {} : { start: fromId })) {
      if (this.closed) return;
      if (!this.bodyDb.doesExist(key)) continue;
      yield value;
      if (++n % 500 === 0) await yieldLoop();
    }
  }

  current(ids: readonly string[]): SpoolMeta[] {
    this.assertOpen();
    this.root.resetReadTxn();
    const out: SpoolMeta[] = [];
    for (const id of ids) {
      const meta = this.metaDb.get(id);
      if (meta !== undefined && this.bodyDb.doesExist(id)) out.push(meta);
    }
    return out;
  }

  async count(): Promise<number> {
    this.assertOpen();
    return this.metaDb.getCount() + this.deferred.size;
  }

  journal(prefix: string): JournalEntry[] {
    this.assertOpen();
    this.root.resetReadTxn();
    const out: JournalEntry[] = [];
    for (const { key, value } of this.journalDb.getRange({ start: prefix })) {
      if (!key.startsWith(prefix)) break;
      out.push({ key, lines: value });
    }
    return out;
  }

  async clearJournal(keys: readonly string[]): Promise<void> {
    if (!keys.length || this.closed) return;
    await this.root.batch(() => {
      for (const k of keys) void this.journalDb.remove(k);
    });
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
    clearTimeout(this.probeTimer);
    liveSpools.delete(this.health);
    try {
      // lmdb never resolves the flush of a failed commit: do not hang the shutdown on it
      await withinMs(Promise.resolve(this.root.flushed), FLUSH_TIMEOUT_MS / 6);
    } finally {
      await this.root.close();
    }
  }

  /**
   * Resolves once every write is committed and flushed. Each write's commit promise and its
   * `flushed` promise get a handler here (Promise.all stops at the first rejection and would
   * leave the others unhandled), and so does the commitError lmdb attaches to a failed commit.
   */
  private async durable(...writes: Flushable[]): Promise<void> {
    const flushes = writes.flatMap((w) => (w.flushed && w.flushed !== w ? [w.flushed] : []));
    for (const f of flushes) f.catch(() => undefined);
    const failed = (await Promise.allSettled(writes)).find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      const e = failed.reason as Error & { commitError?: Promise<unknown> };
      const detail = e.commitError ? await settledReason(e.commitError) : undefined;
      const message = detail ? `${e.message}: ${detail}` : String(e.message ?? e);
      this.writeFailed(message);
      throw new SpoolError('SPOOL_WRITE', `spool write failed: ${message}`, { cause: e });
    }
    // lmdb resolves `flushed` only when the sync succeeded: one that never comes is a failure
    /* c8 ignore next 4 -- a sync that never completes (a hung disk): not provokable in a test */
    if (flushes.length && !(await withinMs(Promise.all(flushes), FLUSH_TIMEOUT_MS))) {
      this.writeFailed(`the commit was not flushed to disk within ${FLUSH_TIMEOUT_MS / 1000}s`);
      throw new SpoolError('SPOOL_WRITE', `spool write failed: not flushed to disk within ${FLUSH_TIMEOUT_MS / 1000}s`);
    }
  }

  private writeFailed(message: string): void {
    spoolWriteFailures.inc();
    this.health.failed(message);
    if (!this.health.healthy) this.scheduleProbe();
  }

  /** While unhealthy: a message-sized write, then its removal, tells whether the spool can write again. */
  private scheduleProbe(): void {
    if (this.probeTimer || this.probing || this.closed) return;
    this.probeTimer = setTimeout(() => {
      this.probeTimer = undefined;
      void this.probe();
    }, this.opts.probeIntervalMs ?? 1000);
    this.probeTimer.unref();
  }

  private async probe(): Promise<void> {
    if (this.closed || this.health.healthy) return;
    this.probing = true;
    try {
      await this.durable(this.probeDb.put('probe', Buffer.alloc(this.probeBytes, 0x2e)) as Flushable);
      await this.durable(this.probeDb.remove('probe') as Flushable);
      this.health.succeeded();
    } catch {
      // counted and logged by durable(); try again later
    } finally {
      this.probing = false;
      if (!this.health.healthy) this.scheduleProbe();
    }
  }

  /** New messages are refused at once while the spool cannot write (see `health`). */
  private assertHealthy(): void {
    if (this.health.healthy) return;
    this.health.maybeLogStill();
    throw new SpoolError('SPOOL_UNAVAILABLE', `the spool cannot write (for ${Math.round(this.health.forMs / 1000)}s)`);
  }

  private assertOpen(): void {
    if (this.closed) throw new SpoolError('SPOOL_CLOSED', 'the spool is closed');
  }
}

const FLUSH_TIMEOUT_MS = 30_000;

/** True when `p` settles within `ms`. */
async function withinMs(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const done = await Promise.race([
    p.then(() => true, () => true),
    new Promise<false>((r) => {
      timer = setTimeout(() => r(false), ms);
    }),
  ]);
  clearTimeout(timer);
  return done;
}

/** Probe sizes: as large as the last message that failed, within these bounds. */
const MIN_PROBE_BYTES = 64 * 1024;
const MAX_PROBE_BYTES = 16 * 1024 * 1024;

/** The reason of a promise that is already rejected (or rejects in this turn); undefined otherwise. */
async function settledReason(p: Promise<unknown>): Promise<string | undefined> {
  let reason: string | undefined;
  const handled = p.then(
    () => undefined,
    (e: unknown) => {
      reason = e instanceof Error ? e.message : String(e);
    },
  );
  await Promise.race([handled, new Promise((r) => setImmediate(r))]);
  return reason;
}
