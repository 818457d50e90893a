import { BlockList, isIP } from 'node:net';

/** Value parsers shared by every config kind. They throw `Error` with a user-facing message. */

/**
 * Whether a `[table.NAME]` entry is a table. The compile goes on after schema errors to report
 * more of them; an entry that is not a table was reported by the schema and is skipped.
 */
export function isTable(v: unknown): v is object {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

const UNIT_MS: Record<string, number> = {
  ms: 1, msec: 1, millisecond: 1, milliseconds: 1,
  s: 1000, sec: 1000, secs: 1000, second: 1000, seconds: 1000,
  m: 60_000, min: 60_000, mins: 60_000, minute: 60_000, minutes: 60_000,
  h: 3_600_000, hr: 3_600_000, hrs: 3_600_000, hour: 3_600_000, hours: 3_600_000,
  d: 86_400_000, day: 86_400_000, days: 86_400_000,
  w: 604_800_000, week: 604_800_000, weeks: 604_800_000,
};

/** `"90s"`, `"5m"`, `"2 hours"`, `"1h 30m"`, `"3 days"`; a bare number means seconds. Returns ms. */
export function parseDuration(v: string | number): number {
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || v < 0) throw new Error(`invalid duration ${v}: must be a non-negative number of seconds`);
    return v * 1000;
  }
  const s = v.trim().toLowerCase();
  const re = /(\d+(?:\.\d+)?)\s*([a-z]+)\s*/gy;
  let total = 0;
  let m: RegExpExecArray | null;
  let consumed = 0;
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s) * 1000;
  while ((m = re.exec(s))) {
    const unit = UNIT_MS[m[2]];
    if (unit === undefined) throw new Error(`invalid duration "${v}": unknown unit "${m[2]}" (use ms, s, m, h, d or w)`);
    total += Number(m[1]) * unit;
    consumed = re.lastIndex;
  }
  if (!s || consumed !== s.length) throw new Error(`invalid duration "${v}" (expected e.g. "90s", "5m", "2 hours", "3 days")`);
  return total;
}

export interface Throttle {
  /** The spec as written, for logs and `explain`. */
  readonly spec: string;
  /** `local:` specs stay in process even in cluster mode. */
  readonly local: boolean;
  readonly limit: number;
  readonly periodMs: number;
  /** GCRA burst capacity (defaults to `limit`). */
  readonly maxBurst: number;
  /** GCRA emission interval: one unit every `periodMs / limit` ms. */
  readonly intervalMs: number;
}

const PERIOD_MS: Record<string, number> = {
  s: 1000, sec: 1000, second: 1000, seconds: 1000,
  m: 60_000, min: 60_000, minute: 60_000, minutes: 60_000,
  h: 3_600_000, hr: 3_600_000, hour: 3_600_000, hours: 3_600_000,
  d: 86_400_000, day: 86_400_000, days: 86_400_000,
};

/** `[local:]N/[k]period[,max_burst=B]`, e.g. `"100/min"`, `"10/5m"`, `"1,000/h"`, `"local:5/s,max_burst=10"`. */
export function parseThrottle(spec: string): Throttle {
  const m = /^\s*(local:)?\s*(\d[\d,_]*)\s*\/\s*(\d+)?\s*([a-z]+)\s*(?:,\s*max_burst\s*=\s*(\d[\d,_]*))?\s*$/i.exec(spec);
  const hint = 'expected [local:]N/[k]period[,max_burst=B] with period s, m, h or d, e.g. "100/min" or "10/5m"';
  if (!m) throw new Error(`invalid throttle "${spec}": ${hint}`);
  const num = (x: string) => Number(x.replace(/[,_]/g, ''));
  const limit = num(m[2]);
  const mult = m[3] ? Number(m[3]) : 1;
  const unit = PERIOD_MS[m[4].toLowerCase()];
  if (unit === undefined) throw new Error(`invalid throttle "${spec}": unknown period "${m[4]}"; ${hint}`);
  if (!(limit > 0)) throw new Error(`invalid throttle "${spec}": the limit must be at least 1`);
  if (mult <= 0) throw new Error(`invalid throttle "${spec}": the period multiplier must be at least 1`);
  const periodMs = unit * mult;
  const maxBurst = m[5] ? num(m[5]) : limit;
  if (!(maxBurst > 0)) throw new Error(`invalid throttle "${spec}": max_burst must be at least 1`);
  return { spec, local: !!m[1], limit, periodMs, maxBurst, intervalMs: periodMs / limit };
}

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** `"127.0.0.1:2525"`, `"[::1]:25"`, `"mx.example.com:25"`; `defaultPort` allows a bare host. */
export function parseHostPort(v: string, defaultPort?: number): HostPort {
  let host: string;
  let port: string | undefined;
  const m6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(v);
  if (m6) {
    host = m6[1];
    port = m6[2];
    if (isIP(host) !== 6) throw new Error(`invalid address "${v}": "${host}" is not an IPv6 address`);
  } else {
    const i = v.lastIndexOf(':');
    if (i >= 0 && v.indexOf(':') !== i) throw new Error(`invalid address "${v}": write IPv6 addresses as [addr]:port`);
    host = i >= 0 ? v.slice(0, i) : v;
    port = i >= 0 ? v.slice(i + 1) : undefined;
    if (!host || !(isIP(host) || /^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?\.)*[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?\.?$/i.test(host)))
      throw new Error(`invalid address "${v}": "${host}" is neither an IP address nor a host name`);
  }
  if (port === undefined) {
    if (defaultPort === undefined) throw new Error(`invalid address "${v}": expected host:port`);
    return { host, port: defaultPort };
  }
  const n = Number(port);
  if (!/^\d+$/.test(port) || n < 0 || n > 65535) throw new Error(`invalid address "${v}": port must be 0-65535`);
  return { host, port: n };
}

export interface Cidr {
  readonly address: string;
  readonly prefix: number;
  readonly family: 4 | 6;
}

/** `"10.0.0.0/8"`, `"::1"`, `"192.0.2.7"` (a bare address is a /32 or /128). */
export function parseCidr(v: string): Cidr {
  const [addr, bits, extra] = v.trim().split('/');
  const fam = isIP(addr);
  if (!fam || extra !== undefined) throw new Error(`invalid CIDR "${v}" (expected e.g. "10.0.0.0/8" or "::1")`);
  const max = fam === 4 ? 32 : 128;
  const prefix = bits === undefined ? max : Number(bits);
  if (bits !== undefined && (!/^\d+$/.test(bits) || prefix > max)) throw new Error(`invalid CIDR "${v}": prefix must be 0-${max}`);
  return { address: addr, prefix, family: fam as 4 | 6 };
}

/** An immutable set of networks with a fast membership test (IPv4-mapped IPv6 handled). */
export class CidrSet {
  private readonly list = new BlockList();
  readonly entries: readonly string[];
  constructor(cidrs: Iterable<string>) {
    const entries: string[] = [];
    for (const c of cidrs) {
      const p = parseCidr(c);
      this.list.addSubnet(p.address, p.prefix, p.family === 4 ? 'ipv4' : 'ipv6');
      entries.push(c);
    }
    this.entries = Object.freeze(entries);
    Object.freeze(this);
  }
  /**
   * Answers by client address: BlockList.check builds a SocketAddress on every call, and the
   * relay decision asks once per RCPT, mostly for the same few submitting hosts. A private field:
   * the snapshot's deep freeze does not see it (nor should it: the set itself never changes).
   */
  readonly #seen = new Map<string, boolean>();
  has(ip: string): boolean {
    const known = this.#seen.get(ip);
    if (known !== undefined) return known;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
    const addr = mapped ? mapped[1] : ip;
    const fam = isIP(addr);
    const hit = fam !== 0 && this.list.check(addr, fam === 4 ? 'ipv4' : 'ipv6');
    if (this.#seen.size >= 4096) this.#seen.clear();
    this.#seen.set(ip, hit);
    return hit;
  }
}

export const LOOPBACK_CIDRS = Object.freeze(['127.0.0.0/8', '::1/128']);
