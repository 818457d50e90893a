import type { EventEmitter } from 'node:events';
import { Counter } from 'prom-client';
import { metricsRegistry } from './http/metrics.js';
import { createLogger } from './logging/logger.js';
import type { Logger } from './logging/logger.js';

export interface ProcessGuardOptions {
  log?: Logger;
  /** the emitter of 'unhandledRejection' / 'uncaughtException' (default: process) */
  proc?: EventEmitter;
  /** how a fatal error ends the process (default: process.exit) */
  exit?: (code: number) => void;
  /** the same error from the same place is logged at most once per interval (ms, default 60 s) */
  intervalMs?: number;
}

/** Errors that mean the code is wrong, not the world: the state after one is not to be trusted. */
const PROGRAMMER_ERRORS = new Set(['TypeError', 'ReferenceError', 'SyntaxError', 'EvalError', 'URIError']);

let strayCounter: Counter<'kind' | 'fatal'> | undefined;

/**
 * The process-wide last line of defence (installed by `serve`). A stray rejection or a thrown
 * operational error (I/O, network, a library's internal promise nobody awaited) is logged with
 * its origin, its stack, and the process keeps serving: every message that got a 250 is on
 * disk, and the subsystem that failed reports and recovers on its own. The same error from the
 * same place is logged once per interval with a count, so a failing disk cannot flood the log.
 *
 * Programmer errors stay visible: they are logged at error level with `programmer_error: true`
 * and their full stack, never throttled to silence; an *uncaught exception* of that kind
 * (TypeError, ReferenceError...) leaves the code in an unknown state, so it ends the process
 * (exit 70) after the log line, for the supervisor to restart it on its intact spool.
 */
export function installProcessGuard(opts: ProcessGuardOptions = {}): () => void {
  const proc = opts.proc ?? process;
  const log = opts.log ?? createLogger({ base: { subsystem: 'process' } });
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  const interval = opts.intervalMs ?? 60_000;
  strayCounter ??= new Counter({
    name: 'kumo_ts_stray_errors_total',
    help: 'Unhandled rejections and uncaught exceptions caught by the process guard',
    labelNames: ['kind', 'fatal'] as const,
    registers: [metricsRegistry()],
  });
  const counter = strayCounter;
  const seen = new Map<string, { at: number; suppressed: number }>();

  const report = (kind: 'unhandledRejection' | 'uncaughtException', err: unknown): void => {
    const e = describe(err);
    const fatal = kind === 'uncaughtException' && e.programmer;
    counter.inc({ kind, fatal: String(fatal) });
    const key = `${kind}|${e.name}|${e.message}|${e.origin}`;
    const now = Date.now();
    const prev = seen.get(key);
    if (!fatal && prev && now - prev.at < interval) {
      prev.suppressed++;
      return;
    }
    seen.set(key, { at: now, suppressed: 0 });
    if (seen.size > 1000) seen.delete(seen.keys().next().value!);
    const what = kind === 'unhandledRejection' ? 'unhandled promise rejection' : 'uncaught exception';
    log.error(fatal ? `${what} (programmer error): exiting` : `${what}; the process keeps running`, {
      error: e.message,
      error_name: e.name,
      ...(e.code !== undefined ? { error_code: e.code } : {}),
      origin: e.origin,
      stack: e.stack,
      ...(e.programmer ? { programmer_error: true } : {}),
      ...(prev?.suppressed ? { repeated: prev.suppressed } : {}),
    });
    if (fatal) exit(70);
  };
  const onRejection = (reason: unknown) => report('unhandledRejection', reason);
  const onException = (err: unknown) => report('uncaughtException', err);
  proc.on('unhandledRejection', onRejection);
  proc.on('uncaughtException', onException);
  return () => {
    proc.off('unhandledRejection', onRejection);
    proc.off('uncaughtException', onException);
  };
}

interface Described {
  name: string;
  message: string;
  code?: string | number;
  /** the first stack frame outside node's internals: where it came from */
  origin: string;
  stack?: string;
  programmer: boolean;
}

function describe(err: unknown): Described {
  if (!(err instanceof Error)) {
    // a rejection with a non-Error value carries no stack: say what it was
    return { name: typeof err, message: safeString(err), origin: 'unknown (not an Error, no stack)', programmer: false };
  }
  const code = (err as { code?: unknown }).code;
  const frames = (err.stack ?? '').split('\n').filter((l) => /^\s+at /.test(l)).map((l) => l.trim().slice(3));
  const origin = frames.find((f) => !f.includes('node:internal') && !f.startsWith('process.processTicksAndRejections')) ?? frames[0] ?? 'unknown';
  return {
    name: err.name,
    message: err.message,
    ...(typeof code === 'string' || typeof code === 'number' ? { code } : {}),
    origin,
    stack: err.stack,
    // node's argument errors are bugs too; undici's TypeError('fetch failed') has a cause: network
    programmer: PROGRAMMER_ERRORS.has(err.name) && err.cause === undefined && (code === undefined || /^ERR_(INVALID_|MISSING_|OUT_OF_RANGE)/.test(String(code))),
  };
}

function safeString(v: unknown): string {
  try {
    return typeof v === 'string' ? v : JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
