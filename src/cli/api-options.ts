// The options every API command shares (--endpoint, credentials, --ca, --json), the endpoint
// taken from the config's HTTP listener, and the error → exit code wrapper.
import type { Command } from 'commander';
import { findMainFile } from '../config/compile.js';
import { loadSourceFile } from '../config/source-file.js';
import { parseDuration } from '../config/values.js';
import { configDir } from './config-dir.js';
import { ApiClient, CliError, EXIT, UsageError } from './api-client.js';
import type { ApiAuth } from './api-client.js';

export interface ApiOpts {
  endpoint?: string;
  config?: string;
  user?: string;
  password?: string;
  token?: string;
  ca?: string;
  json?: boolean;
}

export const DEFAULT_ENDPOINT = 'http://127.0.0.1:8000';

/** Adds the shared options to an API command. */
export function apiCommand(cmd: Command): Command {
  return cmd
    .option('--endpoint <url>', `API address, http(s)://HOST:PORT (default: [http] listen of the config, else ${DEFAULT_ENDPOINT})`)
    .option('-c, --config <dir>', 'config root to read the HTTP listener from (default ./config or $KUMO_TS_CONFIG)')
    .option('--user <name>', 'HTTP Basic user name')
    .option('--password <secret>', 'HTTP Basic password (or $KUMO_TS_API_PASSWORD)')
    .option('--token <token>', 'Bearer token (or $KUMO_TS_API_TOKEN)')
    .option('--ca <file>', 'PEM CA certificate(s) to verify an https endpoint')
    .option('--json', 'print the raw JSON answer (for scripts)')
    // usage errors (unknown option, missing argument) exit 2, as documented; --help exits 0
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : EXIT.usage));
}

function wildcardToLoopback(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::' || host === '[::]') return '::1';
  return host;
}

function hostPortUrl(listen: string, tls: boolean): string | undefined {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(listen) ?? /^([^:]*):(\d+)$/.exec(listen);
  if (!m) return undefined;
  const host = wildcardToLoopback(m[1]);
  return `${tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${m[2]}`;
}

/**
 * The endpoint of the config's default HTTP listener: `[http] listen` (127.0.0.1:8000 when
 * absent), else — when [http] is disabled — the first enabled `[http.listener.NAME]`; https
 * when that listener has `tls`. Reads the main file as written (not compiled), so a config
 * with unrelated errors still gives the address; undefined when no main file can be read.
 */
export function endpointFromConfig(dirOpt?: string): string | undefined {
  const { dir } = configDir(dirOpt);
  const mains = findMainFile(dir);
  if (mains.length !== 1) return undefined;
  const loaded = loadSourceFile(mains[0]);
  if (!loaded.ok) return undefined;
  const http = (loaded.file.data as Record<string, unknown>).http;
  if (http === undefined) return DEFAULT_ENDPOINT;
  if (!http || typeof http !== 'object') return undefined;
  const h = http as Record<string, unknown>;
  const port = new URL(DEFAULT_ENDPOINT).port;
  if (h.enabled !== false) return hostPortUrl(typeof h.listen === 'string' ? h.listen : `127.0.0.1:${port}`, !!h.tls);
  const named = h.listener && typeof h.listener === 'object' ? Object.values(h.listener as Record<string, unknown>) : [];
  for (const v of named) {
    const l = (v ?? {}) as Record<string, unknown>;
    if (l.enabled !== false && typeof l.listen === 'string') return hostPortUrl(l.listen, !!l.tls);
  }
  return undefined;
}

export function authFrom(o: ApiOpts): ApiAuth {
  const token = o.token ?? process.env.KUMO_TS_API_TOKEN;
  if (o.user !== undefined) {
    if (o.token !== undefined) throw new UsageError('give either --user/--password (Basic) or --token (Bearer), not both');
    const password = o.password ?? process.env.KUMO_TS_API_PASSWORD;
    if (password === undefined) throw new UsageError('--user needs --password (or $KUMO_TS_API_PASSWORD)');
    return { kind: 'basic', user: o.user, password };
  }
  if (o.password !== undefined) throw new UsageError('--password needs --user');
  if (token) return { kind: 'bearer', token };
  return { kind: 'none' };
}

export function clientFrom(o: ApiOpts, extra: { timeoutMs?: number } = {}): ApiClient {
  const endpoint = o.endpoint ?? endpointFromConfig(o.config) ?? DEFAULT_ENDPOINT;
  return new ApiClient({ endpoint, auth: authFrom(o), caFile: o.ca, timeoutMs: extra.timeoutMs });
}

/** Runs a command body: a CliError prints one line `kumo-ts: …` and sets its exit code. */
export function run<A extends unknown[]>(body: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await body(...args);
    } catch (e) {
      if (!(e instanceof CliError)) throw e;
      process.stderr.write(`kumo-ts: ${e.message}\n`);
      process.exitCode = e.exitCode;
    }
  };
}

/** Checks a --duration value as the server will parse it (usage error when malformed). */
export function checkDuration(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  try {
    parseDuration(v);
  } catch (e) {
    throw new UsageError(`--duration: ${(e as Error).message}`);
  }
  return v;
}

/** Writes JSON for machines. */
export function printJson(v: unknown): void {
  process.stdout.write(JSON.stringify(v, null, 2) + '\n');
}
