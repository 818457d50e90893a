// Shared by the benches: free ports, waiting for a port, and `kumo-ts serve` started as a child
// process and waited for until its SMTP port accepts connections.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sleep } from './proc.js';

export const BIN = fileURLToPath(new URL('../../../bin/kumo-ts', import.meta.url));

export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

/** true when something accepts connections on 127.0.0.1:port now. */
export function portUp(port: number): Promise<boolean> {
  return new Promise<boolean>((res) => {
    const s = connect(port, '127.0.0.1', () => {
      s.destroy();
      res(true);
    }).once('error', () => res(false));
  });
}

/** Waits (50 ms polls, up to about 30 s) until 127.0.0.1:port accepts connections. */
export async function waitPort(port: number): Promise<void> {
  for (let i = 0; ; i++) {
    if (await portUp(port)) return;
    if (i > 600) throw new Error(`port ${port} did not open`);
    await sleep(50);
  }
}

/** Runs `kumo-ts serve -c conf` in `cwd` and resolves once `port` accepts connections. */
/** A `kumo-ts serve` child; `stderrTail()` is the end of what it logged (warnings and errors), for a bench that fails. */
export type ServeChild = ChildProcess & { stderrTail(chars?: number): string };

export async function startServe(opts: { conf: string; cwd: string; port: number; cpuProfDir?: string; nodeArgs?: string[] }): Promise<ServeChild> {
  const node = [...(opts.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${resolve(opts.cpuProfDir)}`] : []), ...(opts.nodeArgs ?? [])];
  const child = spawn(process.execPath, [...node, BIN, 'serve', '-c', opts.conf], {
    cwd: opts.cwd,
    stdio: ['ignore', opts.nodeArgs?.length ? 'inherit' : 'ignore', 'pipe'],
    env: { ...process.env, KUMO_TS_LOG_LEVEL: 'warn' },
  });
  let err = '';
  // keep the last 64 KB: a long run logs more than a bench needs to show
  child.stderr!.on('data', (d) => (err = (err + d).slice(-65_536)));
  const served = Object.assign(child, { stderrTail: (chars = 4_000) => `${err.slice(-chars)}${child.exitCode !== null || child.signalCode ? `\n(kumo-ts exited: code ${child.exitCode}, signal ${child.signalCode})` : ''}` });
  const t0 = Date.now();
  for (;;) {
    if (await portUp(opts.port)) return served;
    if (child.exitCode !== null || Date.now() - t0 > 30_000) throw new Error(`kumo-ts did not start:\n${err}`);
    await sleep(100);
  }
}
