import type { Logger } from '../logging/logger.js';
import type { JournalEntry, Spool, SpoolMeta } from './types.js';

export interface SpoolStateWriterOptions {
  readonly spool: Spool;
  readonly log: Logger;
  /** true once the owner shuts down: a failed write is then given up instead of retried */
  readonly stopping?: () => boolean;
  /** first retry delay (ms, default 1000); doubles up to `maxDelayMs` (default 30 s) */
  readonly minDelayMs?: number;
  readonly maxDelayMs?: number;
  /** a write carrying a journal entry succeeded (src/logging/record-journal.ts) */
  readonly stored?: (key: string) => void;
}

type Op = { kind: 'update'; meta: SpoolMeta } | { kind: 'remove' };

interface Entry {
  /** the newest state still to be written (undefined while only the running write is left) */
  want: { op: Op; before?: () => Promise<void>; journal?: JournalEntry } | undefined;
  running: boolean;
  /** a removal was submitted: nothing else is written for this message */
  removing: boolean;
  failures: number;
  timer: NodeJS.Timeout | undefined;
  done: Promise<void>;
  resolve: () => void;
}

/**
 * The queue's spool writes (state updates after an attempt, removal of finished messages).
 * Writes of one message run in order and only its newest state is written (an update that
 * comes while another is running replaces any older one still waiting; nothing follows a
 * removal). A write that fails (spool full or failing) is retried with backoff until it
 * succeeds, so no state change or removal is lost while the disk is full; the failures
 * themselves are counted and logged by the spool's health.
 */
export class SpoolStateWriter {
  private readonly entries = new Map<string, Entry>();
  private retrying = 0;

  constructor(private readonly opts: SpoolStateWriterOptions) {}

  /**
   * Writes `meta` (or removes the message) once `before` resolves (e.g. the log records of
   * the attempt are on disk). The promise resolves when this or a newer state of the
   * message is on disk, or when the write was given up at shutdown; it never rejects.
   */
  submit(meta: SpoolMeta, kind: 'update' | 'remove', before?: () => Promise<void>, journal?: JournalEntry): Promise<void> {
    const id = meta.id;
    let e = this.entries.get(id);
    if (!e) {
      let resolve!: () => void;
      const done = new Promise<void>((r) => (resolve = r));
      e = { want: undefined, running: false, removing: false, failures: 0, timer: undefined, done, resolve };
      this.entries.set(id, e);
    } else if (e.removing) {
      // nothing follows a removal, but its log lines ride it if it has not started; else they
      // reach the file within its flush interval (the message is gone already)
      if (journal && e.want) e.want.journal = merged(e.want.journal, journal);
      return e.done;
    }
    if (kind === 'remove') e.removing = true;
    // a newer state replaces a waiting one, whose log lines it carries too
    e.want = { op: kind === 'remove' ? { kind } : { kind, meta }, before, journal: merged(e.want?.journal, journal) };
    if (!e.running && !e.timer) void this.run(id, e);
    return e.done;
  }

  /** Messages with a write waiting or running. */
  get pending(): number {
    return this.entries.size;
  }

  /** Messages whose last write failed and waits for a retry. */
  get failing(): number {
    return this.retrying;
  }

  private async run(id: string, e: Entry): Promise<void> {
    const w = e.want;
    if (!w) return;
    e.want = undefined;
    e.running = true;
    let ok = false;
    try {
      if (w.before) await w.before();
      if (w.op.kind === 'remove') await this.opts.spool.remove(id, w.journal);
      else await this.opts.spool.updateMeta(w.op.meta, w.journal);
      ok = true;
      if (w.journal) this.opts.stored?.(w.journal.key);
    } catch (err) {
      // a newer state submitted meanwhile replaces the failed one (and carries its log lines)
      const newer = e.want as Entry['want'];
      if (newer) newer.journal = merged(w.journal, newer.journal);
      else e.want = w;
      if (this.opts.stopping?.() || (err as { code?: string }).code === 'SPOOL_CLOSED') {
        this.opts.log.warn(`spool ${w.op.kind} given up at shutdown; the message keeps its previous spooled state`, { id, error: String(err) });
        return this.finish(id, e);
      }
      if (e.failures++ === 0) this.retrying++;
      const min = this.opts.minDelayMs ?? 1000;
      const delay = Math.min(this.opts.maxDelayMs ?? 30_000, min * 2 ** Math.min(e.failures - 1, 16));
      this.opts.log.debug(`spool ${w.op.kind} failed; retrying`, { id, in_ms: delay, failures: e.failures, error: String(err) });
      e.timer = setTimeout(() => {
        e.timer = undefined;
        void this.run(id, e);
      }, delay * (0.75 + Math.random() / 2));
      e.timer.unref();
    } finally {
      e.running = false;
    }
    if (!ok) return;
    if (e.failures) {
      e.failures = 0;
      this.retrying--;
    }
    if (e.want) return this.run(id, e);
    this.finish(id, e);
  }

  private finish(id: string, e: Entry): void {
    if (e.failures) this.retrying--;
    clearTimeout(e.timer);
    if (this.entries.get(id) === e) this.entries.delete(id);
    e.resolve();
  }
}

/** One entry for the lines of two (the older's first), under the newer's key. */
function merged(older: JournalEntry | undefined, newer: JournalEntry | undefined): JournalEntry | undefined {
  if (!older) return newer;
  if (!newer) return older;
  return { key: newer.key, lines: older.lines + newer.lines };
}
