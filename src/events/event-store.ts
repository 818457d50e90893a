import { mkdirSync } from 'node:fs';
import { open } from 'lmdb';
import type { Database, RootDatabase } from 'lmdb';
import type { Logger } from '../logging/logger.js';
import { HookError } from './errors.js';

/** One queued event: the record as the log files have it, and when it was queued. */
export interface StoredEvent {
  /** the record JSON, byte for byte the line of the log file */
  readonly r: string;
  /** epoch ms it was queued */
  readonly t: number;
}

type Key = [string, number];
type Flushable = Promise<unknown> & { flushed?: Promise<unknown> };
interface Turn {
  readonly items: { key: Key; value: StoredEvent }[];
  last: Flushable | undefined;
  readonly done: Promise<void>;
  readonly resolve: () => void;
  readonly reject: (e: Error) => void;
}

const RETRY_MS = 1_000;
const ERROR_LOG_INTERVAL_MS = 30_000;

/**
 * The durable event queue of the log hooks: its own lmdb environment in `<spool>/hooks`
 * (under the spool's directory lock), one entry per (hook, sequence number). Like the mail
 * spool, writes issued in one event-loop turn share one transaction and one fsync
 * (`overlappingSync`, `separateFlushed`); `durable()` resolves once every event added so far
 * is on disk, so the record writer's barrier (and through it the mail spool's removal of a
 * delivered message) never runs ahead of the hook queues. A failed write (disk full) is
 * retried every second until it succeeds; `durable()` waits for it.
 *
 * Events are removed only after the receiver took them; a crash between the two leaves the
 * event queued and it is sent again (the only source of duplicates).
 */
export class EventStore {
  private seq = 0;
  private closed = false;
  /** writes not yet on disk */
  private readonly writing = new Set<Promise<void>>();
  private readonly removing = new Set<Promise<unknown>>();
  private errorLog = { at: 0, suppressed: 0 };
  private turn: Turn | undefined;
  /** events whose write failed at least once (metrics, tests) */
  writeRetries = 0;

  private constructor(
    readonly path: string,
    private readonly root: RootDatabase,
    private readonly db: Database<StoredEvent, Key>,
    private readonly log?: Logger,
  ) {}

  /**
   * `commitDelayMs` is the spool's group-commit window: events of concurrent sessions share a
   * transaction and its fsync (with 0 every event-loop turn commits on its own, and the
   * commits cost the hooks a third of the relay's CPU in bench/hooks).
   */
  static open(path: string, log?: Logger, commitDelayMs = 2): EventStore {
    try {
      mkdirSync(path, { recursive: true });
      const root = open({ path, compression: false, overlappingSync: true, separateFlushed: true, commitDelay: Math.max(0, Math.round(commitDelayMs)), maxDbs: 2 });
      const db = root.openDB<StoredEvent, Key>({ name: 'events', encoding: 'msgpack' });
      // see lmdb-spool.ts: lmdb's internal batch promise must not become an unhandled rejection
      const ignore = () => undefined;
      root.on('beforecommit', () => queueMicrotask(() => void root.committed.then(ignore, ignore)));
      const store = new EventStore(path, root, db, log);
      for (const k of db.getKeys({})) store.seq = Math.max(store.seq, (k as Key)[1]);
      return store;
    } catch (e) {
      throw new HookError('HOOK_STORE_OPEN', `cannot open the hook event queue at ${path}: ${(e as Error).message}`, { cause: e });
    }
  }

  /** Queues an event for `hook`: its sequence number, and a promise settled once it is on disk (as `durable()`). */
  add(hook: string, json: string, at = Date.now()): { seq: number; written: Promise<void> } {
    if (this.closed) throw new HookError('HOOK_STORE_CLOSED', 'the hook event queue is closed');
    const seq = ++this.seq;
    const key: Key = [hook, seq];
    const value: StoredEvent = { r: json, t: at };
    // the events of one turn land in one lmdb transaction: they share one promise, settled by
    // the flush of the turn's last write (lmdb flushes in order)
    let turn = this.turn;
    if (!turn) {
      let resolve!: () => void;
      let reject!: (e: Error) => void;
      const done = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
      turn = this.turn = { items: [], last: undefined, done, resolve, reject };
      this.writing.add(done);
      void done.finally(() => this.writing.delete(done)).catch(() => undefined);
      const t = turn;
      setImmediate(() => {
        if (this.turn === t) this.turn = undefined;
        void this.settle(t);
      });
    }
    turn.items.push({ key, value });
    turn.last = this.db.put(key, value) as Flushable;
    return { seq, written: turn.done };
  }

  private async settle(t: Turn): Promise<void> {
    try {
      await t.last;
      await t.last?.flushed;
      t.resolve();
    /* c8 ignore start -- an lmdb write failing (disk full, I/O error): a test's temp dir cannot be made to fail a write */
    } catch {
      // rewrite them one by one, retrying until each is on disk
      try {
        await Promise.all(t.items.map((i) => this.writeDurably(i.key, i.value)));
        t.resolve();
      } catch (e) {
        t.reject(e as Error);
      }
    }
    /* c8 ignore stop */
  }

  /** Resolves once every event added so far is on disk. */
  async durable(): Promise<void> {
    if (this.writing.size) await Promise.all([...this.writing]);
  }

  get(hook: string, seq: number): StoredEvent | undefined {
    return this.db.get([hook, seq]);
  }

  /** Removes events the receiver took (not awaited by callers: a lost removal only means a duplicate). */
  remove(hook: string, seqs: readonly number[]): void {
    if (this.closed || !seqs.length) return;
    const ps = seqs.map((s) => this.db.remove([hook, s]));
    const p = Promise.all(ps).catch((e) => this.failed('removing sent hook events failed (they will be sent again after a restart)', e));
    this.removing.add(p);
    void p.finally(() => this.removing.delete(p));
  }

  /** Every queued event's sequence number, by hook, oldest first (recovery at start). */
  scan(): Map<string, number[]> {
    const out = new Map<string, number[]>();
    for (const k of this.db.getKeys({})) {
      const [hook, seq] = k as Key;
      let list = out.get(hook);
      if (!list) out.set(hook, (list = []));
      list.push(seq);
    }
    return out;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.race([Promise.all([...this.writing, ...this.removing]), new Promise((r) => setTimeout(r, 2_000).unref())]);
    await this.root.close();
  }

  /* c8 ignore start -- runs only after an lmdb write or removal failed (disk full, I/O error), which a test's temp dir cannot provoke */
  private async writeDurably(key: Key, value: StoredEvent): Promise<void> {
    for (let failures = 0; ; failures++) {
      try {
        const p = this.db.put(key, value) as Flushable;
        await p;
        await p.flushed;
        return;
      } catch (e) {
        if (failures === 0) this.writeRetries++;
        this.failed('writing a hook event failed; retrying', e);
        if (this.closed) throw new HookError('HOOK_STORE_CLOSED', 'the hook event queue closed before the event was written', { cause: e });
        await new Promise((r) => setTimeout(r, RETRY_MS));
      }
    }
  }

  private failed(msg: string, e: unknown): void {
    const now = Date.now();
    if (now - this.errorLog.at < ERROR_LOG_INTERVAL_MS) {
      this.errorLog.suppressed++;
      return;
    }
    this.log?.error(msg, { error: String((e as Error)?.message ?? e), suppressed: this.errorLog.suppressed });
    this.errorLog = { at: now, suppressed: 0 };
  }
  /* c8 ignore stop */
}
