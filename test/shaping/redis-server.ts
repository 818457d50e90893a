import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';

/** true when a redis-server binary is on PATH (tests using it skip cleanly otherwise). */
export const HAVE_REDIS = spawnSync('redis-server', ['--version']).status === 0;

import { freePort } from '../helpers/ports.js';
export { freePort };

export interface RedisProcess {
  port: number;
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts a throw-away redis-server on 127.0.0.1 (no persistence) and waits until it is ready. */
export async function startRedis(port?: number): Promise<RedisProcess> {
  const p = port ?? (await freePort());
  const child = spawn('redis-server', ['--port', String(p), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const t = setTimeout(() => reject(new Error(`redis-server did not start: ${out}`)), 10_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Ready to accept connections')) {
        clearTimeout(t);
        resolve();
      }
    });
    child.on('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`redis-server exited (${code}): ${out}`));
    });
  });
  child.stdout!.resume();
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  return {
    port: p,
    url: `redis://127.0.0.1:${p}`,
    child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
