import { CidrSet, parseDuration, parseThrottle } from '../config/values.js';
import type { LimitSpec } from './model.js';
import { MAP_PARAMS, PARAMS } from './params.js';
import type { ParamKind } from './params.js';

/** `32`, `"1,000"`, `"local:20"` → LimitSpec. */
export function parseLimit(v: unknown): LimitSpec {
  if (typeof v === 'number') {
    if (!Number.isInteger(v) || v < 0) throw new Error(`invalid limit ${v}: must be a whole number, 0 or more`);
    return { spec: String(v), limit: v, local: false };
  }
  if (typeof v !== 'string') throw new Error(`invalid limit ${JSON.stringify(v)}: expected a number or "[local:]N"`);
  const m = /^\s*(local:)?\s*(\d[\d,_]*)\s*$/i.exec(v);
  if (!m) throw new Error(`invalid limit "${v}": expected a number, "1,000" or "local:N"`);
  return { spec: v, limit: Number(m[2].replace(/[,_]/g, '')), local: !!m[1] };
}

function parseKind(kind: ParamKind, v: unknown, values?: readonly string[]): unknown {
  switch (kind) {
    case 'limit':
      return parseLimit(v);
    case 'throttle':
      if (typeof v !== 'string') throw new Error(`expected a throttle string such as "100/min", got ${JSON.stringify(v)}`);
      return parseThrottle(v);
    case 'uint':
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new Error(`expected a whole number, 0 or more, got ${JSON.stringify(v)}`);
      return v;
    case 'port':
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 65535) throw new Error(`expected a port number 1-65535, got ${JSON.stringify(v)}`);
      return v;
    case 'duration':
      if (typeof v !== 'string' && typeof v !== 'number') throw new Error(`expected a duration such as "30s", got ${JSON.stringify(v)}`);
      return parseDuration(v);
    case 'bool':
      if (typeof v !== 'boolean') throw new Error(`expected true or false, got ${JSON.stringify(v)}`);
      return v;
    case 'enum':
      if (typeof v !== 'string' || !values!.includes(v)) throw new Error(`expected one of ${values!.map((x) => `"${x}"`).join(', ')}, got ${JSON.stringify(v)}`);
      return v;
    case 'string':
      if (typeof v !== 'string') throw new Error(`expected a string, got ${JSON.stringify(v)}`);
      return v;
    case 'strings':
      if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new Error(`expected a list of strings, got ${JSON.stringify(v)}`);
      return Object.freeze([...v]);
    case 'cidrs':
      if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new Error(`expected a list of CIDRs, got ${JSON.stringify(v)}`);
      return new CidrSet(v as string[]);
    case 'keysource':
      throw new Error('a key source cannot be set here');
    /* c8 ignore next 3 -- guard: callers hand map parameters to expandParam/parseMapEntry, which pass the entry kind */
    case 'limitmap':
    case 'throttlemap':
      throw new Error('internal: maps are expanded by expandParam');
  }
}

/** The kind of one entry of a map parameter, or of a plain parameter. */
export function entryKind(name: string): ParamKind | undefined {
  const spec = PARAMS[name];
  if (!spec) return undefined;
  if (spec.kind === 'limitmap') return 'limit';
  if (spec.kind === 'throttlemap') return 'throttle';
  return spec.kind;
}

/** Parses one value of parameter `name` (a plain parameter, not a map). Throws Error with a message for users. */
export function parseParamValue(name: string, v: unknown): unknown {
  const spec = PARAMS[name];
  if (!spec) throw new Error(`unknown shaping setting "${name}"`);
  return parseKind(spec.kind, v, spec.values);
}

/** Parses one entry of map parameter `name` (`additional_connection_limits` etc). */
export function parseMapEntry(name: string, v: unknown): unknown {
  return parseKind(entryKind(name)!, v);
}

/**
 * A parameter as layer entries: plain parameters give one `[name, value]`, maps give one
 * `[name.entry, value]` per entry. Used for automation overrides, which carry raw values.
 */
export function expandParam(name: string, raw: unknown): [string, unknown][] {
  const spec = PARAMS[name];
  if (!spec) throw new Error(`unknown shaping setting "${name}"`);
  if (spec.noAutomation) throw new Error(`"${name}" cannot be changed by automation`);
  if (MAP_PARAMS.has(name)) {
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new Error(`${name} takes a table of name = value`);
    return Object.entries(raw as Record<string, unknown>).map(([k, v]) => [`${name}.${k}`, parseMapEntry(name, v)]);
  }
  return [[name, parseParamValue(name, raw)]];
}

/** Display form of a compiled value (explain output). */
export function displayValue(raw: unknown): string {
  if (typeof raw === 'string') return JSON.stringify(raw);
  if (raw && typeof raw === 'object' && !Array.isArray(raw)) {
    if ('key_data' in (raw as object)) return '{ key_data = (hidden) }';
  }
  return JSON.stringify(raw);
}
