import { chmodSync, closeSync, constants, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import type * as FsExt from 'fs-ext';
import type { Logger } from '../logging/logger.js';

/** The lock file kept in every directory one process owns (spool, log records). */
export const LOCK_FILE = 'kumo-ts.lock';

/** What the lock file says about the process holding it. */
export interface LockHolder {
  readonly pid: number;
  readonly host: string;
  /** ISO time the holder took the lock */
  readonly started: string;
}

export type DirLockErrorCode = 'LOCK_HELD' | 'LOCK_FAILED' | 'LOCK_UNAVAILABLE';

export class DirLockError extends Error {
  constructor(
    readonly code: DirLockErrorCode,
    message: string,
    readonly path: string,
    readonly holder?: LockHolder,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DirLockError';
  }
}

export interface DirLock {
  readonly dir: string;
  readonly path: string;
  release(): void;
}

const require = createRequire(import.meta.url);
let fsExt: typeof FsExt | undefined;

/** fs-ext is a native addon: loaded only when a lock is taken, with a clear error if it was never built. */
function flockSync(fd: number, op: 'exnb' | 'un', dir: string): void {
  if (!fsExt) {
    try {
      fsExt = require('fs-ext') as typeof FsExt;
      /* c8 ignore start -- fs-ext not built: the installed tree always has it */
    } catch (e) {
      throw new DirLockError('LOCK_UNAVAILABLE', `cannot lock ${dir}: the native module fs-ext is not built ` +
        `(run \`npm rebuild fs-ext\`; it needs python3, make and a C++ compiler): ${(e as Error).message}`, dir, undefined, { cause: e });
    }
    /* c8 ignore stop */
  }
  fsExt.flockSync(fd, op);
}

export function readHolder(path: string): LockHolder | undefined {
  try {
    const h = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockHolder>;
    if (typeof h.pid === 'number' && typeof h.host === 'string' && typeof h.started === 'string') return h as LockHolder;
  } catch {
    // empty (the holder is between taking the lock and writing it) or not ours
  }
  return undefined;
}

function describeHolder(h: LockHolder | undefined, lockPath: string): string {
  if (!h) return `another process (it has not recorded itself in ${lockPath})`;
  return `pid ${h.pid}${h.host !== hostname() ? ` on host ${h.host}` : ''} (started ${h.started})`;
}

/**
 * Takes the exclusive lock of a directory for the life of this process: `kumo-ts.lock` in
 * it, locked with flock(2) (fs-ext). The kernel drops the lock when the holder exits, however
 * it exits (kill -9 included), so there is no stale lock to break and no pid-reuse guess; it
 * also holds across containers sharing the volume (one kernel). The file records the holder's
 * pid, host and start time, for the refusal message only. The directory is created 0700, and
 * an existing one loses its world permissions (spool and records are private).
 * Throws DirLockError LOCK_HELD (`<what> <dir> is locked by pid N (started ...)`) at once.
 */
export async function acquireDirLock(dir: string, what: string, log?: Logger): Promise<DirLock> {
  dir = resolve(dir);
  const path = join(dir, LOCK_FILE);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const mode = statSync(dir).mode & 0o777;
    if (mode & 0o007) {
      chmodSync(dir, mode & 0o770);
      log?.warn(`${what} ${dir} was readable by other users: removed their permissions`, { was: mode.toString(8), now: (mode & 0o770).toString(8) });
    }
  } catch (e) {
    throw new DirLockError('LOCK_FAILED', `cannot prepare ${what} ${dir}: ${(e as Error).message}`, dir, undefined, { cause: e });
  }
  let fd: number;
  try {
    // never truncate before holding the lock: the file names the current holder
    fd = openSync(path, constants.O_RDWR | constants.O_CREAT, 0o600);
  } catch (e) {
    throw new DirLockError('LOCK_FAILED', `cannot open the lock file ${path}: ${(e as Error).message}`, dir, undefined, { cause: e });
  }
  try {
    flockSync(fd, 'exnb', dir);
  } catch (e) {
    closeSync(fd);
    const code = (e as NodeJS.ErrnoException).code;
    /* c8 ignore next 4 -- flock failing otherwise than "held" (EBADF, ENOLCK): a native failure */
    if (code !== 'EAGAIN' && code !== 'EWOULDBLOCK') {
      if (e instanceof DirLockError) throw e;
      throw new DirLockError('LOCK_FAILED', `cannot lock ${path}: ${(e as Error).message}`, dir, undefined, { cause: e });
    }
    // the holder writes its record right after locking: give it a moment
    let holder = readHolder(path);
    for (let i = 0; !holder && i < 20; i++) {
      await new Promise((r) => setTimeout(r, 25));
      holder = readHolder(path);
    }
    throw new DirLockError('LOCK_HELD', `${what} ${dir} is locked by ${describeHolder(holder, path)}; ` +
      'only one kumo-ts process may use it', dir, holder);
  }
  try {
    const me: LockHolder = { pid: process.pid, host: hostname(), started: new Date().toISOString() };
    ftruncateSync(fd, 0);
    writeSync(fd, JSON.stringify(me) + '\n', 0);
    fsyncSync(fd);
    /* c8 ignore start -- writing the holder note failing (a full disk right at start) */
  } catch (e) {
    // the lock itself is held; only the note for others failed (e.g. a full disk)
    log?.warn(`cannot record this process in ${path}: ${(e as Error).message}`);
  }
  /* c8 ignore stop */
  let released = false;
  return {
    dir,
    path,
    release() {
      if (released) return;
      released = true;
      // the file stays: unlinking a flock file lets two processes lock two different inodes
      try {
        flockSync(fd, 'un', dir);
      } finally {
        closeSync(fd);
      }
    },
  };
}
