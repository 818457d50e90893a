// Egress sources and pools (KumoMTA sources.toml format).
import { isIP } from 'node:net';
import { dirname } from 'node:path';
import { compileKeySource } from '../keys/key-source.js';
import type { KeySourceSpec } from '../keys/key-source.js';
import type { Source, Sources } from './generated/sources.js';
import { warnNotActed } from './not-acted.js';
import type { KeyPath } from './source-file.js';
import type { Reporter } from './report.js';
import type { SourceFile } from './source-file.js';
import { parseDuration, parseHostPort, parseThrottle } from './values.js';
import type { HostPort } from './values.js';

/** The source and pool used when nothing else is configured: the kernel picks the address. */
export const UNSPECIFIED = 'unspecified';

export interface EgressSource {
  readonly name: string;
  /** local address to bind to; undefined = the kernel chooses */
  readonly sourceAddress?: string;
  readonly ehloDomain?: string;
  /** overrides the destination port (25 or the mx_list entry's port) */
  readonly remotePort?: number;
  readonly haProxy?: { readonly server: HostPort; readonly sourceAddress: string };
  readonly socks5?: {
    readonly server: HostPort;
    readonly sourceAddress?: string;
    /** RFC 1929 username/password authentication, when both are configured */
    readonly auth?: { readonly username: string; readonly password: KeySourceSpec };
  };
  /** skip the source for this long after EADDRNOTAVAIL on bind */
  readonly suspendWhenUnplumbedMs?: number;
  /** keys set on the source that kumo-ts does not act on yet: the value as written, and why (explain) */
  readonly notActed?: Readonly<Record<string, { readonly value: unknown; readonly reason: string }>>;
  /** where it was defined, for explain output ('' for the builtin default) */
  readonly file: string;
}

export interface PoolEntry {
  readonly source: string;
  readonly weight: number;
}

export interface EgressPool {
  readonly name: string;
  readonly entries: readonly PoolEntry[];
}

export interface EgressConfig {
  readonly sources: ReadonlyMap<string, EgressSource>;
  readonly pools: ReadonlyMap<string, EgressPool>;
}

const DEFAULT_SOURCE: EgressSource = { name: UNSPECIFIED, file: '' };
const DEFAULT_POOL: EgressPool = { name: UNSPECIFIED, entries: [{ source: UNSPECIFIED, weight: 1 }] };

/**
 * Merges every sources file in order (a later file's keys override an earlier one's, as
 * KumoMTA's sources helper does) and checks references and addresses.
 */
export function compileEgress(files: SourceFile[], r: Reporter, root?: string): EgressConfig {
  // per source: the merged keys and, for each key, the file that set it (for positions)
  const raw = new Map<string, { files: Map<string, SourceFile>; data: Source; last: SourceFile }>();
  const pools = new Map<string, Map<string, { file: SourceFile; weight: number }>>();
  for (const file of files) {
    const data = file.data as Sources;
    for (const [name, s] of Object.entries(data.source ?? {})) {
      const prev = raw.get(name) ?? { files: new Map<string, SourceFile>(), data: {}, last: file };
      for (const k of Object.keys(s)) prev.files.set(k, file);
      raw.set(name, { files: prev.files, data: { ...prev.data, ...s }, last: file });
      if (s.name !== undefined && s.name !== name)
        r.error(file, ['source', name, 'name'], 'value.source-name', `source."${name}".name is "${s.name}": it must match the table name`);
    }
    for (const [pool, entries] of Object.entries(data.pool ?? {})) {
      const m = pools.get(pool) ?? new Map();
      pools.set(pool, m);
      for (const [src, e] of Object.entries(entries)) m.set(src, { file, weight: e.weight ?? 1 });
    }
  }

  const sources = new Map<string, EgressSource>([[UNSPECIFIED, DEFAULT_SOURCE]]);
  for (const [name, { files: keyFiles, data, last }] of raw) sources.set(name, compileSource(keyFiles, last, name, data, r, root));

  const out = new Map<string, EgressPool>([[UNSPECIFIED, DEFAULT_POOL]]);
  for (const [pool, entries] of pools) {
    const list: PoolEntry[] = [];
    for (const [src, { file, weight }] of entries) {
      if (!sources.has(src)) {
        const known = [...sources.keys()].map((k) => `"${k}"`).join(', ');
        r.error(file, ['pool', pool, src], 'ref.unknown-source', `pool "${pool}" names source "${src}", which is not defined (known: ${known})`, 'key');
        continue;
      }
      list.push({ source: src, weight });
    }
    if (list.length && list.every((e) => e.weight === 0)) {
      const file = [...entries.values()][0].file;
      r.error(file, ['pool', pool], 'value.pool-weight', `pool "${pool}": every source has weight 0, so the pool can never send`, 'key');
    }
    out.set(pool, { name: pool, entries: list });
  }
  return { sources, pools: out };
}

function compileSource(keyFiles: Map<string, SourceFile>, last: SourceFile, name: string, s: Source, r: Reporter, root?: string): EgressSource {
  const fileOf = (key: string) => keyFiles.get(key) ?? last;
  const at = (key: string) => ['source', name, key];
  const ip = (key: 'source_address' | 'ha_proxy_source_address' | 'socks5_proxy_source_address') => {
    const v = s[key];
    if (v === undefined) return undefined;
    if (!isIP(v)) {
      r.error(fileOf(key), at(key), 'value.address', `source."${name}".${key}: "${v}" is not an IP address`);
      return undefined;
    }
    return v;
  };
  const hp = (key: 'ha_proxy_server' | 'socks5_proxy_server') => {
    const v = s[key];
    return v === undefined ? undefined : r.parse(fileOf(key), at(key), 'value.host-port', () => parseHostPort(v));
  };
  const sourceAddress = ip('source_address');
  const haServer = hp('ha_proxy_server');
  const haSource = ip('ha_proxy_source_address');
  const socksServer = hp('socks5_proxy_server');
  const socksSource = ip('socks5_proxy_source_address');
  if ((s.ha_proxy_server === undefined) !== (s.ha_proxy_source_address === undefined)) {
    const missing = s.ha_proxy_server === undefined ? 'ha_proxy_server' : 'ha_proxy_source_address';
    const given = missing === 'ha_proxy_server' ? 'ha_proxy_source_address' : 'ha_proxy_server';
    r.error(fileOf(given), at(given), 'value.proxy', `source."${name}": ${given} needs ${missing} as well`, 'key');
  }
  if (s.socks5_proxy_source_address !== undefined && s.socks5_proxy_server === undefined)
    r.error(fileOf('socks5_proxy_source_address'), at('socks5_proxy_source_address'), 'value.proxy', `source."${name}": socks5_proxy_source_address needs socks5_proxy_server`, 'key');
  if (s.ha_proxy_server !== undefined && s.socks5_proxy_server !== undefined)
    r.error(fileOf('socks5_proxy_server'), at('socks5_proxy_server'), 'value.proxy', `source."${name}": use either ha_proxy_server or socks5_proxy_server, not both`, 'key');
  if (s.ehlo_domain !== undefined && !/^(\[[0-9a-f.:]+\]|[a-z0-9_]([a-z0-9_.-]*[a-z0-9_])?)$/i.test(s.ehlo_domain))
    r.error(fileOf('ehlo_domain'), at('ehlo_domain'), 'value.hostname', `source."${name}".ehlo_domain: "${s.ehlo_domain}" is not a host name or [address] literal`);
  const notActed: Record<string, { value: unknown; reason: string }> = {};
  const skipped = (key: string, path: KeyPath, value: unknown, reason: string) => {
    warnNotActed(r, fileOf(key), path, reason);
    notActed[path.slice(2).join('.')] = { value, reason };
  };
  const unplumbed = s.suspend_when_unplumbed;
  const suspendMs = unplumbed
    ? r.parse(fileOf('suspend_when_unplumbed'), ['source', name, 'suspend_when_unplumbed', 'duration'], 'value.duration', () => parseDuration(unplumbed.duration))
    : undefined;
  if (unplumbed?.trigger !== undefined && unplumbed.trigger !== 'Immediate') {
    const tp = ['source', name, 'suspend_when_unplumbed', 'trigger'];
    const th = unplumbed.trigger.Threshold;
    r.parse(fileOf('suspend_when_unplumbed'), [...tp, 'Threshold'], 'value.throttle', () => parseThrottle(th));
    skipped('suspend_when_unplumbed', tp, unplumbed.trigger, 'one failure suspends the source');
  }
  const unhealthy = s.suspend_when_proxy_unhealthy;
  if (unhealthy) {
    r.parse(fileOf('suspend_when_proxy_unhealthy'), ['source', name, 'suspend_when_proxy_unhealthy', 'duration'], 'value.duration', () => parseDuration(unhealthy.duration));
    skipped('suspend_when_proxy_unhealthy', at('suspend_when_proxy_unhealthy'), unhealthy, 'a failing proxy is retried like any other connection failure');
  }
  const socksAuth = compileSocksAuth(s, name, fileOf, at, r, root);
  if (s.ttl !== undefined) {
    r.parse(fileOf('ttl'), at('ttl'), 'value.duration', () => parseDuration(s.ttl!));
    skipped('ttl', at('ttl'), s.ttl, 'sources are re-read on every config change');
  }
  return {
    name,
    sourceAddress,
    ehloDomain: s.ehlo_domain,
    remotePort: s.remote_port,
    haProxy: haServer && haSource ? { server: haServer, sourceAddress: haSource } : undefined,
    socks5: socksServer ? { server: socksServer, sourceAddress: socksSource, ...(socksAuth ? { auth: socksAuth } : {}) } : undefined,
    suspendWhenUnplumbedMs: suspendMs,
    ...(Object.keys(notActed).length ? { notActed } : {}),
    file: last.path,
  };
}

/** socks5_proxy_username + socks5_proxy_password (RFC 1929: each 1-255 bytes; both or neither). */
function compileSocksAuth(
  s: Source, name: string, fileOf: (k: string) => SourceFile, at: (k: string) => string[], r: Reporter, root?: string,
): { username: string; password: KeySourceSpec } | undefined {
  const user = s.socks5_proxy_username;
  const pass = s.socks5_proxy_password;
  if (user === undefined && pass === undefined) return undefined;
  for (const k of ['socks5_proxy_username', 'socks5_proxy_password'] as const)
    if (s[k] !== undefined && s.socks5_proxy_server === undefined)
      r.error(fileOf(k), at(k), 'value.proxy', `source."${name}": ${k} needs socks5_proxy_server`, 'key');
  if ((user === undefined) !== (pass === undefined)) {
    const given = user === undefined ? 'socks5_proxy_password' : 'socks5_proxy_username';
    const missing = user === undefined ? 'socks5_proxy_username' : 'socks5_proxy_password';
    r.error(fileOf(given), at(given), 'value.proxy', `source."${name}": ${given} needs ${missing} as well`, 'key');
    return undefined;
  }
  const ulen = Buffer.byteLength(user!);
  if (ulen < 1 || ulen > 255) {
    r.error(fileOf('socks5_proxy_username'), at('socks5_proxy_username'), 'value.proxy', `source."${name}".socks5_proxy_username must be 1 to 255 bytes (RFC 1929), not ${ulen}`);
    return undefined;
  }
  const file = fileOf('socks5_proxy_password');
  const password = compileKeySource(file, at('socks5_proxy_password'), pass!, root ?? dirname(file.path), r);
  return password ? { username: user!, password } : undefined;
}
