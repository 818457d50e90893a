// Runs `bin/kumo-ts serve` as a child process for tests, collecting its process log.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { coverageEnv, killAfterCoverage, trackCoverage } from '../helpers/coverage-kill.js';

export const BIN = fileURLToPath(new URL('../../../bin/kumo-ts', import.meta.url));

export class ServerProcess {
  readonly lines: string[] = [];
  readonly exited: Promise<number | null>;
  private partial = '';

  private constructor(readonly child: ChildProcess) {
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (d: string) => {
      const parts = (this.partial + d).split('\n');
      this.partial = parts.pop()!;
      this.lines.push(...parts);
    });
    child.stdout!.resume();
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  /** Runs in `cwd` with the config root `cwd/config` (data paths in the config resolve against cwd). */
  static async start(cwd: string, timeoutMs = 20_000): Promise<ServerProcess> {
    const child = trackCoverage(spawn(process.execPath, [BIN, 'serve', '-c', 'config'], {
      cwd,
      env: coverageEnv({ ...process.env, KUMO_TS_LOG_LEVEL: 'info' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    }));
    const p = new ServerProcess(child);
    await p.waitForLog(/"msg":"kumo-ts ready"/, timeoutMs);
    return p;
  }

  get pid(): number {
    return this.child.pid!;
  }

  async waitForLog(re: RegExp, timeoutMs = 10_000): Promise<string> {
    const end = Date.now() + timeoutMs;
    let exitCode: number | null | undefined;
    void this.exited.then((c) => (exitCode = c));
    while (Date.now() < end) {
      const hit = this.lines.find((l) => re.test(l));
      if (hit) return hit;
      if (exitCode !== undefined) throw new Error(`server exited (${exitCode}) before logging ${re}:\n${this.lines.slice(-20).join('\n')}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`server did not log ${re} within ${timeoutMs} ms:\n${this.lines.slice(-20).join('\n')}`);
  }

  async stop(): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    const t = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    const code = await this.exited;
    clearTimeout(t);
    return code;
  }

  async kill9(): Promise<number | null> {
    await killAfterCoverage(this.child);
    return this.exited;
  }
}
