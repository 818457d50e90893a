/**
 * A message's delivery schedule, KumoMTA's `set_scheduling` / `import_scheduling_header`
 * (read at reception from the queues.toml `scheduling_header`, e.g. `X-Schedule`):
 *  - `first_attempt` (RFC 3339): no attempt before then;
 *  - `expires` (RFC 3339): expired (an Expiration record) once the next attempt would be at or
 *    after it, instead of the queue's max_age;
 *  - `dow` + `tz` + `start` + `end` (all four or none): attempts only inside that window of
 *    those days, in that IANA time zone; a retry that falls outside moves to the next start.
 */
export interface Schedule {
  /** epoch ms */
  readonly firstAttempt?: number;
  /** epoch ms */
  readonly expires?: number;
  readonly window?: DeliveryWindow;
}

export interface DeliveryWindow {
  /** allowed days, 0 = Sunday (as Date.getUTCDay) */
  readonly dow: readonly number[];
  readonly tz: string;
  /** seconds after local midnight; start < end */
  readonly start: number;
  readonly end: number;
}

/** How a schedule rides in SpoolMeta.extra.schedule (msgpack): plain numbers and strings. */
export interface StoredSchedule {
  expires?: number;
  dow?: number[];
  tz?: string;
  start?: number;
  end?: number;
}

export class ScheduleError extends Error {
  readonly code = 'SCHEDULE_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'ScheduleError';
  }
}

const DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const FIELDS = new Set(['first_attempt', 'expires', 'dow', 'tz', 'start', 'end']);
const WINDOW_FIELDS = ['dow', 'tz', 'start', 'end'] as const;
/** RFC 3339 date-time: a date, T (or a space), a time, an offset or Z */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;

/** Parses a scheduling header's JSON; throws a ScheduleError naming the field at fault. */
export function parseSchedule(text: string): Schedule {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new ScheduleError(`not JSON: ${(e as Error).message}`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ScheduleError('not a JSON object');
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!FIELDS.has(k)) throw new ScheduleError(`unknown field "${k}" (known: ${[...FIELDS].join(', ')})`);
  const out: { firstAttempt?: number; expires?: number; window?: DeliveryWindow } = {};
  if (o.first_attempt !== undefined) out.firstAttempt = dateTime(o.first_attempt, 'first_attempt');
  if (o.expires !== undefined) out.expires = dateTime(o.expires, 'expires');
  const given = WINDOW_FIELDS.filter((k) => o[k] !== undefined);
  if (given.length && given.length < WINDOW_FIELDS.length)
    throw new ScheduleError(`dow, tz, start and end go together: ${WINDOW_FIELDS.filter((k) => o[k] === undefined).join(', ')} missing`);
  if (given.length) {
    const tz = str(o.tz, 'tz');
    if (!ianaZone(tz)) throw new ScheduleError(`tz: "${tz}" is not an IANA time zone name (e.g. "America/Phoenix"; abbreviations such as PST are ambiguous)`);
    const start = timeOfDay(o.start, 'start');
    const end = timeOfDay(o.end, 'end');
    if (end <= start) throw new ScheduleError(`end (${String(o.end)}) must be after start (${String(o.start)})`);
    out.window = { dow: days(str(o.dow, 'dow')), tz, start, end };
  }
  return out;
}

/**
 * An IANA zone name: Area/Location (or an alias of one), UTC/GMT, or a POSIX-style legacy name
 * such as EST5EDT. ICU also takes bare abbreviations (PST), which the tz database does not.
 */
function ianaZone(tz: string): boolean {
  if (!tz.includes('/') && !/^(?:UTC|GMT|UCT|Universal|Zulu)$/.test(tz) && !/^[A-Z]{3}\d[A-Z]{3}$/.test(tz)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

function str(v: unknown, field: string): string {
  if (typeof v !== 'string') throw new ScheduleError(`${field}: a string is required`);
  return v;
}

function dateTime(v: unknown, field: string): number {
  const s = str(v, field);
  const t = RFC3339.test(s) ? Date.parse(s.replace(' ', 'T')) : NaN;
  if (!Number.isFinite(t)) throw new ScheduleError(`${field}: "${s}" is not an RFC 3339 date-time (e.g. "2026-03-01T17:00:00-08:00")`);
  return t;
}

function timeOfDay(v: unknown, field: string): number {
  const s = str(v, field);
  const m = /^(\d{2}):(\d{2}):(\d{2})$/.exec(s);
  if (!m || Number(m[1]) > 23 || Number(m[2]) > 59 || Number(m[3]) > 59) throw new ScheduleError(`${field}: "${s}" is not a time of day HH:MM:SS`);
  return Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
}

function days(s: string): number[] {
  const out = new Set<number>();
  for (const raw of s.split(',')) {
    const d = raw.trim().toLowerCase();
    const i = DAYS.findIndex((name) => name === d || name.slice(0, 3) === d);
    if (i < 0) throw new ScheduleError(`dow: "${raw.trim()}" is not a day (Mon, Tue, ... or Monday, Tuesday, ...)`);
    out.add(i);
  }
  return [...out].sort();
}

export function storeSchedule(s: Schedule): StoredSchedule | undefined {
  const w = s.window;
  if (s.expires === undefined && !w) return undefined;
  return { ...(s.expires !== undefined ? { expires: s.expires } : {}), ...(w ? { dow: [...w.dow], tz: w.tz, start: w.start, end: w.end } : {}) };
}

/** The schedule a spooled message carries (SpoolMeta.extra.schedule), if any. */
export function storedSchedule(extra: Record<string, unknown> | undefined): Schedule | undefined {
  const s = extra?.schedule as StoredSchedule | undefined;
  if (!s) return undefined;
  const window = s.tz !== undefined && s.dow && s.start !== undefined && s.end !== undefined ? { dow: s.dow, tz: s.tz, start: s.start, end: s.end } : undefined;
  return { ...(s.expires !== undefined ? { expires: s.expires } : {}), ...(window ? { window } : {}) };
}

/** The first instant at or after `t` inside the window (`t` itself without one). */
export function nextAllowed(s: Schedule | undefined, t: number): number {
  const w = s?.window;
  if (!w) return t;
  const local = zonedParts(t, w.tz);
  for (let day = 0; day <= 7; day++) {
    const civil = Date.UTC(local.year, local.month - 1, local.day + day);
    if (!w.dow.includes(new Date(civil).getUTCDay())) continue;
    const d = new Date(civil);
    const start = zonedToUtc(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), w.start, w.tz);
    const end = zonedToUtc(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), w.end, w.tz);
    if (t < start) return start;
    if (t < end) return t;
  }
  /* c8 ignore next -- unreachable: a week always has one of the (at least one) allowed days */
  return t;
}

const formats = new Map<string, Intl.DateTimeFormat>();

function zonedParts(t: number, tz: string): { year: number; month: number; day: number; hour: number; minute: number; second: number } {
  let f = formats.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formats.set(tz, f);
  }
  const p: Record<string, number> = {};
  for (const part of f.formatToParts(t)) if (part.type !== 'literal') p[part.type] = Number(part.value);
  return { year: p.year!, month: p.month!, day: p.day!, hour: p.hour!, minute: p.minute!, second: p.second! };
}

/** Local time minus UTC at instant `t` in `tz`, in ms. */
function offsetAt(t: number, tz: string): number {
  const p = zonedParts(t, tz);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(t / 1000) * 1000;
}

/** The instant of a local wall-clock time in `tz` (in a DST gap: the same wall time after the shift). */
function zonedToUtc(year: number, month: number, day: number, seconds: number, tz: string): number {
  const wall = Date.UTC(year, month - 1, day) + seconds * 1000;
  const first = wall - offsetAt(wall, tz);
  const second = wall - offsetAt(first, tz);
  return second;
}
