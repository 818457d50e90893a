// The benches' `kumo-ts serve`: a temp config root and `serve` on it. The spool and the logs
// live outside the config root (ROOT/data, the config in ROOT/config): the config monitor
// watches everything under the config root. DNS is a static zone: nothing leaves loopback.
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServe } from './serve.js';
import { stopChild } from './proc.js';

export interface BenchConfigOptions {
  /** the temp root is kumo-bench-NAME-XXXXXX */
  name: string;
  /** [listener.smtp] on 127.0.0.1:port; none: `[server] smtp = false` */
  smtp?: { port: number; maxMessagesPerConnection?: number; maxMessageSize?: string };
  /** the HTTP API on 127.0.0.1:port; none: HTTP disabled */
  httpPort?: number;
  /** more [server] keys (TOML lines) */
  server?: string;
  /** the static zone (zone.toml) */
  zone?: string;
  /** dns.allow_loopback_destinations: MX answers may point at 127.0.0.1 */
  allowLoopback?: boolean;
  /** more kumo.toml text (other tables), at the end */
  extra?: string;
  /** other files of the config root: queues.toml, shaping.toml, sources.toml, dkim.toml, ... */
  files?: Record<string, string>;
}

export interface BenchConfig {
  root: string;
  conf: string;
  cleanup(): void;
}

export function writeBenchConfig(o: BenchConfigOptions): BenchConfig {
  const root = mkdtempSync(join(tmpdir(), `kumo-bench-${o.name}-`));
  const conf = join(root, 'config');
  mkdirSync(conf);
  const server = [...(o.smtp ? [] : ['smtp = false']), ...(o.server ? [o.server.trim()] : [])];
  const listener = o.smtp ? [
    '[listener.smtp]',
    `listen = "127.0.0.1:${o.smtp.port}"`,
    ...(o.smtp.maxMessagesPerConnection ? [`max_messages_per_connection = ${o.smtp.maxMessagesPerConnection}`] : []),
    ...(o.smtp.maxMessageSize ? [`max_message_size = "${o.smtp.maxMessageSize}"`] : []),
  ] : [];
  writeFileSync(join(conf, 'kumo.toml'), [
    ...(server.length ? ['[server]', ...server] : []),
    '[http]',
    o.httpPort ? `listen = "127.0.0.1:${o.httpPort}"` : 'enabled = false',
    '[spool]',
    `path = ${JSON.stringify(join(root, 'data/spool'))}`,
    '[logs]',
    `path = ${JSON.stringify(join(root, 'data/logs'))}`,
    '[dns]',
    'mode = "static"',
    'zone_file = "zone.toml"',
    ...(o.allowLoopback ? ['allow_loopback_destinations = true'] : []),
    ...listener,
    ...(o.extra ? [o.extra.trim()] : []),
    '',
  ].join('\n'));
  writeFileSync(join(conf, 'zone.toml'), o.zone ?? '');
  for (const [name, text] of Object.entries(o.files ?? {})) writeFileSync(join(conf, name), text);
  return { root, conf, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/** bench.test with its MX mx.bench.test at 127.0.0.1 (relayed by MX: needs allowLoopback and sinkSource). */
export const BENCH_MX_ZONE = '["bench.test"]\nmx = ["10 mx.bench.test"]\n["mx.bench.test"]\na = ["127.0.0.1"]\n';
/** Only mx.bench.test: for domains routed by mxListQueue, where nothing is resolved. */
export const SINK_HOST_ZONE = '["mx.bench.test"]\na = ["127.0.0.1"]\n';

/** sources.toml: every connection out goes to `port` (the sink's) instead of 25. */
export const sinkSource = (port: number) => `[source."unspecified"]\nremote_port = ${port}\n`;

/** queues.toml: `domain` routed to the sink at 127.0.0.1:port by mx_list. */
export const mxListQueue = (domain: string, port: number) => `[queue.'${domain}']\nmx_list = [{ name = "sink.bench.test", addr = "127.0.0.1:${port}" }]\n`;

/** queues.toml: the scheduled queue releases 1 message per hour, so a bench measures reception only. */
export const HOLDING_QUEUE = '[queue.default]\nmax_message_rate = "1/h"\nmx_list = ["[127.0.0.1]:9"]\n';

/**
 * shaping.toml for a local receiver: more than the builtin defaults for internet destinations
 * (10 connections, 100 messages per connection, 100 new connections a minute).
 */
export function localShaping(domain: string, o: { mxRollup?: boolean; perConnection?: number; rate?: string } = {}): string {
  return `["${domain}"]\n${o.mxRollup === false ? 'mx_rollup = false\n' : ''}connection_limit = 20\nmax_deliveries_per_connection = ${o.perConnection ?? 100_000}\nmax_connection_rate = "${o.rate ?? '100/s'}"\n`;
}

export interface BenchKumo {
  child: ChildProcess;
  /** the SMTP port (or the HTTP one when there is no SMTP listener) */
  port: number;
  root: string;
  /** SIGTERM, wait for the exit (SIGKILL after `killAfterMs` if given), remove the temp root */
  stop(killAfterMs?: number): Promise<void>;
}

/** Writes the config and runs `kumo-ts serve` on it until `port` (SMTP, else HTTP) accepts connections. */
export async function startBenchKumo(o: BenchConfigOptions & { cpuProfDir?: string; nodeArgs?: string[] }): Promise<BenchKumo> {
  const cfg = writeBenchConfig(o);
  const port = o.smtp?.port ?? o.httpPort!;
  const child = await startServe({ conf: cfg.conf, cwd: cfg.root, port, cpuProfDir: o.cpuProfDir, ...(o.nodeArgs ? { nodeArgs: o.nodeArgs } : {}) });
  return {
    child,
    port,
    root: cfg.root,
    stop: async (killAfterMs) => {
      await stopChild(child, killAfterMs);
      cfg.cleanup();
    },
  };
}
