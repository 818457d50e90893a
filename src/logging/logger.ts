/**
 * The process log (diagnostics, not log records): one JSON object per line on stderr,
 * so it is readable by people and by log shippers alike.
 */
export type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
  /** Changes the level of this logger, its root and every child of the root (live, from the admin API). */
  setLevel?(level: Level): void;
}

/** The level shared by a root logger and all its children. */
interface LevelCell {
  min: number;
}

export function createLogger(
  opts: { level?: Level; out?: (line: string) => void; base?: Record<string, unknown> } = {},
  cell: LevelCell = { min: ORDER[opts.level ?? ((process.env.KUMO_TS_LOG_LEVEL as Level) || 'info')] ?? 20 },
): Logger {
  const out = opts.out ?? ((l: string) => process.stderr.write(l + '\n'));
  const base = opts.base ?? {};
  const emit = (level: Level, msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[level] < cell.min) return;
    out(JSON.stringify({ ts: new Date().toISOString(), level, msg, ...base, ...fields }));
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (f) => createLogger({ ...opts, base: { ...base, ...f } }, cell),
    setLevel: (level) => {
      cell.min = ORDER[level];
    },
  };
}

const FILTER_LEVELS: Record<string, Level> = { trace: 'debug', debug: 'debug', info: 'info', warn: 'warn', warning: 'warn', error: 'error', off: 'error' };

/**
 * The level a KumoMTA diagnostic filter asks for (`info`, `kumod=debug`,
 * `kumod=trace,kumo_server_common=info`): the directive for kumod (or kumo_ts / kumo-ts), else
 * the one without a target; trace maps to debug, off to error. Undefined when none is usable.
 */
export function levelFromFilter(filter: string): Level | undefined {
  let global: Level | undefined;
  let ours: Level | undefined;
  for (const d of filter.split(',').map((x) => x.trim().toLowerCase()).filter(Boolean)) {
    const eq = d.indexOf('=');
    if (eq < 0) {
      if (FILTER_LEVELS[d]) global = FILTER_LEVELS[d];
      continue;
    }
    const target = d.slice(0, eq).trim();
    const lvl = FILTER_LEVELS[d.slice(eq + 1).trim()];
    if (lvl && ['kumod', 'kumo_ts', 'kumo-ts'].includes(target)) ours = lvl;
  }
  return ours ?? global;
}
