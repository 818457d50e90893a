import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { coverageEnv, killAfterCoverage, trackCoverage } from './coverage-kill.js';

export interface ServerProcess {
  child: ChildProcess;
  /** every process-log line parsed as JSON (non-JSON lines as {msg}) */
  lines: Record<string, unknown>[];
  waitFor(pred: (l: Record<string, unknown>) => boolean, timeoutMs?: number, what?: string): Promise<Record<string, unknown>>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Every server child still running. A test that fails before it could stop its server (its
 * start timed out in a `before`, so the after hook has nothing to stop) would otherwise leave
 * the child holding the test file's event loop open for ever: the runner exits the file
 * (--test-force-exit, scripts/run-tests.mjs) and this kills what is left.
 */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of running) c.kill('SIGKILL');
});

/** Runs `bin/kumo-ts <args>` as a real child process and collects its JSON log lines. */
export function startKumo(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): ServerProcess {
  const child = trackCoverage(spawn(process.execPath, [join(PACKAGE_ROOT, 'bin', 'kumo-ts'), ...args], {
    cwd: opts.cwd,
    env: coverageEnv({ ...process.env, ...opts.env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  }));
  running.add(child);
  child.once('exit', () => running.delete(child));
  const lines: Record<string, unknown>[] = [];
  const waiters = new Set<() => void>();
  let buf = '';
  const onData = (d: Buffer) => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (!line.trim()) continue;
      try {
        lines.push(JSON.parse(line));
      } catch {
        lines.push({ msg: line });
      }
      for (const w of waiters) w();
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  return {
    child,
    lines,
    waitFor(pred, timeoutMs = 10_000, what = 'log line') {
      return new Promise((resolve, reject) => {
        let seen = 0;
        const check = () => {
          for (; seen < lines.length; seen++) {
            if (pred(lines[seen])) {
              cleanup();
              resolve(lines[seen]);
              return;
            }
          }
        };
        const t = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; log:\n${lines.map((l) => JSON.stringify(l)).join('\n')}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(t);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
        exited.then(() => {
          if (waiters.has(check)) {
            check();
            if (waiters.has(check)) {
              cleanup();
              reject(new Error(`process exited while waiting for ${what}; log:\n${lines.map((l) => JSON.stringify(l)).join('\n')}`));
            }
          }
        });
      });
    },
    async stop(signal = 'SIGTERM') {
      if (signal === 'SIGKILL') await killAfterCoverage(child);
      else if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
  };
}
