import type { Snapshot } from '../config/snapshot.js';
import type { CidrSet, Throttle } from '../config/values.js';
import type { KeySourceSpec } from '../keys/key-source.js';
import { getActiveAutomation } from './automation-state.js';
import type { AutomationEntry, AutomationState } from './automation-state.js';
import { providerLimitName } from './compile.js';
import type { AutomationRule, Layer, LimitSpec, Origin, ProviderBlock, ShapingConfig, Setting } from './model.js';
import { matchProviders } from './provider-match.js';
import { DEFAULT_SHAPING } from './types.js';
import type { EffectiveShaping, ShapingQuery, TlsMode } from './types.js';

/** A merged value: from a file (`at`) or from an automation override (`override`). */
export interface MergedSetting {
  readonly value: unknown;
  readonly raw: unknown;
  readonly at?: Origin;
  readonly override?: AutomationEntry;
}

/** Everything decided for one source × site × domain, cached per config epoch. */
export interface ResolvedPath {
  readonly effective: EffectiveShaping;
  readonly providers: readonly ProviderBlock[];
  /** automation rules watching this path, in KumoMTA's order: default, providers, site, domain */
  readonly rules: readonly AutomationRule[];
  /** block labels applied, in order */
  readonly layers: readonly string[];
  readonly merged: ReadonlyMap<string, MergedSetting>;
  readonly overrides: readonly AutomationEntry[];
}

interface Cache {
  automation: AutomationState | undefined;
  version: number;
  map: Map<string, ResolvedPath>;
}
const caches = new WeakMap<ShapingConfig, Cache>();
const MAX_CACHED = 100_000;
/**
 * The last answer per query object (a ready queue asks with the same one about six times per
 * message): valid while the cache it came from is the current one, so a new epoch or an
 * automation change still resolves again. Saves building the string key each time.
 */
const lastByQuery = new WeakMap<ShapingQuery, { cache: Cache; hit: ResolvedPath }>();

/**
 * The effective shaping for a destination path, from the snapshot's compiled layers plus any
 * active automation override. Cached per snapshot (epoch) × source × site × domain, so each
 * decision after the first is one Map lookup.
 */
export function resolveShaping(snapshot: Snapshot, q: ShapingQuery, automation: AutomationState | undefined = getActiveAutomation()): EffectiveShaping {
  return resolvePath(snapshot.shaping, q, automation).effective;
}

export function resolvePath(shaping: ShapingConfig, q: ShapingQuery, automation: AutomationState | undefined = getActiveAutomation()): ResolvedPath {
  automation?.prune();
  let c = caches.get(shaping);
  const version = automation?.version ?? 0;
  if (!c || c.automation !== automation || c.version !== version || c.map.size >= MAX_CACHED) {
    c = { automation, version, map: new Map() };
    caches.set(shaping, c);
  }
  const last = lastByQuery.get(q);
  if (last?.cache === c) return last.hit;
  const key = `${q.source}\u0000${q.site}\u0000${q.domain}\u0000${q.mxHosts.join(',')}\u0000${q.mxSite ?? ''}`;
  let hit = c.map.get(key);
  if (!hit) {
    hit = computePath(shaping, q, automation);
    c.map.set(key, hit);
  }
  lastByQuery.set(q, { cache: c, hit });
  return hit;
}

function computePath(shaping: ShapingConfig, q: ShapingQuery, automation: AutomationState | undefined): ResolvedPath {
  const domain = q.domain.toLowerCase();
  const merged = new Map<string, MergedSetting>();
  const layers: string[] = [];
  const apply = (layer: Layer | undefined, label: string) => {
    if (!layer || !layer.size) return;
    for (const [k, v] of layer) merged.set(k, v);
    layers.push(label);
  };
  const rules: AutomationRule[] = [];

  apply(shaping.default.params, shaping.default.label);
  apply(shaping.default.sources.get(q.source), `default source "${q.source}"`);
  rules.push(...shaping.default.automation);

  // Providers never match pseudo-domains such as KumoMTA's TSA "http://..." names.
  const providers = /^[a-z0-9_.-]+$/i.test(domain) ? matchProviders(shaping.providers, domain, q.mxHosts) : [];
  for (const p of providers) {
    apply(p.params, p.label);
    applyProviderImplied(p, q.source, merged, providers[0] === p);
    rules.push(...p.automation);
  }
  for (const p of providers) {
    const src = p.sources.get(q.source);
    if (!src) continue;
    apply(src, `${p.label} source "${q.source}"`);
    applyProviderImplied(p, q.source, merged, providers[0] === p);
  }

  // the site block by MX rollup, also when the path is its own site (mx_rollup = false, mx_list)
  const site = shaping.bySite.get(q.mxSite ?? q.site);
  const exact = shaping.byDomain.get(domain);
  if (site) {
    apply(site.params, site.label);
    rules.push(...site.automation);
  }
  if (exact) {
    apply(exact.params, exact.label);
    rules.push(...exact.automation);
  }
  if (site) apply(site.sources.get(q.source), `${site.label} source "${q.source}"`);
  if (exact) apply(exact.sources.get(q.source), `${exact.label} source "${q.source}"`);

  const overrides: AutomationEntry[] = [];
  for (const o of automation?.overridesFor(q.source, q.site, domain) ?? []) {
    for (const [k, v] of o.values) merged.set(k, { value: v, raw: o.entry.value, override: o.entry });
    overrides.push(o.entry);
  }
  if (overrides.length) layers.push('automation');

  return Object.freeze({
    effective: build(merged, providers),
    providers: Object.freeze(providers),
    rules: Object.freeze(rules),
    layers: Object.freeze(layers),
    merged,
    overrides: Object.freeze(overrides),
  });
}

/**
 * KumoMTA's `apply_provider_params_to`: the provider's name, and its provider-wide limits as
 * limits named per provider × source, so every site of the provider shares them. The first
 * matching provider also fills `provider_connection_limit` / `provider_max_message_rate`.
 */
function applyProviderImplied(p: ProviderBlock, source: string, merged: Map<string, MergedSetting>, first: boolean): void {
  if (first) merged.set('provider_name', { value: p.name, raw: p.name, at: p.at });
  const put = (key: string, s: Setting | undefined) => {
    if (s) merged.set(key, s);
  };
  if (first) {
    put('provider_connection_limit', p.connectionLimit);
    put('provider_max_message_rate', p.maxMessageRate);
  } else {
    put(`additional_connection_limits.${providerLimitName(p.name, source, 'limit')}`, p.connectionLimit);
    put(`additional_message_rate_throttles.${providerLimitName(p.name, source, 'rate')}`, p.maxMessageRate);
  }
  // KumoMTA takes provider_source_selection_rate from the provider and source blocks merged:
  // the source block's own rate wins over the provider-wide one
  const sel = `additional_source_selection_rates.${providerLimitName(p.name, source, 'selection-rate')}`;
  put(sel, p.sources.get(source)?.get(sel) ?? p.sourceSelectionRate);
}

function build(merged: Map<string, MergedSetting>, providers: readonly ProviderBlock[]): EffectiveShaping {
  const v = <T>(k: string): T | undefined => merged.get(k)?.value as T | undefined;
  const d = DEFAULT_SHAPING;
  const conns: Record<string, number> = {};
  const rates: Record<string, Throttle> = {};
  const selection: Record<string, Throttle> = {};
  const local: string[] = [];
  const params: Record<string, unknown> = {};
  for (const [k, s] of merged) {
    params[k] = s.value;
    const dot = k.indexOf('.');
    if (dot < 0) continue;
    const base = k.slice(0, dot);
    const name = k.slice(dot + 1);
    if (base === 'additional_connection_limits') {
      const l = s.value as LimitSpec;
      conns[name] = l.limit;
      if (l.local) local.push(name);
    } else if (base === 'additional_message_rate_throttles') rates[name] = s.value as Throttle;
    else if (base === 'additional_source_selection_rates') selection[name] = s.value as Throttle;
  }
  const cl = v<LimitSpec>('connection_limit');
  if (cl?.local) local.push('connection_limit');
  const pcl = v<LimitSpec>('provider_connection_limit');
  if (pcl?.local) local.push('provider_connection_limit');
  const ms = (k: string, dflt: number | undefined) => v<number>(k) ?? dflt;
  const out: EffectiveShaping = {
    connection_limit: cl?.limit ?? d.connection_limit,
    max_connection_rate: v<Throttle>('max_connection_rate'),
    max_message_rate: v<Throttle>('max_message_rate'),
    max_deliveries_per_connection: v<number>('max_deliveries_per_connection') ?? d.max_deliveries_per_connection,
    max_ready: v<number>('max_ready') ?? d.max_ready,
    idle_timeout_ms: ms('idle_timeout', d.idle_timeout_ms)!,
    connect_timeout_ms: ms('connect_timeout', d.connect_timeout_ms)!,
    banner_timeout_ms: ms('banner_timeout', d.banner_timeout_ms)!,
    ehlo_timeout_ms: ms('ehlo_timeout', d.ehlo_timeout_ms)!,
    mail_from_timeout_ms: ms('mail_from_timeout', d.mail_from_timeout_ms)!,
    rcpt_to_timeout_ms: ms('rcpt_to_timeout', d.rcpt_to_timeout_ms)!,
    data_timeout_ms: ms('data_timeout', d.data_timeout_ms)!,
    data_dot_timeout_ms: ms('data_dot_timeout', d.data_dot_timeout_ms)!,
    starttls_timeout_ms: ms('starttls_timeout', d.starttls_timeout_ms)!,
    enable_tls: v<TlsMode>('enable_tls') ?? d.enable_tls,
    consecutive_connection_failures_before_delay: v<number>('consecutive_connection_failures_before_delay') ?? d.consecutive_connection_failures_before_delay,
    provider: providers[0]?.name,
    provider_connection_limit: pcl?.limit,
    provider_max_message_rate: v<Throttle>('provider_max_message_rate'),
    additional_connection_limits: Object.freeze(conns),
    additional_message_rate_throttles: Object.freeze(rates),
    source_selection_rate: v<Throttle>('source_selection_rate'),
    providers: Object.freeze(providers.map((p) => p.name)),
    additional_source_selection_rates: Object.freeze(selection),
    local_limits: Object.freeze(local),
    smtp_port: v<number>('smtp_port') ?? d.smtp_port,
    enable_mta_sts: v<boolean>('enable_mta_sts') ?? d.enable_mta_sts,
    enable_dane: v<boolean>('enable_dane') ?? d.enable_dane,
    rset_timeout_ms: ms('rset_timeout', d.rset_timeout_ms),
    auth_timeout_ms: ms('auth_timeout', d.auth_timeout_ms),
    tls_handshake_timeout_ms: ms('tls_handshake_timeout', undefined),
    system_shutdown_timeout_ms: ms('system_shutdown_timeout', undefined),
    remember_broken_tls_ms: ms('remember_broken_tls', undefined),
    max_recipients_per_batch: v<number>('max_recipients_per_batch') ?? d.max_recipients_per_batch,
    reconnect_strategy: v<EffectiveShaping['reconnect_strategy']>('reconnect_strategy') ?? d.reconnect_strategy,
    ehlo_domain: v<string>('ehlo_domain'),
    prohibited_hosts: v<CidrSet>('prohibited_hosts'),
    skip_hosts: v<CidrSet>('skip_hosts'),
    opportunistic_tls_reconnect_on_failed_handshake: v<boolean>('opportunistic_tls_reconnect_on_failed_handshake'),
    smtp_auth_plain_username: v<string>('smtp_auth_plain_username'),
    smtp_auth_plain_password: v<KeySourceSpec>('smtp_auth_plain_password'),
    allow_smtp_auth_plain_without_tls: v<boolean>('allow_smtp_auth_plain_without_tls'),
    allow_smtp_auth_plain_without_valid_certificate: v<boolean>('allow_smtp_auth_plain_without_valid_certificate'),
    params: Object.freeze(params),
  };
  for (const k of Object.keys(out) as (keyof EffectiveShaping)[]) if (out[k] === undefined) delete (out as unknown as Record<string, unknown>)[k];
  return Object.freeze(out);
}
