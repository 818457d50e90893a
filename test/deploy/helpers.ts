// Helpers for deployment tests: a config root run by real `kumo-ts serve` children, the log
// records they wrote, and process exits with a time bound.
import { readdirSync, readFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { freePort } from '../helpers/ports.js';
import { tempTree } from '../helpers/tmp.js';

export interface ServeRoot {
  /** the working directory; the config root is `<dir>/config`, data under `<dir>/data` */
  dir: string;
  smtpPort: number;
  httpPort: number;
  write(rel: string, text: string): string;
  cleanup(): void;
}

/** A config root for `serve -c config` (run with cwd = dir): one listener, HTTP, static DNS. */
export async function serveRoot(opts: { listener?: string; extraMain?: string; files?: Record<string, string> } = {}): Promise<ServeRoot> {
  const smtpPort = await freePort();
  const httpPort = await freePort();
  const t = tempTree({
    'config/kumo.toml': `
[listener.smtp]
listen = "127.0.0.1:${smtpPort}"
hostname = "mx.deploy.test"
${opts.listener ?? ''}

[http]
listen = "127.0.0.1:${httpPort}"

[spool]
path = "./data/spool"

[logs]
path = "./data/logs"
compress = true

[dns]
mode = "static"
zone_file = "zone.toml"
${opts.extraMain ?? ''}
`,
    'config/zone.toml': '',
    ...opts.files,
  }, 'kumo-deploy-');
  return { dir: t.dir, smtpPort, httpPort, write: t.write, cleanup: t.cleanup };
}

/** Every log record in a log directory (active .jsonl and rotated .jsonl.gz files). */
export function readRecords(logsDir: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  let files: string[] = [];
  try {
    files = readdirSync(logsDir).sort();
  } catch {
    return out;
  }
  for (const f of files) {
    let text: string;
    if (f.endsWith('.jsonl')) text = readFileSync(join(logsDir, f), 'utf8');
    else if (f.endsWith('.jsonl.gz')) text = gunzipSync(readFileSync(join(logsDir, f))).toString('utf8');
    else continue;
    for (const line of text.split('\n')) if (line.trim()) out.push(JSON.parse(line) as Record<string, unknown>);
  }
  return out;
}

/** The exit code of a child, or undefined if it is still running after `timeoutMs`. */
export function exitWithin(child: ChildProcess, timeoutMs: number): Promise<number | null | undefined> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(undefined), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(t);
      resolve(code);
    });
  });
}

export const isReady = (l: Record<string, unknown>) => l.msg === 'kumo-ts ready';
