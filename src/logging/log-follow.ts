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
 * of each writer open (the owner's and each reception worker's `-wN` files are written at the
 * same time) and reads what is appended, and on rotation drains it to its end (the open handle
 * survives the writer compressing and unlinking it) before moving to that writer's next file.
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
  /** the writer: '' for the main process, `-w1`... for a reception worker */
  stream: string;
}

// `-wN`: a reception worker's file (src/runtime/worker-runtime.ts); `-N`: a name taken already
const NAME = /^(\d{8}-\d{6}\.\d{3})(-w\d+)?(-\d+)?\.jsonl(\.gz)?$/;

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
    const base = m[1]! + (m[2] ?? '') + (m[3] ?? '');
    const f = byBase.get(base) ?? { base, startMs: startOf(m[1]!), stream: m[2] ?? '' };
    if (m[4]) f.gz = join(dir, name);
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
      /* c8 ignore start -- a race: compressed and removed between the listing and the open */
    } catch {
      return undefined; // compressed and removed before we got to it
    }
    /* c8 ignore stop */
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
  // each writer's newest file is read through its follower (it may still grow)
  const lasts = new Set(follow ? newestPerStream(files).values() : []);
  if (history) {
    for (let i = 0; i < files.length; i++) {
      const f = files[i]!;
      if (lasts.has(f)) continue;
      const next = files.slice(i + 1).find((g) => g.stream === f.stream);
      if (opts.sinceMs !== undefined && next && next.startMs < opts.sinceMs - SKEW_MS) continue;
      await readFile(f, opts);
      if (opts.signal?.aborted) return;
    }
  }
  if (!follow) return;

  const streams = new Map<string, StreamFollower>();
  for (const last of lasts) {
    const s = new StreamFollower(last.stream, last.base);
    streams.set(last.stream, s);
    await s.start(last, history, opts);
  }
  while (!opts.signal?.aborted) {
    const now = listLogFiles(opts.dir);
    let moved = false;
    for (const s of streams.values()) if (await s.poll(now, opts)) moved = true;
    // a writer that started after us (a new reception worker): all of its files are new
    for (const { stream } of now) {
      if (streams.has(stream)) continue;
      const s = new StreamFollower(stream, undefined);
      streams.set(stream, s);
      if (await s.poll(now, opts)) moved = true;
    }
    if (!moved) await sleep(poll, opts.signal);
  }
  for (const s of streams.values()) await s.close();
}

/** The newest file of each writer (files oldest first). */
function newestPerStream(files: readonly LogFile[]): Map<string, LogFile> {
  const m = new Map<string, LogFile>();
  for (const f of files) m.set(f.stream, f);
  return m;
}

/** One writer's files: its active one followed, the next taken over on rotation. */
class StreamFollower {
  private current: Tail | undefined;
  constructor(private readonly stream: string, private seen: string | undefined) {}

  async start(last: LogFile, history: boolean, opts: FollowOptions): Promise<void> {
    this.current = await Tail.open(last);
    if (!this.current) await readFile(last, opts);
    else if (!history) await this.current.skipToEnd();
  }

  /** Reads what was appended and takes over newer files; true when it moved to another file. */
  async poll(files: readonly LogFile[], opts: FollowOptions): Promise<boolean> {
    if (this.current) await this.current.read(opts.onLine);
    const newer = files.filter((f) => f.stream === this.stream && (this.seen === undefined || f.base > this.seen));
    if (!newer.length) return false;
    // rotated: the old file is complete once a newer one exists (the writer closes it first)
    if (this.current) {
      await this.current.read(opts.onLine);
      await this.current.close();
      this.current = undefined;
    }
    for (const f of newer.slice(0, -1)) await readFile(f, opts);
    const f = newer.at(-1)!;
    this.seen = f.base;
    this.current = f.plain ? await Tail.open(f) : undefined;
    if (!this.current) await readFile(f, opts);
    else await this.current.read(opts.onLine);
    return true;
  }

  close(): Promise<void> | undefined {
    return this.current?.close();
  }
}

/** A whole file: the plain one while it exists, else the compressed one. */
async function readFile(f: LogFile, opts: FollowOptions): Promise<void> {
  if (f.plain) {
    let fh: FileHandle | undefined;
    try {
      fh = await open(f.plain, 'r');
      /* c8 ignore start -- a race: compressed between the listing and the open (then the .gz is read) */
    } catch {
      // compressed meanwhile: read the .gz
    }
    /* c8 ignore stop */
    if (fh) {
      try {
        await readWhole(fh.createReadStream(), f.plain, opts.onLine);
        /* c8 ignore start -- a read error of a file already open (an I/O error) */
      } catch (e) {
        opts.onError?.(`${f.plain}: ${(e as Error).message}`);
      }
      /* c8 ignore stop */
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
