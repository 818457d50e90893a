// listener_domains files, in KumoMTA's format (policy-extras/listener_domains.lua).
import { DomainMap } from './domain-map.js';
import type { ListenerDomain as RawDomain, ListenerDomainsFile, ListenerOverrides } from './generated/listener_domains.js';
import type { Reporter } from './report.js';
import type { KeyPath, SourceFile } from './source-file.js';
import { warnNotActed } from './not-acted.js';
import { CidrSet, parseDuration } from './values.js';

/** What to do with an OOB bounce / ARF report addressed to a domain (KumoMTA's LogReportDisposition). */
export type ReportDisposition = 'Ignore' | 'LogThenDrop' | 'LogThenRelay';

/** One compiled domain block (every option is resolved; absent means false/empty). */
export interface ListenerDomainEntry {
  /** the pattern as written ("example.com", "*.example.com", "*") */
  readonly pattern: string;
  /** the per-listener key it came from, or undefined for a global block */
  readonly listener?: string;
  readonly relayTo: boolean;
  readonly relayFrom: CidrSet;
  readonly relayFromAuthz: readonly string[];
  readonly logOob: ReportDisposition;
  readonly logArf: ReportDisposition;
}

export interface ListenerDomains {
  readonly files: readonly string[];
  /** top-level blocks */
  readonly global: DomainMap<ListenerDomainEntry>;
  /** [listener."ip:port"."domain"] blocks by listener key */
  readonly byListener: ReadonlyMap<string, DomainMap<ListenerDomainEntry>>;
}

const DOMAIN_KEYS = new Set(['relay_to', 'relay_from', 'relay_from_authz', 'log_oob', 'log_arf', 'ttl']);

interface Pending {
  raw: RawDomain;
  file: SourceFile;
  path: KeyPath;
}

/**
 * Compiles every listener_domains file. As in KumoMTA, the same (listener, domain) block in
 * several files is merged key by key, later files winning.
 */
export function compileListenerDomains(files: SourceFile[], r: Reporter): ListenerDomains {
  // listener key ('' = global) -> pattern -> merged raw block with where each key came from
  const merged = new Map<string, Map<string, Pending[]>>();
  const add = (listener: string, pattern: string, raw: RawDomain, file: SourceFile, path: KeyPath) => {
    if (!validPattern(pattern)) {
      r.error(file, path, 'value.domain-pattern', `listener_domains: "${pattern}" is not a domain, "*.suffix" or "*"`, 'key');
      return;
    }
    let byPattern = merged.get(listener);
    if (!byPattern) merged.set(listener, (byPattern = new Map()));
    const key = pattern.toLowerCase().replace(/\.$/, '');
    byPattern.set(key, [...(byPattern.get(key) ?? []), { raw, file, path }]);
  };
  const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
  for (const file of files) {
    const data = file.data as ListenerDomainsFile;
    for (const [pattern, block] of Object.entries(data)) {
      if (pattern === 'listener') continue;
      // the schema admits either shape at the top level; only "listener" holds overrides
      const bad = Object.keys(block).find((k) => !DOMAIN_KEYS.has(k));
      if (bad !== undefined) {
        r.error(file, [pattern, bad], 'schema.unknown-key', `unknown key "${bad}" in listener_domains "${pattern}" (expected ${[...DOMAIN_KEYS].join(', ')})`, 'key');
        continue;
      }
      add('', pattern, block as RawDomain, file, [pattern]);
    }
    const overrides = data.listener as ListenerOverrides | undefined;
    for (const [listener, domains] of Object.entries(overrides ?? {})) {
      if (!isObj(domains)) {
        r.error(file, ['listener', listener], 'schema.type', `listener_domains listener."${listener}" must be a table of domain blocks`);
        continue;
      }
      for (const [pattern, block] of Object.entries(domains)) {
        if (!isObj(block)) {
          r.error(file, ['listener', listener, pattern], 'schema.type', `listener_domains listener."${listener}"."${pattern}" must be a table of domain options`);
          continue;
        }
        // KumoMTA files its top-level blocks under listener "*": the same as a global block
        add(listener === '*' ? '' : listener, pattern, block as RawDomain, file, ['listener', listener, pattern]);
      }
    }
  }
  const compileMap = (listener: string, byPattern: Map<string, Pending[]>) =>
    new DomainMap<ListenerDomainEntry>([...byPattern].map(([pattern, parts]) => [pattern, compileEntry(pattern, listener || undefined, parts, r)]));
  const byListener = new Map<string, DomainMap<ListenerDomainEntry>>();
  for (const [listener, byPattern] of merged) if (listener) byListener.set(listener, compileMap(listener, byPattern));
  return {
    files: files.map((f) => f.path),
    global: compileMap('', merged.get('') ?? new Map()),
    byListener,
  };
}

function compileEntry(pattern: string, listener: string | undefined, parts: Pending[], r: Reporter): ListenerDomainEntry {
  let relayTo = false;
  let relayFrom = new CidrSet([]);
  let relayFromAuthz: readonly string[] = [];
  let logOob: ReportDisposition = 'Ignore';
  let logArf: ReportDisposition = 'Ignore';
  for (const { raw, file, path } of parts) {
    if (raw.relay_to !== undefined) relayTo = raw.relay_to;
    if (raw.relay_from !== undefined) {
      const c = r.parse(file, [...path, 'relay_from'], 'value.cidr', () => new CidrSet(raw.relay_from!));
      if (c) relayFrom = c;
    }
    if (raw.relay_from_authz !== undefined) relayFromAuthz = Object.freeze([...raw.relay_from_authz]);
    if (raw.log_oob !== undefined) logOob = disposition(raw.log_oob);
    if (raw.log_arf !== undefined) logArf = disposition(raw.log_arf);
    if (raw.ttl !== undefined) {
      r.parse(file, [...path, 'ttl'], 'value.duration', () => parseDuration(raw.ttl!));
      warnNotActed(r, file, [...path, 'ttl'], 'deprecated and unused in KumoMTA as well');
    }
  }
  return { pattern, listener, relayTo, relayFrom, relayFromAuthz, logOob, logArf };
}

/** KumoMTA's legacy booleans: true is "LogThenRelay", false is "Ignore". */
function disposition(v: boolean | ReportDisposition): ReportDisposition {
  if (v === true) return 'LogThenRelay';
  if (v === false) return 'Ignore';
  return v;
}

function validPattern(p: string): boolean {
  if (p === '*') return true;
  const d = p.startsWith('*.') ? p.slice(2) : p;
  return /^(?=.{1,253}\.?$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?\.)*[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?\.?$/i.test(d);
}

/**
 * The block that applies to `domain` on a listener (KumoMTA's lookup order): the listener's
 * own blocks first (the first of `listenerKeys` that has any), then the global blocks
 * (exact, then the longest `*.suffix`, then `*`).
 */
export function lookupListenerDomain(
  ld: ListenerDomains,
  domain: string,
  listenerKeys: readonly string[],
): ListenerDomainEntry | undefined {
  if (!domain) return undefined;
  for (const k of listenerKeys) {
    const m = ld.byListener.get(k);
    if (!m) continue;
    const hit = m.get(domain);
    if (hit) return hit;
    break;
  }
  return ld.global.get(domain);
}
