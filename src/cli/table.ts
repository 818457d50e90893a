// Plain-text tables and short human units for the admin commands' output.

export interface Column<T> {
  readonly title: string;
  readonly get: (row: T) => string | number;
  /** right-aligned (numbers) */
  readonly right?: boolean;
}

/** Columns separated by two spaces, padded to the widest cell; no colours, no ANSI. */
export function table<T>(rows: readonly T[], cols: readonly Column<T>[]): string {
  const cells = rows.map((r) => cols.map((c) => String(c.get(r))));
  const widths = cols.map((c, i) => Math.max(c.title.length, ...cells.map((row) => row[i].length)));
  const line = (vals: string[]) =>
    vals.map((v, i) => (cols[i].right ? v.padStart(widths[i]) : i === vals.length - 1 ? v : v.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(cols.map((c) => c.title)), ...cells.map(line)].join('\n') + '\n';
}

/** 75 → "1m15s", 7300 → "2h1m", 200000 → "2d7h". */
export function age(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '-';
  const s = Math.floor(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60 ? `${s % 60}s` : ''}`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60) ? `${Math.floor((s % 3600) / 60)}m` : ''}`;
  return `${Math.floor(s / 86400)}d${Math.floor((s % 86400) / 3600) ? `${Math.floor((s % 86400) / 3600)}h` : ''}`;
}

/** Time left until an RFC 3339 instant, as age(); "-" when absent or past. */
export function until(expires: string | undefined, now = Date.now()): string {
  if (!expires) return '-';
  const t = Date.parse(expires);
  if (Number.isNaN(t)) return expires;
  return age(Math.max(0, (t - now) / 1000));
}

/** 1234 → "1,234" */
export function count(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-';
}

/** a per-second rate with one decimal below 100 */
export function rate(perSecond: number | undefined): string {
  if (perSecond === undefined || !Number.isFinite(perSecond)) return '-';
  return perSecond < 100 ? perSecond.toFixed(1) : count(perSecond);
}
