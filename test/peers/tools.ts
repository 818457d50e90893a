// Running independent peers (Postfix, haproxy, microsocks, nsd, dkimpy) as real child processes
// on loopback: collect their output, wait for their port, stop them in `after` (also on failure).
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { freePort } from '../helpers/ports.js';

export { freePort };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const paths = new Map<string, string>();
/** The executable for `name`: from PATH, else /usr/sbin (Postfix, nsd and haproxy live there; PATH may lack it). */
export function toolPath(name: string): string {
  if (name.includes('/')) return name;
  let p = paths.get(name);
  if (p === undefined) {
    const r = spawnSync('sh', ['-c', 'command -v "$1"', 'sh', name], { encoding: 'utf8' });
    p = r.status === 0 && r.stdout.trim().startsWith('/') ? r.stdout.trim() : existsSync(`/usr/sbin/${name}`) ? `/usr/sbin/${name}` : name;
    paths.set(name, p);
  }
  return p;
}

/** A peer process with its stdout + stderr collected. */
export class Tool {
  output = '';
  readonly child: ChildProcess;
  private readonly exited: Promise<void>;

  constructor(readonly cmd: string, args: string[], opts: SpawnOptions = {}) {
    this.child = spawn(toolPath(cmd), args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    this.child.stdout?.on('data', (d: Buffer) => (this.output += d.toString()));
    this.child.stderr?.on('data', (d: Buffer) => (this.output += d.toString()));
    this.exited = new Promise((r) => this.child.once('exit', () => r()));
    this.child.once('error', (e) => (this.output += `\nspawn error: ${e.message}`));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Waits until the collected output matches `re`. */
  async waitFor(re: RegExp, ms = 20_000): Promise<RegExpMatchArray> {
    const end = Date.now() + ms;
    for (;;) {
      const m = this.output.match(re);
      if (m) return m;
      if (!this.running) throw new Error(`${this.cmd} exited (${this.child.exitCode}) before printing ${re}:\n${this.output.slice(-3000)}`);
      if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${re} from ${this.cmd}:\n${this.output.slice(-3000)}`);
      await sleep(50);
    }
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const t = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(t);
  }
}

/** true once something accepts TCP connections on host:port. */
export function portOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((r) => {
    const c = connect(port, host, () => {
      c.destroy();
      r(true);
    });
    c.on('error', () => r(false));
  });
}

/** Waits until host:port accepts connections; fails early when `tool` exits. */
export async function waitForPort(port: number, what: string, tool?: Tool, ms = 20_000, host = '127.0.0.1'): Promise<void> {
  const end = Date.now() + ms;
  while (!(await portOpen(port, host))) {
    if (tool && !tool.running) throw new Error(`${what} exited (${tool.child.exitCode}) before listening on ${port}:\n${tool.output.slice(-3000)}`);
    if (Date.now() > end) throw new Error(`${what} is not listening on ${host}:${port} after ${ms} ms${tool ? `:\n${tool.output.slice(-3000)}` : ''}`);
    await sleep(50);
  }
}

/**
 * Starts a peer that must be told its port up front: picks a free port and retries with another
 * one when the start fails (another test took the port between the probe and the bind).
 */
export async function onFreePort<T>(start: (port: number) => Promise<T>, attempts = 5): Promise<{ port: number; value: T }> {
  for (let i = 1; ; i++) {
    const port = await freePort();
    try {
      return { port, value: await start(port) };
    } catch (e) {
      if (i >= attempts) throw e;
    }
  }
}

/** Runs a command to completion; throws with its output when it fails. */
export function run(cmd: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {}): string {
  const r = spawnSync(toolPath(cmd), args, { encoding: 'utf8', input: opts.input, env: opts.env ?? process.env, cwd: opts.cwd, timeout: 30_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stdout}${r.stderr}${r.error ? r.error.message : ''}`);
  return r.stdout + r.stderr;
}

/** Polls `pred` until it holds. */
export async function until(pred: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(50);
  }
}

/**
 * A TCP pass-through on loopback to `targetPort` that keeps what the client sent, one entry per
 * chunk as it arrived: with PIPELINING a client's MAIL, RCPT and DATA arrive together.
 */
export async function recordingRelay(targetPort: number): Promise<{ port: number; chunks: string[]; close(): Promise<void> }> {
  const { createServer, connect: tcpConnect } = await import('node:net');
  const chunks: string[] = [];
  const sockets = new Set<import('node:net').Socket>();
  const server = createServer((client) => {
    const up = tcpConnect(targetPort, '127.0.0.1');
    sockets.add(client).add(up);
    client.on('data', (d: Buffer) => {
      chunks.push(d.toString('latin1'));
      up.write(d);
    });
    up.pipe(client);
    const end = () => {
      client.destroy();
      up.destroy();
    };
    client.on('close', end).on('error', end);
    up.on('close', end).on('error', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as import('node:net').AddressInfo).port,
    chunks,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
