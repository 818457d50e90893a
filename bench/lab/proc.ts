// What the benches read about a process from Linux /proc (CPU seconds, memory), and stopping
// a child and waiting for it.
import { spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** /proc/PID/stat fields after the command name (fields[0] is the state, field 3 of stat(5)). */
function statFields(pid: number | undefined): string[] {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return f.slice(f.lastIndexOf(')') + 2).split(' ');
}

/**
 * CPU seconds used so far by a process (utime + stime), NaN when it cannot be read. With
 * `children`, also the CPU of its children that exited and were waited for (cutime + cstime).
 */
export function cpuSeconds(pid: number | undefined, opts: { children?: boolean } = {}): number {
  try {
    const f = statFields(pid);
    const ticks = Number(f[11]) + Number(f[12]) + (opts.children ? Number(f[13]) + Number(f[14]) : 0);
    return ticks / 100;
  } catch {
    return NaN;
  }
}

/** The sum of cpuSeconds (with children unless told) over processes; the ones gone count nothing. */
export function cpuSecondsOf(pids: number[], children = true): number {
  let t = 0;
  for (const pid of pids) {
    const s = cpuSeconds(pid, { children });
    if (!Number.isNaN(s)) t += s;
  }
  return t;
}

/** The pids of a process's live children (kumo-ts's reception workers), by pgrep -P. */
export function childPids(pid: number | undefined): number[] {
  if (pid === undefined) return [];
  return spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map(Number);
}

/** Memory of a process in bytes (VmRSS, VmHWM, RssAnon, RssFile + RssShmem); throws once it is gone. */
export function memoryStatus(pid: number): { rss: number; hwm: number; anon: number; file: number } {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM'), anon: kb('RssAnon'), file: kb('RssFile') + kb('RssShmem') };
}

/** Resolves when the child has exited; with `killAfterMs`, SIGKILL for one still there after that long. */
export function waitExit(child: ChildProcess, killAfterMs?: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((res) => {
    const t = killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.once('exit', () => {
      clearTimeout(t);
      res();
    });
  });
}

/** Sends SIGTERM and resolves with the ms until the child exited (see waitExit for `killAfterMs`). */
export async function stopChild(child: ChildProcess, killAfterMs?: number): Promise<number> {
  const t0 = Date.now();
  const exited = waitExit(child, killAfterMs);
  child.kill('SIGTERM');
  await exited;
  return Date.now() - t0;
}

/** Records in a logs directory (plain .jsonl files) counted by type. */
export function recordCounts(dir: string): Record<string, number> {
  const out: Record<string, number> = {};
  if (!existsSync(dir)) return out;
  for (const f of readdirSync(dir)) {
    if (!f.endsWith('.jsonl')) continue;
    for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
      if (!line) continue;
      const type = String((JSON.parse(line) as { type?: unknown }).type);
      out[type] = (out[type] ?? 0) + 1;
    }
  }
  return out;
}
