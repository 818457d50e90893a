import { createReadStream, existsSync, readdirSync } from 'node:fs';
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

/**
 * Reads the log directory the record writer (record-writer.ts) writes: files named by their
 * creation time (`YYYYMMDD-HHMMSS.mmm[-wW][-N].jsonl`), rotated ones gzip-compressed to `.jsonl.gz`.
 * History comes from every file, compressed or not, in order; following keeps the newest file
 * open and reads what is appended, and on rotation drains it to its end (the open handle
 * survives the writer compressing and unlinking it) before moving to the next file.
 */
export interface FollowOptions {
  readonly dir: string;
  /** history from this time (epoch ms, by event_time); undefined: all of it, or none when following */
  readonly sinceMs?: number;
  /** keep following the newest file (default true) */
  readonly follow?: boolean;
  readonly pollMs?: number;
  readonly signal?: AbortSignal;
  /** every line, with the file it came from and its line number there */
  readonly onLine: (line: string, where: { file: string; line: number }) => void;
  /** a file that could not be read (a damaged .gz...): reported, and the rest still read */
  readonly onError?: (message: string) => void;
}

interface LogFile {
  /** name without .jsonl / .jsonl.gz: sorts in creation order */
  base: string;
  plain?: string;
  gz?: string;
  startMs: number;
}

// `-wN`: a reception worker's file (src/runtime/worker-runtime.ts)
const NAME = /^(\d{8}-\d{6}\.\d{3})((?:-w\d+)?(?:-\d+)?)\.jsonl(\.gz)?$/;

function startOf(stamp: string): number {
  const m = /^(\d{4})(\d\d)(\d\d)-(\d\d)(\d\d)(\d\d)\.(\d{3})$/.exec(stamp);
  return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!, +m[7]!) : 0;
}

/** The directory's log files, oldest first (a file both plain and compressed, mid-compression, once). */
export function listLogFiles(dir: string): LogFile[] {
  if (!existsSync(dir)) return [];
  const byBase = new Map<string, LogFile>();
  for (const name of readdirSync(dir)) {
    const m = NAME.exec(name);
    if (!m) continue;
    const base = m[1]! + m[2]!;
    const f = byBase.get(base) ?? { base, startMs: startOf(m[1]!) };
    if (m[3]) f.gz = join(dir, name);
    else f.plain = join(dir, name);
    byBase.set(base, f);
  }
  return [...byBase.values()].sort((a, b) => (a.base < b.base ? -1 : a.base > b.base ? 1 : 0));
}

/** Records are made a little before they are written: a file may hold some older than its name. */
const SKEW_MS = 60_000;

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

async function readWhole(stream: Readable, file: string, onLine: FollowOptions['onLine']): Promise<void> {
  const rl = createInterface({ input: stream, crlfDelay: Infinity });
  let n = 0;
  for await (const line of rl) {
    n++;
    if (line) onLine(line, { file, line: n });
  }
}

/** An open file read as it grows; a line is passed on once its newline is there. */
class Tail {
  private offset = 0;
  private partial = '';
  private lineNo = 0;
  private constructor(readonly file: LogFile, private readonly fh: FileHandle) {}

  static async open(file: LogFile): Promise<Tail | undefined> {
    try {
      return new Tail(file, await open(file.plain!, 'r'));
    } catch {
      return undefined; // compressed and removed before we got to it
    }
  }

  async skipToEnd(): Promise<void> {
    this.offset = (await this.fh.stat()).size;
    this.partial = '';
  }

  /** Passes on every complete line appended since the last read. */
  async read(onLine: FollowOptions['onLine']): Promise<void> {
    const buf = Buffer.allocUnsafe(256 * 1024);
    for (;;) {
      const { bytesRead } = await this.fh.read(buf, 0, buf.length, this.offset);
      if (!bytesRead) return;
      this.offset += bytesRead;
      const text = this.partial + buf.toString('utf8', 0, bytesRead);
      const lines = text.split('\n');
      this.partial = lines.pop()!;
      for (const l of lines) {
        this.lineNo++;
        if (l) onLine(l, { file: this.file.plain!, line: this.lineNo });
      }
    }
  }

  close(): Promise<void> {
    return this.fh.close();
  }
}

/** Streams the directory's records per `opts`; resolves when done (history only) or aborted. */
export async function followLogs(opts: FollowOptions): Promise<void> {
  const follow = opts.follow ?? true;
  const poll = opts.pollMs ?? 250;
  const files = listLogFiles(opts.dir);
  const history = opts.sinceMs !== undefined || !follow;
  // history: every file but the newest, which is read through the follower (it may still grow)
  const last = follow ? files.at(-1) : undefined;
  if (history) {
    for (let i = 0; i < files.length; i++) {
      const f = files[i]!;
      if (f === last) break;
      const next = files[i + 1];
      if (opts.sinceMs !== undefined && next && next.startMs < opts.sinceMs - SKEW_MS) continue;
      await readFile(f, opts);
      if (opts.signal?.aborted) return;
    }
  }
  if (!follow) return;

  let current: Tail | undefined;
  let seen = last?.base;
  if (last) {
    current = await Tail.open(last);
    if (!current) await readFile(last, opts);
    else if (!history) await current.skipToEnd();
  }
  while (!opts.signal?.aborted) {
    if (current) await current.read(opts.onLine);
    const newer = listLogFiles(opts.dir).filter((f) => seen === undefined || f.base > seen);
    if (newer.length) {
      // rotated: the old file is complete once a newer one exists (the writer closes it first)
      if (current) {
        await current.read(opts.onLine);
        await current.close();
        current = undefined;
      }
      for (const f of newer.slice(0, -1)) await readFile(f, opts);
      const f = newer.at(-1)!;
      seen = f.base;
      current = f.plain ? await Tail.open(f) : undefined;
      if (!current) await readFile(f, opts);
      continue;
    }
    await sleep(poll, opts.signal);
  }
  await current?.close();
}

/** A whole file: the plain one while it exists, else the compressed one. */
async function readFile(f: LogFile, opts: FollowOptions): Promise<void> {
  if (f.plain) {
    let fh: FileHandle | undefined;
    try {
      fh = await open(f.plain, 'r');
    } catch {
      // compressed meanwhile: read the .gz
    }
    if (fh) {
      try {
        await readWhole(fh.createReadStream(), f.plain, opts.onLine);
      } catch (e) {
        opts.onError?.(`${f.plain}: ${(e as Error).message}`);
      }
      return;
    }
  }
  const gz = f.gz ?? `${f.plain}.gz`;
  if (!existsSync(gz)) return;
  const src = createReadStream(gz);
  const gunzip = createGunzip();
  src.on('error', (e) => gunzip.destroy(e));
  try {
    await readWhole(src.pipe(gunzip), gz, opts.onLine);
  } catch (e) {
    opts.onError?.(`${gz}: ${(e as Error).message}`);
  } finally {
    src.destroy();
  }
}
