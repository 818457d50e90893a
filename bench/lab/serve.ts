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
export async function startServe(opts: { conf: string; cwd: string; port: number; cpuProfDir?: string; nodeArgs?: string[] }): Promise<ChildProcess> {
  const node = [...(opts.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${resolve(opts.cpuProfDir)}`] : []), ...(opts.nodeArgs ?? [])];
  const child = spawn(process.execPath, [...node, BIN, 'serve', '-c', opts.conf], {
    cwd: opts.cwd,
    stdio: ['ignore', opts.nodeArgs?.length ? 'inherit' : 'ignore', 'pipe'],
    env: { ...process.env, KUMO_TS_LOG_LEVEL: 'warn' },
  });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const t0 = Date.now();
  for (;;) {
    if (await portUp(opts.port)) return child;
    if (child.exitCode !== null || Date.now() - t0 > 30_000) throw new Error(`kumo-ts did not start:\n${err}`);
    await sleep(100);
  }
}
