import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { EgressConfig } from '../config/egress.js';
import type { KumoMain } from '../config/generated/kumo.js';
import type { DomainBlock, ProviderBlock as RawProvider, ShapingFile, SourceBlock } from '../config/generated/shaping.js';
import type { Reporter } from '../config/report.js';
import type { KeyPath, SourceFile } from '../config/source-file.js';
import { parseThrottle } from '../config/values.js';
import { yieldIfBusy } from '../config/yield.js';
import type { Resolver } from '../dns/resolver.js';
import { DnsError } from '../dns/resolver.js';
import { resolveMxSite } from '../dns/mx-site.js';
import type { MxSite } from '../dns/mx-site.js';
import { compileKeySource } from '../keys/key-source.js';
import type { AutomationRule, CheckLevel, Origin, ProviderBlock, ProviderMatch, Setting, ShapingBlock, ShapingChecks, ShapingConfig, SiteBlock } from './model.js';
import { DEFAULT_CHECKS, ShapingSources, originPath } from './model.js';
import { parseLimit, parseMapEntry, parseParamValue } from './param-values.js';
import { BLOCK_KEYS, MAP_PARAMS, PARAMS, PROVIDER_KEYS } from './params.js';
import { matchProviders } from './provider-match.js';
import { compileRules } from './rules.js';
import { isNotActed, NOT_ACTED_PARAMS } from './not-acted.js';
import { warnNotActed } from '../config/not-acted.js';
import { BUILTIN_SHAPING } from '../paths.js';

export type { ShapingConfig } from './model.js';

export interface ShapingEnv {
  readonly resolver: Resolver;
  readonly egress: EgressConfig;
  /** the main file, for its `[shaping]` options (load-finding levels, automation state file) */
  readonly main?: SourceFile;
  /** config root: key-source paths are relative to it */
  readonly root?: string;
  /** main spool directory: the automation state lives next to it by default */
  readonly spoolPath?: string;
  /** concurrent MX lookups while compiling (default 32) */
  readonly mxConcurrency?: number;
}

interface Partial {
  params: Map<string, Setting>;
  sources: Map<string, Map<string, Setting>>;
  automation: AutomationRule[];
}

interface ProviderPartial extends Partial {
  at: Origin;
  matches: ProviderMatch[];
  connectionLimit?: Setting;
  maxMessageRate?: Setting;
  sourceSelectionRate?: Setting;
}

const newPartial = (): Partial => ({ params: new Map(), sources: new Map(), automation: [] });

function mergePartial(into: Partial, from: Partial, replace: boolean): void {
  if (replace) {
    into.params = from.params;
    into.sources = from.sources;
    into.automation = from.automation;
    return;
  }
  for (const [k, v] of from.params) into.params.set(k, v);
  for (const [s, layer] of from.sources) {
    const existing = into.sources.get(s);
    if (existing) for (const [k, v] of layer) existing.set(k, v);
    else into.sources.set(s, new Map(layer));
  }
  into.automation.push(...from.automation);
}

/**
 * Compiles the shaping files (layered in order, later wins) into lookups the resolver uses per
 * decision: the default block, rollup blocks by MX site, exact-domain blocks, providers.
 * MX lookups for rollup blocks run with bounded concurrency, and the work yields to the event
 * loop in slices so that a 10,000-domain file does not stall live traffic.
 */
export async function compileShaping(files: SourceFile[], env: ShapingEnv, r: Reporter): Promise<ShapingConfig> {
  const checks = readChecks(env.main);
  const mainRaw = (env.main?.data as KumoMain | undefined)?.shaping;
  const spool = env.spoolPath ?? resolve('./data/spool');
  const statePath = mainRaw?.automation_state
    ? isAbsolute(mainRaw.automation_state) ? mainRaw.automation_state : resolve(env.root ?? '.', mainRaw.automation_state)
    : join(dirname(spool), 'shaping-automation.json');
  const root = env.root ?? process.cwd();
  const stats = { files: files.length, defaultBlocks: 0, domainBlocks: 0, providers: 0, automationRules: 0 };

  // 1. MX lookups for every rollup block, before merging, so that layer order is kept.
  const rollup = new Set<string>();
  for (const f of files) {
    // by key, not Object.entries: a 10,000-block file made a 10,000-pair array in one turn
    const data = f.data as ShapingFile;
    for (const key in data) {
      if (key === 'default' || key === 'provider' || !Object.prototype.hasOwnProperty.call(data, key)) continue;
      if ((data[key] as DomainBlock).mx_rollup !== false) rollup.add(key.toLowerCase());
      await yieldIfBusy();
    }
  }
  const mx = await resolveAll(env.resolver, [...rollup], env.mxConcurrency ?? 32);

  // 2. Merge the layers.
  const dflt = newPartial();
  const sites = new Map<string, Partial & { domains: string[] }>();
  const domains = new Map<string, Partial>();
  const providers = new Map<string, ProviderPartial>();
  const siteOfDomain = new Map<string, string>();
  const skipped = new Map<string, string>();
  const firstSeen = new Map<string, { file: SourceFile; key: string }>();

  for (const [fi, file] of files.entries()) {
    const data = file.data as ShapingFile;
    for (const [key, rawBlock] of Object.entries(data)) {
      await yieldIfBusy();
      if (key === 'default') {
        stats.defaultBlocks++;
        const b = rawBlock as DomainBlock;
        const p = compileBlock(file, fi, [key], b, 'default', r, root, { scope: 'default', owner: 'default', rollup: true });
        stats.automationRules += b.automation?.length ?? 0;
        mergePartial(dflt, p, b.replace_base === true);
        continue;
      }
      if (key === 'provider') {
        for (const [name, raw] of Object.entries(rawBlock as Record<string, RawProvider>)) {
          await yieldIfBusy();
          stats.providers++;
          stats.automationRules += raw.automation?.length ?? 0;
          const p = compileProvider(file, fi, name, raw, r, root);
          const existing = providers.get(name);
          if (!existing) providers.set(name, p);
          else mergeProvider(existing, p, raw.replace_base === true);
        }
        continue;
      }
      stats.domainBlocks++;
      const b = rawBlock as DomainBlock;
      stats.automationRules += b.automation?.length ?? 0;
      const domain = key.toLowerCase();
      if (!domain.includes('.')) {
        r.warn(file, [key], 'shaping.single-label', `domain block "${key}" is a single DNS label; quote dotted names in TOML table headers (["${key}.com"]), or a dot makes a nested table`);
      }
      if (b.mx_rollup === false) {
        const p = compileBlock(file, fi, [key], b, `"${key}"`, r, root, { scope: 'domain', owner: domain, rollup: false });
        const existing = domains.get(domain);
        if (existing) mergePartial(existing, p, b.replace_base === true);
        else domains.set(domain, p);
        continue;
      }
      const res = mx.get(domain);
      if (!res || res instanceof Error) {
        const why = res instanceof DnsError ? res.code : (res?.message ?? 'not resolved');
        skipped.set(domain, `MX lookup failed (${why})`);
        report(r, checks.dns_fail, file, [key], 'shaping.dns-fail',
          `cannot resolve the MX of "${key}" (${why}): its block is skipped; set mx_rollup = false to apply it to this domain alone`);
        continue;
      }
      if (res.nullMx) {
        skipped.set(domain, 'null MX');
        report(r, checks.null_mx, file, [key], 'shaping.null-mx',
          `"${key}" has a null MX (it accepts no mail), so it cannot roll up to a site: its block is skipped; set mx_rollup = false`);
        continue;
      }
      const site = res.site;
      siteOfDomain.set(domain, site);
      const p = compileBlock(file, fi, [key], b, `"${key}" (site ${site})`, r, root, { scope: 'site', owner: domain, rollup: true });
      let s = sites.get(site);
      if (!s) sites.set(site, (s = { ...newPartial(), domains: [] }));
      if (!s.domains.includes(domain)) {
        s.domains.push(domain);
        if (s.domains.length > 1) {
          report(r, checks.aliased_site, file, [key], 'shaping.aliased-site',
            `"${key}" rolls up to site ${site}, as "${s.domains[0]}" already does: both blocks apply to every domain of that site (later values win); merge them or set mx_rollup = false`);
        }
      }
      if (!firstSeen.has(domain)) firstSeen.set(domain, { file, key });
      mergePartial(s, p, b.replace_base === true);
    }
  }

  // only now: a later layer may add automation to a provider whose match rules an earlier one
  // (e.g. the bundled shaping.toml) gives
  for (const [name, p] of providers)
    if (!p.matches.length)
      r.warn(files[p.at.file]!, originPath(p.at), 'shaping.provider-no-match', `provider "${name}" has no match rules in any shaping file, so it matches no domain`);

  const providerList: ProviderBlock[] = [...providers.entries()].map(([name, p]) => ({
    name,
    label: `provider "${name}"`,
    at: p.at,
    params: p.params,
    sources: p.sources,
    automation: p.automation,
    matches: p.matches,
    ...(p.connectionLimit ? { connectionLimit: p.connectionLimit } : {}),
    ...(p.maxMessageRate ? { maxMessageRate: p.maxMessageRate } : {}),
    ...(p.sourceSelectionRate ? { sourceSelectionRate: p.sourceSelectionRate } : {}),
  }));

  if (checks.provider_overlap !== 'Ignore') {
    for (const [domain, seen] of firstSeen) {
      const res = mx.get(domain);
      if (!res || res instanceof Error) continue;
      const hit = matchProviders(providerList, domain, res.mxHosts);
      if (hit.length) {
        report(r, checks.provider_overlap, seen.file, [seen.key], 'shaping.provider-overlap',
          `"${seen.key}" is also matched by provider ${hit.map((p) => `"${p.name}"`).join(', ')}; the domain block wins over the provider's settings`);
      }
      await yieldIfBusy();
    }
  }

  const finish = (name: string, label: string, p: Partial): ShapingBlock => ({ name, label, params: p.params, sources: p.sources, automation: p.automation });
  const bySite = new Map<string, SiteBlock>();
  for (const [site, p] of sites) {
    bySite.set(site, { ...finish(site, `site ${site} (${p.domains.map((d) => `"${d}"`).join(', ')})`, p), domains: p.domains });
    await yieldIfBusy();
  }
  const byDomain = new Map<string, ShapingBlock>();
  for (const [d, p] of domains) {
    byDomain.set(d, finish(d, `"${d}"`, p));
    await yieldIfBusy();
  }

  return {
    files: files.map((f) => f.path),
    sources: new ShapingSources(files),
    default: finish('default', 'default', dflt),
    bySite,
    byDomain,
    siteOfDomain,
    providers: providerList,
    checks,
    automationStatePath: statePath,
    skipped,
    stats,
  };
}

function report(r: Reporter, level: CheckLevel, file: SourceFile, path: KeyPath, code: string, message: string): void {
  if (level === 'Warn') r.warn(file, path, code, message, 'key');
  else if (level === 'Error') r.error(file, path, code, message, 'key');
}

function readChecks(main: SourceFile | undefined): ShapingChecks {
  const raw = (main?.data as KumoMain | undefined)?.shaping ?? {};
  return {
    dns_fail: raw.dns_fail ?? DEFAULT_CHECKS.dns_fail,
    null_mx: raw.null_mx ?? DEFAULT_CHECKS.null_mx,
    provider_overlap: raw.provider_overlap ?? DEFAULT_CHECKS.provider_overlap,
    aliased_site: raw.aliased_site ?? DEFAULT_CHECKS.aliased_site,
  };
}

/**
 * MX site of each domain, at most `limit` lookups in flight. Errors are kept, not thrown.
 * One driver loop starts the lookups and is the only place that yields: were each of `limit`
 * workers to yield on its own, each would get a fresh time slice in the same turn of the
 * event loop, and together they would stall it.
 */
async function resolveAll(resolver: Resolver, domains: string[], limit: number): Promise<Map<string, MxSite | Error>> {
  const out = new Map<string, MxSite | Error>();
  const inflight = new Set<Promise<void>>();
  for (const d of domains) {
    while (inflight.size >= limit) await Promise.race(inflight);
    const p: Promise<void> = resolveMxSite(resolver, d).then(
      (mx) => void out.set(d, mx),
      (e: unknown) => void out.set(d, e instanceof Error ? e : new Error(String(e))),
    ).finally(() => inflight.delete(p));
    inflight.add(p);
    await yieldIfBusy();
  }
  await Promise.all(inflight);
  return out;
}

interface RuleOwner {
  scope: 'default' | 'provider' | 'site' | 'domain';
  owner: string;
  rollup: boolean;
}

/** One block's own settings (parameters only), each with its origin. */
function compileLayer(file: SourceFile, fi: number, base: KeyPath, raw: Record<string, unknown>, label: string, r: Reporter, root: string, skip: Set<string>): Map<string, Setting> {
  const layer = new Map<string, Setting>();
  for (const [name, v] of Object.entries(raw)) {
    if (skip.has(name)) continue;
    const spec = PARAMS[name];
    if (!spec) continue; // the schema reported it
    const path = [...base, name];
    const at: Origin = { file: fi, base, key: name, block: label };
    // the bundled file's own choices are not the operator's to fix
    if (isNotActed(name) && file.path !== BUILTIN_SHAPING) warnNotActed(r, file, path, NOT_ACTED_PARAMS[name]);
    if (MAP_PARAMS.has(name)) {
      for (const [entry, ev] of Object.entries(v as Record<string, unknown>)) {
        const code = spec.kind === 'limitmap' ? 'value.limit' : 'value.throttle';
        const parsed = r.parse(file, [...path, entry], code, () => parseMapEntry(name, ev));
        if (parsed !== undefined) layer.set(`${name}.${entry}`, { value: parsed, raw: ev, at: { ...at, entry } });
      }
      continue;
    }
    let parsed: unknown;
    if (spec.kind === 'keysource') parsed = compileKeySource(file, path, v as Parameters<typeof compileKeySource>[3], root, r);
    else parsed = r.parse(file, path, `value.${spec.kind === 'throttle' ? 'throttle' : spec.kind === 'duration' ? 'duration' : spec.kind === 'cidrs' ? 'cidr' : 'shaping'}`, () => parseParamValue(name, v));
    if (parsed !== undefined) layer.set(name, { value: parsed, raw: v, at });
  }
  return layer;
}

function compileBlock(file: SourceFile, fi: number, base: KeyPath, raw: DomainBlock, label: string, r: Reporter, root: string, owner: RuleOwner): Partial {
  const params = compileLayer(file, fi, base, raw as Record<string, unknown>, label, r, root, BLOCK_KEYS);
  const sources = new Map<string, Map<string, Setting>>();
  for (const [src, sb] of Object.entries(raw.sources ?? {})) {
    sources.set(src, compileLayer(file, fi, [...base, 'sources', src], sb as Record<string, unknown>, `${label} source "${src}"`, r, root, BLOCK_KEYS));
  }
  const automation = compileRules({ file, fileIndex: fi, block: label, ...owner }, [...base, 'automation'], raw.automation, r);
  return { params, sources, automation };
}

function compileProvider(file: SourceFile, fi: number, name: string, raw: RawProvider, r: Reporter, root: string): ProviderPartial {
  const base = ['provider', name];
  const label = `provider "${name}"`;
  const params = compileLayer(file, fi, base, raw as Record<string, unknown>, label, r, root, PROVIDER_KEYS);
  const sources = new Map<string, Map<string, Setting>>();
  for (const [src, sb] of Object.entries(raw.sources ?? {})) {
    const sp = [...base, 'sources', src];
    const layer = compileLayer(file, fi, sp, sb as Record<string, unknown>, `${label} source "${src}"`, r, root, PROVIDER_KEYS);
    const sel = (sb as SourceBlock & { provider_source_selection_rate?: string }).provider_source_selection_rate;
    if (sel !== undefined) {
      const t = r.parse(file, [...sp, 'provider_source_selection_rate'], 'value.throttle', () => parseThrottle(sel));
      if (t) layer.set(`additional_source_selection_rates.${providerLimitName(name, src, 'selection-rate')}`, { value: t, raw: sel, at: { file: fi, base: sp, key: 'provider_source_selection_rate', block: `${label} source "${src}"` } });
    }
    sources.set(src, layer);
  }
  const automation = compileRules({ file, fileIndex: fi, block: label, scope: 'provider', owner: name, rollup: false }, [...base, 'automation'], raw.automation, r);
  const matches: ProviderMatch[] = (raw.match ?? []).map((m) =>
    'MXSuffix' in m ? { kind: 'MXSuffix', value: m.MXSuffix.toLowerCase() }
      : 'DomainSuffix' in m ? { kind: 'DomainSuffix', value: m.DomainSuffix.toLowerCase() }
        : { kind: 'HostName', value: m.HostName.toLowerCase().replace(/\.$/, '') },
  );
  const at = (k: string): Origin => (k ? { file: fi, base, key: k, block: label } : { file: fi, base, block: label });
  const out: ProviderPartial = { at: at(''), params, sources, automation, matches };
  if (raw.provider_connection_limit !== undefined) {
    const v = r.parse(file, [...base, 'provider_connection_limit'], 'value.limit', () => parseLimit(raw.provider_connection_limit));
    if (v) out.connectionLimit = { value: v, raw: raw.provider_connection_limit, at: at('provider_connection_limit') };
  }
  if (raw.provider_max_message_rate !== undefined) {
    const v = r.parse(file, [...base, 'provider_max_message_rate'], 'value.throttle', () => parseThrottle(raw.provider_max_message_rate!));
    if (v) out.maxMessageRate = { value: v, raw: raw.provider_max_message_rate, at: at('provider_max_message_rate') };
  }
  if (raw.provider_source_selection_rate !== undefined) {
    const v = r.parse(file, [...base, 'provider_source_selection_rate'], 'value.throttle', () => parseThrottle(raw.provider_source_selection_rate!));
    if (v) out.sourceSelectionRate = { value: v, raw: raw.provider_source_selection_rate, at: at('provider_source_selection_rate') };
  }
  return out;
}

function mergeProvider(into: ProviderPartial, from: ProviderPartial, replace: boolean): void {
  mergePartial(into, from, replace);
  if (replace) {
    into.matches = from.matches;
    into.connectionLimit = from.connectionLimit;
    into.maxMessageRate = from.maxMessageRate;
    into.sourceSelectionRate = from.sourceSelectionRate;
    return;
  }
  into.matches.push(...from.matches);
  if (from.connectionLimit) into.connectionLimit = from.connectionLimit;
  if (from.maxMessageRate) into.maxMessageRate = from.maxMessageRate;
  if (from.sourceSelectionRate) into.sourceSelectionRate = from.sourceSelectionRate;
}

/** KumoMTA's names for provider-wide limits, so that they are shared by every site of the provider. */
export function providerLimitName(provider: string, source: string, what: 'limit' | 'rate' | 'selection-rate'): string {
  return `shaping-provider-${provider}-${source}-${what}`;
}

