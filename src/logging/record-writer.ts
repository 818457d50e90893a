import { createReadStream, createWriteStream, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { open, rename, stat, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { Logger } from './logger.js';
import type { LogRecord, LogWriter } from './types.js';

/** Where and how records are written; read afresh at every rotation decision. */
export interface RecordLogSettings {
  readonly path: string;
  readonly maxFileSize: number;
  readonly maxFileAgeMs: number;
  readonly compress: boolean;
}

export interface RecordWriterOptions {
  settings: () => RecordLogSettings;
  log?: Logger;
  /** flush buffered lines after this long (ms, default 100) */
  flushIntervalMs?: number;
  /** flush at once when this many bytes are buffered (default 256 KB) */
  flushBytes?: number;
}

const ACTIVE_SUFFIX = '.jsonl';

/**
 * Log records as JSON lines (DESIGN §5). Lines are buffered and appended in one write per
 * flush (at most `flushIntervalMs` later, or sooner when the buffer is large); files are named
 * by their creation time (`YYYYMMDD-HHMMSS.mmm.jsonl`), rotated by size and age, and rotated
 * files are gzip-compressed in the background. Files left uncompressed by a crash are
 * compressed at the next start.
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
  /** records written since start (metrics, tests) */
  written = 0;

  constructor(private readonly opts: RecordWriterOptions) {
    const s = opts.settings();
    mkdirSync(s.path, { recursive: true });
    // files of a previous run are finished (we always start a new file); a .gz.tmp is an
    // interrupted compression whose source is still there
    for (const f of readdirSync(s.path)) {
      if (f.endsWith('.gz.tmp')) rmSync(join(s.path, f), { force: true });
      else if (s.compress && f.endsWith(ACTIVE_SUFFIX)) this.compressLater(join(s.path, f));
    }
    // an idle file is rotated by age too, not only at the next write
    this.ageTimer = setInterval(() => {
      const f = this.file;
      if (f && Date.now() - f.openedAt >= this.opts.settings().maxFileAgeMs) this.chain = this.chain.then(() => this.closeCurrent()).catch(() => undefined);
    }, Math.min(10_000, Math.max(1000, s.maxFileAgeMs)));
    this.ageTimer.unref();
  }

  write(record: LogRecord): void {
    if (this.closed) {
      this.opts.log?.warn('log record written after close; dropped', { type: record.type, id: record.id });
      return;
    }
    const line = JSON.stringify(record) + '\n';
    this.buf.push(line);
    this.bufBytes += line.length;
    this.written++;
    if (this.bufBytes >= (this.opts.flushBytes ?? 256 * 1024)) void this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), this.opts.flushIntervalMs ?? 100);
      this.timer.unref();
    }
  }

  /** Resolves when every record written so far is in the file (not fsynced). */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.buf.length) {
      const data = this.buf.join('');
      this.buf = [];
      this.bufBytes = 0;
      this.chain = this.chain.then(() => this.append(data)).catch((e) => {
        this.opts.log?.error('writing log records failed', { error: String(e) });
      });
    }
    return this.chain;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    this.closed = true;
    clearInterval(this.ageTimer);
    await this.chain;
    if (this.file) {
      const f = this.file;
      this.file = undefined;
      await f.fh.close();
      if (f.size === 0) await unlink(f.path).catch(() => undefined);
      else if (this.opts.settings().compress) this.compressLater(f.path);
    }
    await Promise.all([...this.compressions]);
  }

  /** Rotates now (tests, admin). */
  async rotate(): Promise<void> {
    await this.flush();
    this.chain = this.chain.then(() => this.closeCurrent());
    await this.chain;
  }

  /** The file currently written, if any. */
  get currentFile(): string | undefined {
    return this.file?.path;
  }

  private async append(data: string): Promise<void> {
    const s = this.opts.settings();
    const f = this.file;
    if (f && (f.dir !== s.path || f.size >= s.maxFileSize || Date.now() - f.openedAt >= s.maxFileAgeMs)) await this.closeCurrent();
    if (!this.file) await this.openNew(s.path);
    const cur = this.file!;
    await cur.fh.write(data);
    cur.size += Buffer.byteLength(data);
  }

  private async openNew(dir: string): Promise<void> {
    mkdirSync(dir, { recursive: true });
    const now = new Date();
    const p = (n: number, w = 2) => String(n).padStart(w, '0');
    const base = `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}-${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}.${p(now.getUTCMilliseconds(), 3)}`;
    let path = join(dir, base + ACTIVE_SUFFIX);
    for (let i = 1; await exists(path); i++) path = join(dir, `${base}-${i}${ACTIVE_SUFFIX}`);
    const fh = await open(path, 'a');
    this.file = { fh, path, dir, size: 0, openedAt: now.getTime() };
  }

  private async closeCurrent(): Promise<void> {
    const f = this.file;
    if (!f) return;
    this.file = undefined;
    await f.fh.close();
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

/** `x.jsonl` → `x.jsonl.gz` (written to a temp name first, so a crash never leaves a truncated .gz). */
export async function gzipFile(path: string): Promise<void> {
  const tmp = `${path}.gz.tmp`;
  await pipeline(createReadStream(path), createGzip(), createWriteStream(tmp));
  await rename(tmp, `${path}.gz`);
  await unlink(path);
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}
