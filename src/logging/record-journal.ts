import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { JournalEntry, Spool } from '../spool/types.js';
import type { Logger } from './logger.js';
import { ACTIVE_SUFFIX } from './record-writer.js';
import type { PreparedRecord, RecordWriter } from './record-writer.js';
import type { LogRecord } from './types.js';

/** Records made ready for one spool write: their file lines (for the journal) and what the writer takes. */
export interface StagedRecords {
  readonly prepared: readonly PreparedRecord[];
  /** the lines the files take ('' when none) */
  readonly lines: string;
}

/** How often the lines of records now in the log file on disk are forgotten by the spool. */
const CLEAR_EVERY_MS = 500;
/** journal lines are looked for in log files changed since the oldest entry's message was received, less this */
const FILE_MARGIN_MS = 60_000;

/**
 * The Reception record rides the message's own spool transaction: its line is stored in the
 * spool's journal in the same lmdb commit as the message, so it is on disk when the 250 goes
 * out without a second synchronous write (one fewer thread-pool round and disk flush per
 * message: bench/RESULTS.md "Session 17"). The line then goes to the log file as any record
 * does (buffered, an O_DSYNC write within the flush interval), and the journal entries whose
 * lines are in the file on disk are forgotten every CLEAR_EVERY_MS. After a crash, the
 * entries left are written to the log at the next start, or when the owner restarts the
 * reception worker that wrote them (`restoreJournal`); lines already in a log file are not
 * written twice. Log hooks are not journaled: a record a hook takes is waited for as before.
 * The queue's outcome records (Delivery, Bounce, ...) ride the spool write that follows them
 * (the removal, or the retry state) the same way: a Delivery record is on disk no later than
 * the removal of its message.
 */
export class RecordJournal {
  private pending: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private clearing: Promise<void> = Promise.resolve();
  private seq = 0;

  /** `tag`: the writer's file tag (a reception worker's `w1`; '' for the owner) */
  constructor(
    private readonly spool: Spool,
    private readonly records: RecordWriter,
    private readonly tag: string,
    private readonly log?: Logger,
  ) {}

  /** The records as the writer will take them; nothing is written yet. */
  stage(records: readonly LogRecord[]): StagedRecords {
    const prepared: PreparedRecord[] = [];
    let lines = '';
    for (const r of records) {
      const p = this.records.prepare(r);
      if (!p) continue;
      prepared.push(p);
      if (p.toFile) lines += p.json + '\n';
    }
    return { prepared, lines };
  }

  /** The journal entry to store with message `id`'s spool write, if the files take any line. */
  entry(id: string, staged: StagedRecords): JournalEntry | undefined {
    return staged.lines ? { key: journalKey(this.tag, id), lines: staged.lines } : undefined;
  }

  /**
   * After the spool write succeeded: the records go to the writer, and the entry is forgotten
   * once the file has them on disk. Resolves when the log hooks that took one have it on disk.
   */
  commit(staged: StagedRecords, entry: JournalEntry | undefined): Promise<void> {
    for (const p of staged.prepared) this.records.writePrepared(p);
    if (entry) this.stored(entry.key);
    return this.records.tapsDurable();
  }

  /**
   * Writes a record now (the queue's outcome records); returns its file line ('' when the
   * files do not take it), to be journaled with the spool write that follows it.
   */
  writeNow(record: LogRecord): string {
    const p = this.records.prepare(record);
    if (!p) return '';
    this.records.writePrepared(p);
    return p.toFile ? p.json + '\n' : '';
  }

  /** An entry for lines that precede a state change of message `id` (a message has several over time). */
  entryFor(id: string, lines: string): JournalEntry {
    return { key: `${journalKey(this.tag, id)}.${(++this.seq).toString(36)}`, lines };
  }

  /** The barrier a spool write whose records are journaled waits for: the log hooks' copies. */
  tapsDurable(): Promise<void> {
    return this.records.tapsDurable();
  }

  /** An entry is in the spool: forgotten once the log file has its lines on disk. */
  stored(key: string): void {
    this.pending.push(key);
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        void this.clear();
      }, CLEAR_EVERY_MS);
      this.timer.unref();
    }
  }

  /** Forgets the entries whose lines are on disk now (at stop: before the writer closes). */
  clear(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const keys = this.pending.splice(0);
    if (!keys.length) return this.clearing;
    this.clearing = this.clearing.then(async () => {
      try {
        await this.records.onDisk();
        await this.spool.clearJournal(keys);
      } catch (e) {
        // the log file or the spool cannot be written now: the entries stay (a restart writes
        // their lines if the file never got them)
        this.log?.warn('log record journal: entries not cleared yet', { entries: keys.length, error: String((e as Error)?.message ?? e) });
        this.pending.unshift(...keys);
      }
    });
    return this.clearing;
  }
}

export function journalKey(tag: string, id: string): string {
  return `${tag}:${id}`;
}

/** The prefix of every journal key of writer `tag` (planJournal's `prefix`). */
export function journalPrefix(tag: string): string {
  return journalKey(tag, '');
}

/** The lines of journal entries that no log file has, and every entry's key. */
export interface JournalPlan {
  readonly keys: readonly string[];
  readonly missing: string;
  readonly missingLines: number;
  readonly presentLines: number;
}

/**
 * What the spool's journal entries under `prefix` (a writer's `w1:`; '' for all) still owe
 * the log: their lines not found in a log file of `logDir` changed since their messages came
 * in. Read before anything compresses those files away (at start, before the writer opens).
 */
export async function planJournal(spool: Spool, logDir: string, prefix: string, log?: Logger): Promise<JournalPlan> {
  const entries = spool.journal(prefix);
  if (!entries.length) return { keys: [], missing: '', missingLines: 0, presentLines: 0 };
  const oldest = Math.min(...entries.map((e) => receivedAtOf(e.key)));
  const ids = new Set(entries.map((e) => idOf(e.key)));
  // one pass over the files: only the lines of these messages are kept, to look up
  const present = await linesOf(logDir, oldest - FILE_MARGIN_MS, ids, log);
  let missing = '';
  let missingLines = 0;
  let presentLines = 0;
  for (const e of entries) {
    for (const line of e.lines.split('\n')) {
      if (!line) continue;
      if (present.has(line)) presentLines++;
      else {
        missing += line + '\n';
        missingLines++;
      }
    }
  }
  return { keys: entries.map((e) => e.key), missing, missingLines, presentLines };
}

/** Writes a plan's missing lines to the log, and forgets its entries once they are on disk. */
export async function restoreJournal(plan: JournalPlan, records: RecordWriter, spool: Spool): Promise<void> {
  if (!plan.keys.length) return;
  records.appendLines(plan.missing);
  await records.onDisk();
  await spool.clearJournal(plan.keys);
}

/** The message id of a key `<tag>:<id>` (an outcome entry's key ends in `.<n>`). */
function idOf(key: string): string {
  const id = key.slice(key.indexOf(':') + 1);
  const dot = id.indexOf('.');
  return dot < 0 ? id : id.slice(0, dot);
}

/** Spool ids begin with their creation time in ms, 12 hex digits (src/spool/spool-id.ts). */
function receivedAtOf(key: string): number {
  const ms = parseInt(idOf(key).slice(0, 12), 16);
  return Number.isFinite(ms) ? ms : 0;
}

/** A record line's message id: records begin `{"type":"...","id":"<id>"` (LogRecord's field order). */
const LINE_ID = /^\{"type":"[A-Za-z]+","id":"([^"]*)"/;

/** The lines of the log files in `dir` changed since `since` that belong to one of `ids`. */
async function linesOf(dir: string, since: number, ids: ReadonlySet<string>, log?: Logger): Promise<Set<string>> {
  const out = new Set<string>();
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return out;
  }
  for (const name of names) {
    if (!name.endsWith(ACTIVE_SUFFIX) && !name.endsWith(ACTIVE_SUFFIX + '.gz')) continue;
    const path = join(dir, name);
    try {
      if ((await stat(path)).mtimeMs < since) continue;
      const raw = await readFile(path);
      for (const line of (name.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8').split('\n')) {
        const id = LINE_ID.exec(line)?.[1];
        if (id !== undefined && ids.has(id)) out.add(line);
      }
    } catch (e) {
      // compressed or removed meanwhile, or damaged: its lines are written again (a duplicate beats a loss)
      log?.warn('log record journal: a log file could not be read', { file: path, error: String((e as Error)?.message ?? e) });
    }
  }
  return out;
}
