import { builtinClassifier } from '../bounce/builtin.js';
import type { BounceClassifier } from '../bounce/classifier.js';
import { isClassifiable, replyOf } from './record-fields.js';
import { constants, createReadStream, createWriteStream, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { open, rename, stat, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { Logger } from './logger.js';
import { recordEnabled } from './record-policy.js';
import type { PerRecordKey } from './record-policy.js';
import type { LogRecord, LogWriter } from './types.js';

/** Where and how records are written; read afresh at every rotation decision. */
export interface RecordLogSettings {
  readonly path: string;
  readonly maxFileSize: number;
  readonly maxFileAgeMs: number;
  readonly compress: boolean;
  /** `[logs.per_record.<Type>] enable = false` drops that type (record-policy.ts) */
  readonly perRecord?: ReadonlyMap<PerRecordKey, boolean>;
}

export interface RecordWriterOptions {
  settings: () => RecordLogSettings;
  log?: Logger;
  /** flush buffered lines after this long (ms, default 100) */
  flushIntervalMs?: number;
  /** flush at once when this many bytes are buffered (default 256 KB) */
  flushBytes?: number;
  /** while the file cannot be written, keep at most this many bytes of records to retry (default 64 MB) */
  maxPendingBytes?: number;
  /** the epoch's bounce classifier (default: the shipped rules alone) */
  classifier?: () => BounceClassifier;
  /**
   * A reception worker's tag (`w1`): its files are `<stamp>-w1.jsonl`, so that several
   * writers never share a file, and it leaves the other files of the directory alone (they
   * are the owner's and the other workers' active files; the owner compresses leftovers).
   */
  fileTag?: string;
}

/**
 * A consumer of every record written (the log hooks, src/events/): `accept` runs synchronously
 * in `write` with the record's JSON line; `durable` resolves once what it accepted so far is on
 * disk (the writer's durable barrier waits for it).
 */
export interface RecordTap {
  accept(record: LogRecord, json: string): void;
  durable(): Promise<void>;
}

/** A record made ready to write (RecordWriter.prepare): its JSON, and whether the files take it. */
export interface PreparedRecord {
  readonly record: LogRecord;
  readonly json: string;
  readonly toFile: boolean;
}

export const ACTIVE_SUFFIX = '.jsonl';
const ERROR_LOG_INTERVAL_MS = 30_000;
const RETRY_MS = 1_000;

interface Waiter {
  seq: number;
  resolve: () => void;
  reject: (e: Error) => void;
}

export class RecordWriteError extends Error {
  readonly code = 'RECORDS_WRITE';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RecordWriteError';
  }
}

/**
 * Log records as JSON lines (DESIGN §5). Lines are buffered and appended in one write per
 * flush (at most `flushIntervalMs` later, or sooner when the buffer is large); files are named
 * by their creation time (`YYYYMMDD-HHMMSS.mmm.jsonl`), rotated by size and age, and rotated
 * files are gzip-compressed in the background. Files left uncompressed by a crash are
 * compressed at the next start.
 *
 * Durability: `writeDurable` / `durable()` resolve once the records are on disk. Files are
 * opened with O_DSYNC, so an append is durable when its write(2) returns: one thread-pool job
 * instead of a write and then an fdatasync (two hand-offs per group commit, measurable on
 * the per-message CPU of a reception worker). Like the spool's group commit, one loop serves
 * every waiter: while an append runs, new waiters gather and share the next one, so N
 * concurrent sessions pay for about one synchronous write.
 * A failed append keeps the unwritten bytes and retries them (to the same file first, so a
 * line cut by a full disk is completed, not torn).
 */
export class RecordWriter implements LogWriter {
  private buf: string[] = [];
  private bufBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private file: { fh: FileHandle; path: string; dir: string; size: number; openedAt: number } | undefined;
  private readonly compressions = new Set<Promise<void>>();
  private closed = false;
  private readonly ageTimer: NodeJS.Timeout;
  /** bytes of a failed append not yet in the current file (written first next time) */
  private unwritten: Buffer | undefined;
  /** records (by sequence number = `written`) appended to a file, and known to be on disk */
  private appendedSeq = 0;
  private syncedSeq = 0;
  private waiters: Waiter[] = [];
  private syncing = false;
  private lastError: unknown;
  private errorLog = { at: 0, suppressed: 0 };
  private readonly taps = new Set<RecordTap>();
  /** records written since start (metrics, tests); also the sequence number of the last one */
  written = 0;
  /** records dropped because the file could not be written for too long */
  dropped = 0;
  /** rounds of the durable path (each serves every waiter gathered meanwhile) */
  syncs = 0;

  constructor(private readonly opts: RecordWriterOptions) {
    const s = opts.settings();
    mkdirSync(s.path, { recursive: true });
    // files of a previous run are finished (we always start a new file); a .gz.tmp is an
    // interrupted compression whose source is still there
    for (const f of opts.fileTag ? [] : readdirSync(s.path)) {
      if (f.endsWith('.gz.tmp')) rmSync(join(s.path, f), { force: true });
      else if (s.compress && f.endsWith(ACTIVE_SUFFIX)) this.compressLater(join(s.path, f));
    }
    // an idle file is rotated by age too, not only at the next write
    this.ageTimer = setInterval(() => {
      const f = this.file;
      if (f && !this.unwritten && Date.now() - f.openedAt >= this.opts.settings().maxFileAgeMs) this.chain = this.chain.then(() => this.closeCurrent()).catch((e) => this.failed(e));
    }, Math.min(10_000, Math.max(1000, s.maxFileAgeMs)));
    this.ageTimer.unref();
  }

  write(record: LogRecord): void {
    const p = this.prepare(record);
    if (p) this.writePrepared(p);
  }

  /**
   * A record as write() takes it, classified and its JSON made, without writing it: a
   * journal (record-journal.ts) stores the file line with a spool write first. Undefined when
   * neither the files nor a tap take it.
   */
  prepare(record: LogRecord): PreparedRecord | undefined {
    if (this.closed) {
      this.opts.log?.warn('log record written after close; dropped', { type: record.type, id: record.id });
      return undefined;
    }
    const toFile = recordEnabled(this.opts.settings().perRecord, record.type);
    if (!toFile && !this.taps.size) return undefined;
    // every record is classified here, in one place, with the current epoch's rules
    if (isClassifiable(record.type)) record.bounce_classification = (this.opts.classifier ?? builtinClassifier)().classify(replyOf(record.response));
    return { record, json: JSON.stringify(record), toFile };
  }

  /** Writes a prepared record: to the taps now, to the file buffer (flushed within the interval). */
  writePrepared({ record, json, toFile }: PreparedRecord): void {
    if (this.closed) {
      this.opts.log?.warn('log record written after close; dropped', { type: record.type, id: record.id });
      return;
    }
    // log hooks take every record, whether or not the files do (their own types filter them)
    for (const tap of this.taps) {
      try {
        tap.accept(record, json);
      } catch (e) {
        this.opts.log?.error('a log hook could not take a record', { type: record.type, id: record.id, error: String((e as Error)?.message ?? e) });
      }
    }
    if (toFile) this.buffer(json + '\n', 1);
  }

  /** Lines recovered from a journal (each ending in a newline), appended as they are. */
  appendLines(lines: string): void {
    const n = lines.split('\n').length - 1;
    if (n && !this.closed) this.buffer(lines, n);
  }

  private buffer(lines: string, n: number): void {
    this.buf.push(lines);
    this.bufBytes += lines.length;
    this.written += n;
    if (this.bufBytes >= (this.opts.flushBytes ?? 256 * 1024)) void this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), this.opts.flushIntervalMs ?? 100);
      this.timer.unref();
    }
  }

  writeDurable(record: LogRecord): Promise<void> {
    if (this.closed) return Promise.reject(new RecordWriteError('the log record writer is closed'));
    this.write(record);
    return this.durable();
  }

  durable(): Promise<void> {
    if (!this.taps.size) return this.fileDurable();
    return Promise.all([this.fileDurable(), this.tapsDurable()]).then(() => undefined);
  }

  /** Resolves once every record the taps took so far is on disk (the files not included). */
  tapsDurable(): Promise<void> {
    if (!this.taps.size) return Promise.resolve();
    return Promise.all([...this.taps].map((t) => t.durable())).then(() => undefined);
  }

  /** Resolves once every record written to the files so far is on disk (the taps not included). */
  onDisk(): Promise<void> {
    return this.fileDurable();
  }

  /** Adds a consumer of every record (log hooks); `durable()` then covers what it took too. */
  addTap(tap: RecordTap): void {
    this.taps.add(tap);
  }

  removeTap(tap: RecordTap): void {
    this.taps.delete(tap);
  }

  private fileDurable(): Promise<void> {
    const seq = this.written;
    // appended = on disk (O_DSYNC)
    if (seq <= this.syncedSeq || seq <= this.appendedSeq) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ seq, resolve, reject });
      if (!this.syncing) {
        this.syncing = true;
        // records written in this same turn join the first sync
        setImmediate(() => void this.syncLoop());
      }
    });
  }

  /** Resolves when every record written so far is in the file (not fsynced). */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.buf.length || this.unwritten) {
      const data = this.buf.join('');
      const upto = this.written;
      this.buf = [];
      this.bufBytes = 0;
      this.chain = this.chain.then(() => this.append(data, upto)).catch((e) => this.failed(e));
    }
    return this.chain;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    this.closed = true;
    clearInterval(this.ageTimer);
    clearTimeout(this.timer);
    await this.chain;
    if (this.file) {
      const f = this.file;
      this.file = undefined;
      await f.fh.close(); // nothing to sync: every append was O_DSYNC
      if (f.size === 0) await unlink(f.path).catch(() => undefined);
      else if (this.opts.settings().compress) this.compressLater(f.path);
    }
    if (this.unwritten) this.opts.log?.error('log records lost at close: the log file could not be written', { bytes: this.unwritten.length });
    if (this.appendedSeq > this.syncedSeq) this.syncedSeq = this.appendedSeq;
    this.settle(this.written, this.appendedSeq >= this.written ? undefined : new RecordWriteError('log records could not be written before close'));
    await Promise.all([...this.compressions]);
  }

  /** Rotates now (tests, admin). */
  async rotate(): Promise<void> {
    await this.flush();
    this.chain = this.chain.then(() => this.closeCurrent()).catch((e) => this.failed(e));
    await this.chain;
  }

  /** The file currently written, if any. */
  get currentFile(): string | undefined {
    return this.file?.path;
  }

  /** One group commit per turn of the loop, for every waiter gathered meanwhile. */
  private async syncLoop(): Promise<void> {
    try {
      while (this.waiters.length) {
        const upto = this.written;
        await this.flush();
        let err: unknown;
        // appended = on disk (O_DSYNC): a write the disk refused failed the append itself
        if (this.appendedSeq < upto) err = this.lastError ?? new Error('log records not written');
        else {
          this.syncs++;
          this.syncedSeq = Math.max(this.syncedSeq, upto);
        }
        this.settle(upto, err === undefined ? undefined : new RecordWriteError(`log records not on disk: ${(err as Error).message ?? err}`, { cause: err }));
      }
    } finally {
      this.syncing = false;
    }
  }

  /** Resolves (or rejects) the waiters for records up to `upto`. */
  private settle(upto: number, err: Error | undefined): void {
    const rest: Waiter[] = [];
    for (const w of this.waiters) {
      if (w.seq > upto) rest.push(w);
      else if (err) w.reject(err);
      else w.resolve();
    }
    this.waiters = rest;
  }

  private async append(data: string, upto: number): Promise<void> {
    const s = this.opts.settings();
    let bytes = Buffer.from(data);
    if (this.unwritten) {
      // the file still owes the rest of a cut line: no rotation until it is written
      const max = this.opts.maxPendingBytes ?? 64 * 1024 * 1024;
      if (this.unwritten.length + bytes.length > max) {
        const lines = data.split('\n').length - 1;
        this.dropped += lines;
        this.opts.log?.error('log records dropped: the log file cannot be written and the retry buffer is full', { records: lines, dropped_total: this.dropped });
        bytes = Buffer.alloc(0);
      }
      bytes = Buffer.concat([this.unwritten, bytes]);
      this.unwritten = undefined;
    } else {
      const f = this.file;
      if (f && (f.dir !== s.path || f.size >= s.maxFileSize || Date.now() - f.openedAt >= s.maxFileAgeMs)) await this.closeCurrent();
    }
    if (!this.file) {
      try {
        await this.openNew(s.path);
      } catch (e) {
        this.unwritten = bytes;
        throw e;
      }
    }
    const cur = this.file!;
    let off = 0;
    try {
      // a full disk writes part of the buffer, then fails: keep exactly the rest
      while (off < bytes.length) off += (await cur.fh.write(bytes, off, bytes.length - off)).bytesWritten;
    } catch (e) {
      cur.size += off;
      this.unwritten = bytes.subarray(off);
      throw e;
    }
    cur.size += bytes.length;
    this.appendedSeq = upto;
    if (this.lastError !== undefined) {
      this.lastError = undefined;
      this.opts.log?.info('log records written again');
    }
  }

  /** An append or sync failed: logged at most once per interval; buffered bytes are retried. */
  private failed(e: unknown): void {
    this.lastError = e;
    const now = Date.now();
    if (now - this.errorLog.at >= ERROR_LOG_INTERVAL_MS) {
      this.opts.log?.error('writing log records failed; retrying', {
        error: String(e), pending_bytes: this.unwritten?.length ?? 0, suppressed: this.errorLog.suppressed,
      });
      this.errorLog = { at: now, suppressed: 0 };
    } else this.errorLog.suppressed++;
    if (this.unwritten && !this.closed && !this.timer) {
      this.timer = setTimeout(() => void this.flush(), RETRY_MS);
      this.timer.unref();
    }
  }

  private async openNew(dir: string): Promise<void> {
    mkdirSync(dir, { recursive: true });
    const now = new Date();
    const p = (n: number, w = 2) => String(n).padStart(w, '0');
    const base = `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}-${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}.${p(now.getUTCMilliseconds(), 3)}`;
    const tag = this.opts.fileTag ? `-${this.opts.fileTag}` : '';
    let path = join(dir, base + tag + ACTIVE_SUFFIX);
    for (let i = 1; await exists(path); i++) path = join(dir, `${base}${tag}-${i}${ACTIVE_SUFFIX}`);
    // O_DSYNC: each append is durable when it returns (see the class comment)
    const fh = await open(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_DSYNC, 0o666);
    this.file = { fh, path, dir, size: 0, openedAt: now.getTime() };
    await syncDir(dir);
  }

  private async closeCurrent(): Promise<void> {
    const f = this.file;
    if (!f) return;
    this.file = undefined;
    await f.fh.close(); // nothing to sync: every append was O_DSYNC
    if (f.size === 0) await unlink(f.path).catch(() => undefined);
    else if (this.opts.settings().compress) this.compressLater(f.path);
  }

  private compressLater(path: string): void {
    const p = gzipFile(path)
      .catch((e) => this.opts.log?.error('compressing a rotated log file failed', { file: path, error: String(e) }))
      .finally(() => this.compressions.delete(p));
    this.compressions.add(p);
  }
}

/** `x.jsonl` → `x.jsonl.gz` (written to a temp name and synced first, so a crash never leaves a truncated .gz). */
export async function gzipFile(path: string): Promise<void> {
  const tmp = `${path}.gz.tmp`;
  await pipeline(createReadStream(path), createGzip(), createWriteStream(tmp, { flush: true }));
  await rename(tmp, `${path}.gz`);
  await unlink(path);
}

/** Makes a new directory entry durable (best effort: not every file system syncs directories). */
async function syncDir(dir: string): Promise<void> {
  try {
    const d = await open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
    /* c8 ignore start -- a directory fsync failing (a file system that cannot): best effort */
  } catch {
    // ignored: the file itself is still synced
  }
  /* c8 ignore stop */
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    /* c8 ignore next -- a file of the same millisecond already there (two opens in one ms) */
    return true;
  } catch {
    return false;
  }
}
