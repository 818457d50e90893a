// Helpers of the admin API end-to-end tests: `kumo-ts sink --maildir` child processes as
// destinations, and a small JSON client (undici) for the API.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { PACKAGE_ROOT } from '../../src/paths.js';

export interface SinkProcess {
  readonly host: string;
  readonly port: number;
  readonly maildir: string;
  /** messages stored in the maildir so far */
  count(): number;
  /** the stored messages */
  messages(): string[];
  stop(): Promise<void>;
}

/** Runs `kumo-ts sink --maildir DIR --json` on host:port (port 0: any) and waits until it listens. */
export function startSinkProcess(host: string, port: number, maildir: string): Promise<SinkProcess> {
  const child: ChildProcess = spawn(process.execPath, [join(PACKAGE_ROOT, 'bin', 'kumo-ts'), 'sink', '--listen', `${host}:${port}`, '--maildir', maildir, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  const newDir = join(maildir, 'new');
  const list = () => (existsSync(newDir) ? readdirSync(newDir) : []);
  return new Promise((resolve, reject) => {
    let buf = '';
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.once('exit', (code) => reject(new Error(`sink on ${host}:${port} exited (${code}): ${err}`)));
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const line = buf.split('\n').find((l) => l.includes('"listening"'));
      if (!line) return;
      const ev = JSON.parse(line) as { port: number };
      resolve({
        host,
        port: ev.port,
        maildir,
        count: () => list().length,
        messages: () => list().map((f) => readFileSync(join(newDir, f), 'utf8')),
        async stop() {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          const t = setTimeout(() => child.kill('SIGKILL'), 5_000);
          await exited;
          clearTimeout(t);
        },
      });
    });
  });
}

/** Sinks on each of `hosts`, all on one port (the egress source's remote_port). */
export async function sinkProcessesOnOnePort(hosts: string[], dir: string): Promise<SinkProcess[]> {
  const first = await startSinkProcess(hosts[0], 0, join(dir, `maildir-${hosts[0]}`));
  const out = [first];
  for (const h of hosts.slice(1)) out.push(await startSinkProcess(h, first.port, join(dir, `maildir-${h}`)));
  return out;
}

export interface ApiAnswer<T = unknown> {
  status: number;
  body: T;
}

/** A JSON request to the API at `base`. */
export async function api<T = any>(base: string, method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<ApiAnswer<T>> {
  const res = await request(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.body.text();
  return { status: res.statusCode, body: (text ? JSON.parse(text) : undefined) as T };
}

/** Polls `f` until it returns a value that `pred` accepts. */
export async function pollUntil<T>(f: () => Promise<T> | T, pred: (v: T) => boolean, timeoutMs: number, what: string): Promise<T> {
  const t0 = Date.now();
  let last: T | undefined;
  for (;;) {
    last = await f();
    if (pred(last)) return last;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${JSON.stringify(last)?.slice(0, 2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The metadata records in the spool of a running kumo-ts (LMDB allows readers in other processes). */
export async function spooledMetas(spoolDir: string): Promise<Record<string, unknown>[]> {
  const { open } = await import('lmdb');
  const env = open({ path: spoolDir, readOnly: true, maxDbs: 4, compression: false });
  try {
    const db = env.openDB<unknown, string>({ name: 'meta', encoding: 'msgpack' });
    return [...db.getRange()].map((e) => e.value as Record<string, unknown>);
  } finally {
    void env.close();
  }
}
