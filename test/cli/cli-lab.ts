// A real `kumo-ts serve` for the CLI tests: SMTP and HTTP on loopback, a static zone whose MX
// is a closed loopback port (every delivery fails transiently, so mail stays queued), and a
// runner of `bin/kumo-ts <command>` as a child process.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { freePort, inject, labConfig, startLabServer, tagged } from '../queue/lab.js';
import type { ServerProcess } from '../helpers/server-process.js';

export const BIN = join(PACKAGE_ROOT, 'bin', 'kumo-ts');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `kumo-ts ...args` (stdout is a pipe, not a TTY) and collects its output. */
export function runCli(args: string[], opts: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...process.env, ...opts.env }, cwd: opts.cwd, timeout: opts.timeoutMs ?? 60_000, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        const code = err ? ((err as { code?: number | string }).code as number | null) : 0;
        resolve({ code: typeof code === 'number' ? code : null, stdout, stderr });
      });
  });
}

/** JSON of a successful `--json` run; fails with the command's stderr otherwise. */
export function jsonOf<T>(r: CliResult): T {
  if (r.code !== 0) throw new Error(`exit ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

export interface CliLab {
  dir: string;
  configDir: string;
  endpoint: string;
  smtpPort: number;
  readonly kumo: ServerProcess;
  /** writes a file under the lab dir; returns its path */
  write(rel: string, text: string): string;
  /** stops the server (SIGTERM) and starts it again on the same config and spool */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** sends `n` messages to u<i>@<domain> over SMTP (4 sessions); resolves when all got 250 */
  send(domain: string, n: number, headers?: string): Promise<void>;
  cleanup(): Promise<void>;
}

export const DOMAINS = ['blackhole.test', 'void.test', 'nowhere.test'];

export async function startCliLab(extraMain = ''): Promise<CliLab> {
  const closedPort = await freePort(); // nothing listens there: connect refused, mail stays queued
  const smtpPort = await freePort();
  const httpPort = await freePort();
  const zone = DOMAINS.map((d) => `["${d}"]\nmx = ["10 mx.${d}"]\n["mx.${d}"]\na = ["127.0.0.1"]\n`).join('');
  const lab = labConfig({ smtpPort, sinkPort: closedPort, httpPort, zone, main: extraMain });
  let seq = 0;
  let kumo = await startLabServer(lab.dir);
  return {
    dir: lab.dir,
    configDir: join(lab.dir, 'config'),
    endpoint: `http://127.0.0.1:${httpPort}`,
    smtpPort,
    write: lab.write,
    get kumo() {
      return kumo;
    },
    async stop() {
      await kumo.stop('SIGTERM');
    },
    async start() {
      kumo = await startLabServer(lab.dir);
    },
    async send(domain, n, headers = '') {
      const msgs = Array.from({ length: n }, (_, i) => ({ from: 'sender@kumo.test', to: [`u${seq + i}@${domain}`], data: tagged(seq + i, headers) }));
      seq += n;
      const ok = await inject(smtpPort, msgs, 4);
      if (ok.size !== n) throw new Error(`only ${ok.size}/${n} messages accepted`);
    },
    async cleanup() {
      await kumo.stop('SIGKILL');
      lab.cleanup();
    },
  };
}

/** Polls `probe` until it returns a value (not undefined); rejects after `timeoutMs` with the last reason. */
export async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const t0 = Date.now();
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
