import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { compileConfig } from '../config/compile.js';
import { formatIssue } from '../config/issues.js';
import { parseDuration } from '../config/values.js';
import { followLogs } from '../logging/log-follow.js';
import type { LogRecord } from '../logging/types.js';
import { configDir } from './config-dir.js';

interface TailOptions {
  config?: string;
  since?: string;
  follow: boolean;
  type?: string;
  queue?: string;
  domain?: string;
  id?: string;
  json?: boolean;
}

export class TailUsageError extends Error {
  readonly code = 'TAIL_USAGE';
}

/** `--since`: an RFC 3339 / ISO time, epoch seconds, or a duration back from now ("15m", "2h"). */
export function parseSince(v: string, now = Date.now()): number {
  if (/^\d{9,}$/.test(v)) return Number(v) * 1000;
  if (/^\d{4}-\d\d-\d\d/.test(v)) {
    const t = Date.parse(v);
    if (Number.isFinite(t)) return t;
  }
  try {
    return now - parseDuration(v);
  } catch {
    throw new TailUsageError(`--since "${v}": expected a time (2025-09-12T11:08:01Z), epoch seconds or a duration ("15m", "2h")`);
  }
}

/** The record filter of `--type/--queue/--domain/--id` (all given must match). */
export function recordFilter(o: Pick<TailOptions, 'type' | 'queue' | 'domain' | 'id'>): (r: LogRecord) => boolean {
  const types = o.type ? new Set(o.type.split(',').map((t) => t.trim().toLowerCase()).filter(Boolean)) : undefined;
  const domain = o.domain?.toLowerCase().replace(/^@/, '');
  return (r) => {
    if (types && !types.has(String(r.type).toLowerCase())) return false;
    if (o.queue !== undefined && r.queue !== o.queue) return false;
    if (o.id !== undefined && r.id !== o.id) return false;
    if (domain !== undefined) {
      const rcpts = Array.isArray(r.recipient) ? r.recipient : [r.recipient];
      if (!rcpts.some((a) => String(a).toLowerCase().endsWith(`@${domain}`))) return false;
    }
    return true;
  };
}

/** One line for a person: time, type, id, envelope, queue and site, the response. */
export function formatRecord(r: LogRecord): string {
  const e = r.response?.enhanced_code;
  const resp = `${r.response?.code ?? ''}${e ? ` ${e.class}.${e.subject}.${e.detail}` : ''} ${r.response?.content ?? ''}`.trim();
  const rcpt = Array.isArray(r.recipient) ? r.recipient.join(',') : r.recipient;
  const where = [r.queue ? `queue=${r.queue}` : '', r.site ? `site=${r.site}` : '', r.num_attempts ? `attempts=${r.num_attempts}` : ''].filter(Boolean).join(' ');
  const time = r.event_time ?? new Date((r.timestamp ?? 0) * 1000).toISOString();
  return `${time} ${String(r.type).padEnd(16)} ${r.id || '-'} <${r.sender}> -> <${rcpt}>${where ? ` ${where}` : ''} ${resp}`.trimEnd();
}

/** `kumo-ts tail [dir]`: log records as they are written, across rotations (gzipped files included). */
export function registerTail(program: Command): void {
  program
    .command('tail')
    .description('Follow the log records (across rotations; --since reads the gzipped history too), with filters')
    .argument('[dir]', 'log directory (default: [logs] path of the config)')
    .option('-c, --config <dir>', 'config root (default ./config or $KUMO_TS_CONFIG)')
    .option('--since <when>', 'start from this time: RFC 3339, epoch seconds, or a duration back from now ("1h")')
    .option('--no-follow', 'print the history and exit')
    .option('--type <types>', 'only these record types (comma-separated, e.g. Bounce,TransientFailure)')
    .option('--queue <name>', 'only records of this queue')
    .option('--domain <domain>', 'only records whose recipient is at this domain')
    .option('--id <id>', 'only records of this message id')
    .option('--json', 'print the records as written (JSON lines)')
    .action(async (dirArg: string | undefined, opts: TailOptions) => {
      let dir = dirArg;
      if (!dir) {
        const res = await compileConfig({ root: configDir(opts.config).dir });
        if (!res.ok) {
          for (const i of res.issues) process.stderr.write(formatIssue(i) + '\n');
          process.exitCode = 1;
          return;
        }
        dir = res.snapshot.main.logs.path;
      }
      let sinceMs: number | undefined;
      try {
        sinceMs = opts.since !== undefined ? parseSince(opts.since) : undefined;
      } catch (e) {
        process.stderr.write(`kumo-ts tail: ${(e as Error).message}\n`);
        process.exitCode = 2;
        return;
      }
      if (!existsSync(dir)) {
        process.stderr.write(`kumo-ts tail: ${dir}: no such directory${opts.follow ? ' (waiting for it)' : ''}\n`);
        if (!opts.follow) {
          process.exitCode = 1;
          return;
        }
      }
      const keep = recordFilter(opts);
      const ac = new AbortController();
      const stop = () => ac.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      process.stdout.on('error', stop); // a closed pipe (| head) ends the tail
      await followLogs({
        dir,
        sinceMs,
        follow: opts.follow,
        signal: ac.signal,
        onError: (m) => process.stderr.write(`kumo-ts tail: ${m}\n`),
        onLine: (line, where) => {
          let r: LogRecord;
          try {
            r = JSON.parse(line) as LogRecord;
          } catch {
            process.stderr.write(`kumo-ts tail: ${where.file}:${where.line}: not a JSON record, skipped\n`);
            return;
          }
          if (sinceMs !== undefined && recordTime(r) < sinceMs) return;
          if (!keep(r)) return;
          process.stdout.write((opts.json ? line : formatRecord(r)) + '\n');
        },
      });
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    });
}

function recordTime(r: LogRecord): number {
  const t = typeof r.event_time === 'string' ? Date.parse(r.event_time) : NaN;
  return Number.isFinite(t) ? t : (Number(r.timestamp) || 0) * 1000;
}
