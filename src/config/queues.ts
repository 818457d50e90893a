// Queue settings (KumoMTA queues.toml format, as its queue helper reads it).
import { parseAddressLiteral } from './address-literal.js';
import { DomainMap } from './domain-map.js';
import { UNSPECIFIED } from './egress.js';
import type { EgressConfig } from './egress.js';
import type { CampaignQueue, MxEntry, Queues, TenantCampaign } from './generated/queues.js';
import type { MxListEntry } from './mx-entry.js';
import { warnNotActed } from './not-acted.js';
import type { Reporter } from './report.js';
import type { KeyPath, SourceFile } from './source-file.js';
import { parseMxEntry } from './mx-entry.js';
import { parseDuration, parseThrottle } from './values.js';
import { compileHttpProtocol } from '../delivery/http-protocol.js';
import type { HttpProtocol } from '../delivery/http-protocol.js';
import { compileAmqpProtocol } from '../delivery/amqp-protocol.js';
import type { AmqpProtocol } from '../delivery/amqp-protocol.js';
import type { Throttle } from './values.js';

export const DEFAULT_RETRY_INTERVAL_MS = 20 * 60_000;
export const DEFAULT_MAX_AGE_MS = 7 * 86_400_000;
/** KumoMTA's reap_interval default: how long an empty queue keeps its metrics series. */
export const DEFAULT_REAP_INTERVAL_MS = 10 * 60_000;

export type { MxListEntry } from './mx-entry.js';
export { parseMxEntry } from './mx-entry.js';

export type DeliveryProtocol =
  | { readonly kind: 'smtp'; readonly mxList?: readonly MxListEntry[] }
  | { readonly kind: 'maildir'; readonly path: string; readonly dirMode?: number; readonly fileMode?: number }
  | HttpProtocol
  | AmqpProtocol;

/** The settings one table of the file states explicitly (absent keys inherit). */
export interface QueueLayer {
  readonly egressPool?: string;
  readonly retryIntervalMs?: number;
  readonly maxRetryIntervalMs?: number;
  readonly maxAgeMs?: number;
  readonly maxMessageRate?: Throttle;
  readonly routingDomain?: string;
  readonly protocol?: DeliveryProtocol;
  readonly reapIntervalMs?: number;
  /** keys accepted for KumoMTA compatibility that kumo-ts does not act on yet, as written */
  readonly notActed?: Readonly<Record<string, unknown>>;
}

/** The effective settings of one scheduled queue. */
export interface QueueParams {
  readonly egressPool: string;
  readonly retryIntervalMs: number;
  readonly maxRetryIntervalMs?: number;
  readonly maxAgeMs: number;
  readonly maxMessageRate?: Throttle;
  /** as written (lower case); an address literal `[10.0.0.1]` routes to that address */
  readonly routingDomain?: string;
  readonly protocol: DeliveryProtocol;
  /** how long the queue stays empty before its metrics series are dropped (KumoMTA reap_interval) */
  readonly reapIntervalMs: number;
  /** the merged keys that are not acted on yet (for `explain`) */
  readonly notActed: Readonly<Record<string, unknown>>;
}

export interface TenantDef {
  readonly layer: QueueLayer;
  /** SMTP AUTH identities allowed to select this tenant by header (undefined = anyone) */
  readonly requireAuthz?: readonly string[];
  /** overall_max_message_rate of the tenant and of its campaigns: across all their queues (src/queue/rate-stages.ts) */
  readonly overallMaxMessageRate?: Throttle;
  readonly campaignRates: ReadonlyMap<string, Throttle>;
}

interface TenantQueues {
  readonly layer: QueueLayer;
  readonly campaigns: ReadonlyMap<string, QueueLayer>;
}

interface DomainQueues {
  readonly layer: QueueLayer;
  readonly tenants: ReadonlyMap<string, TenantQueues>;
}

export interface QueueConfig {
  /** header naming the tenant; reception reads it into SpoolMeta.tenant */
  readonly tenantHeader?: string;
  /** header naming the campaign; reception reads it into SpoolMeta.campaign */
  readonly campaignHeader?: string;
  /** strip the tenant/campaign header after reading it (default true) */
  readonly removeTenantHeader: boolean;
  readonly removeCampaignHeader: boolean;
  /** tenant of messages without a tenant header */
  readonly defaultTenant?: string;
  /** KumoMTA's scheduling_header: a JSON schedule read (and removed) at reception (src/queue/schedule.ts) */
  readonly schedulingHeader?: string;
  readonly tenants: ReadonlyMap<string, TenantDef>;
  /** [queue.default] */
  readonly defaults: QueueLayer;
  /** [queue.'domain'] with wildcards (`*.example.com`) */
  readonly domains: DomainMap<DomainQueues>;
}

/**
 * The effective settings for (domain, tenant, campaign), layered as KumoMTA's queue helper
 * does: [queue.default], [queue.'domain'], [tenant.'t'], [queue.'domain'.'t'],
 * [queue.'domain'.'t'.'campaign'], later winning.
 */
export function queueParams(cfg: QueueConfig, domain: string, tenant?: string, campaign?: string): QueueParams {
  const d = cfg.domains.get(domain);
  const t = tenant !== undefined ? d?.tenants.get(tenant) : undefined;
  const layers = [
    cfg.defaults,
    d?.layer,
    tenant !== undefined ? cfg.tenants.get(tenant)?.layer : undefined,
    t?.layer,
    campaign !== undefined ? t?.campaigns.get(campaign) : undefined,
  ];
  const p: { -readonly [K in keyof QueueLayer]: QueueLayer[K] } = {};
  const notActed: Record<string, unknown> = {};
  for (const l of layers) {
    if (!l) continue;
    mergeLayer(p, l);
    Object.assign(notActed, l.notActed);
  }
  let protocol: DeliveryProtocol = p.protocol ?? { kind: 'smtp' };
  // KumoMTA routes `routing_domain = '[10.0.0.1]'` to that address (no MX lookup): here the
  // same as an mx_list of that one address, unless the queue names smarthosts itself
  const literal = p.routingDomain !== undefined ? literalOf(p.routingDomain) : undefined;
  if (literal && protocol.kind === 'smtp' && !protocol.mxList?.length)
    protocol = { kind: 'smtp', mxList: [{ name: literal.addr, addr: literal.addr, ...(literal.port !== undefined ? { port: literal.port } : {}) }] };
  return {
    egressPool: p.egressPool ?? UNSPECIFIED,
    retryIntervalMs: p.retryIntervalMs ?? DEFAULT_RETRY_INTERVAL_MS,
    maxRetryIntervalMs: p.maxRetryIntervalMs,
    maxAgeMs: p.maxAgeMs ?? DEFAULT_MAX_AGE_MS,
    maxMessageRate: p.maxMessageRate,
    routingDomain: p.routingDomain,
    protocol,
    reapIntervalMs: p.reapIntervalMs ?? DEFAULT_REAP_INTERVAL_MS,
    notActed,
  };
}

function literalOf(v: string) {
  try {
    return parseAddressLiteral(v);
    /* c8 ignore start -- guard: routing_domain reaches here only after compileLayer parsed it as a literal */
  } catch {
    return undefined; // reported when compiled
  }
  /* c8 ignore stop */
}

function mergeLayer(into: Record<string, unknown>, l: QueueLayer): void {
  for (const [k, v] of Object.entries(l)) if (v !== undefined && k !== 'notActed') into[k] = v;
}

type MutableTenant = { layer: QueueLayer; requireAuthz?: readonly string[]; overallMaxMessageRate?: Throttle; campaignRates: Map<string, Throttle> };

/** Compiles and merges the queues files in order (later files' keys win). */
export function compileQueues(files: SourceFile[], egress: EgressConfig, r: Reporter, root = process.cwd()): QueueConfig {
  const top: {
    tenantHeader?: string;
    campaignHeader?: string;
    removeTenantHeader?: boolean;
    removeCampaignHeader?: boolean;
    schedulingHeader?: string;
    defaultTenant?: { name: string; file: SourceFile };
  } = {};
  const tenants = new Map<string, MutableTenant>();
  let defaults: QueueLayer = {};
  const domains = new Map<string, { layer: QueueLayer; tenants: Map<string, { layer: QueueLayer; campaigns: Map<string, QueueLayer> }> }>();

  for (const file of files) {
    const data = file.data as Queues;
    if (data.tenant_header !== undefined) top.tenantHeader = headerName(file, ['tenant_header'], data.tenant_header, r);
    if (data.campaign_header !== undefined) top.campaignHeader = headerName(file, ['campaign_header'], data.campaign_header, r);
    if (data.remove_tenant_header !== undefined) top.removeTenantHeader = data.remove_tenant_header;
    if (data.remove_campaign_header !== undefined) top.removeCampaignHeader = data.remove_campaign_header;
    if (data.default_tenant !== undefined) top.defaultTenant = { name: data.default_tenant, file };
    if (data.scheduling_header !== undefined) {
      top.schedulingHeader = headerName(file, ['scheduling_header'], data.scheduling_header, r);
    }

    for (const [name, t] of Object.entries(data.tenant ?? {})) {
      const { require_authz, overall_max_message_rate, campaigns, ...params } = t;
      const path = ['tenant', name];
      const prev = tenants.get(name) ?? { layer: {}, campaignRates: new Map<string, Throttle>() };
      const next: MutableTenant = {
        layer: merge(prev.layer, compileLayer(file, path, params, egress, r, root)),
        requireAuthz: require_authz ?? prev.requireAuthz,
        overallMaxMessageRate: prev.overallMaxMessageRate,
        campaignRates: prev.campaignRates,
      };
      if (overall_max_message_rate !== undefined) {
        next.overallMaxMessageRate = throttle(file, [...path, 'overall_max_message_rate'], overall_max_message_rate, r) ?? next.overallMaxMessageRate;
      }
      for (const [cname, c] of Object.entries(campaigns ?? {})) tenantCampaign(file, [...path, 'campaigns', cname], c, next.campaignRates, cname, r);
      tenants.set(name, next);
    }

    for (const [pattern, dq] of Object.entries(data.queue ?? {})) {
      const path = ['queue', pattern];
      const [params, subs] = split(dq as Record<string, unknown>, 'tenants', path);
      if (pattern === 'default') {
        defaults = merge(defaults, compileLayer(file, path, params, egress, r, root));
        for (const { name: t, path: tpath } of subs)
          r.warn(file, tpath, 'queue.default-tenant', `[queue.default.'${t}'] has no effect: tenant settings belong under [tenant.'${t}'] or [queue.'domain'.'${t}']`);
        continue;
      }
      if (!validDomainPattern(pattern)) {
        r.error(file, path, 'value.domain', `queue."${pattern}": expected a domain, "*.suffix" or "default"`, 'key');
        continue;
      }
      const key = pattern.toLowerCase();
      const dom = domains.get(key) ?? { layer: {}, tenants: new Map() };
      domains.set(key, dom);
      dom.layer = merge(dom.layer, compileLayer(file, path, params, egress, r, root));
      for (const { name: tname, path: tpath, value } of subs) {
        const [tparams, campaigns] = split(value as Record<string, unknown>, 'campaigns', tpath);
        const tq = dom.tenants.get(tname) ?? { layer: {}, campaigns: new Map<string, QueueLayer>() };
        dom.tenants.set(tname, tq);
        tq.layer = merge(tq.layer, compileLayer(file, tpath, tparams, egress, r, root));
        for (const { name: cname, path: cpath, value: cq } of campaigns)
          tq.campaigns.set(cname, merge(tq.campaigns.get(cname), compileLayer(file, cpath, cq as CampaignQueue, egress, r, root)));
      }
    }
  }

  if (top.defaultTenant && !tenants.has(top.defaultTenant.name)) {
    const known = [...tenants.keys()].map((t) => `"${t}"`).join(', ') || 'none';
    r.error(top.defaultTenant.file, ['default_tenant'], 'ref.unknown-tenant', `default_tenant "${top.defaultTenant.name}" is not defined under [tenant] (defined: ${known})`);
  }

  return {
    tenantHeader: top.tenantHeader,
    campaignHeader: top.campaignHeader,
    removeTenantHeader: top.removeTenantHeader ?? true,
    removeCampaignHeader: top.removeCampaignHeader ?? true,
    defaultTenant: top.defaultTenant?.name,
    schedulingHeader: top.schedulingHeader,
    tenants,
    defaults,
    domains: new DomainMap([...domains].map(([k, v]) => [k, { layer: v.layer, tenants: v.tenants }] as [string, DomainQueues])),
  };
}

function merge(a: QueueLayer | undefined, b: QueueLayer): QueueLayer {
  const out: Record<string, unknown> = { ...(a ?? {}) };
  mergeLayer(out, b);
  if (a?.notActed || b.notActed) out.notActed = { ...a?.notActed, ...b.notActed };
  return out as QueueLayer;
}

/** Keys of a queue table that are settings (KumoMTA's make_queue_config keys and the helper's own). */
const PARAM_KEYS = new Set([
  'egress_pool', 'retry_interval', 'max_retry_interval', 'max_age', 'max_message_rate', 'routing_domain', 'mx_list', 'protocol',
  'reap_interval', 'refresh_interval', 'refresh_strategy', 'timerwheel_tick_interval', 'strategy', 'provider_name', 'shrink_policy',
  'overall_max_message_rate',
]);

/** Why the not-acted keys outside make_queue_config's own are ignored (validate and explain say it). */
export const NOT_ACTED_WHY = {
  queue_rate: "KumoMTA's queue helper applies it only under [tenant.'t'] and [tenant.'t'.campaigns.'c']",
} as const;

/** make_queue_config keys kumo-ts does not act on yet, and why. */
export const QUEUE_NOT_ACTED: Readonly<Record<string, string>> = {
  refresh_interval: 'every config change applies at the next decision',
  refresh_strategy: 'kumo-ts always follows the config epoch',
  timerwheel_tick_interval: "KumoMTA's timer wheel tick; kumo-ts schedules with its own timer heap",
  strategy: "KumoMTA's scheduled-queue data structure",
  provider_name: 'no per-provider metrics rollups yet',
  shrink_policy: 'queued messages are kept on disk, not in memory',
};

interface Sub<T> {
  name: string;
  path: KeyPath;
  value: T;
}

/**
 * Splits a domain or tenant table into its own settings and its sub-tables (tenants or
 * campaigns). `nested` is KumoMTA's explicit spelling of the same sub-tables
 * (`[queue.'d'.tenants.'t']`, `[queue.'d'.'t'.campaigns.'c']`).
 */
function split<T extends object>(t: Record<string, unknown>, nested: 'tenants' | 'campaigns', path: KeyPath): [CampaignQueue, Sub<T>[]] {
  const params: Record<string, unknown> = {};
  const subs: Sub<T>[] = [];
  for (const [k, v] of Object.entries(t)) {
    if (PARAM_KEYS.has(k)) params[k] = v;
    else if (k === nested && v && typeof v === 'object') for (const [n, sv] of Object.entries(v)) subs.push({ name: n, path: [...path, k, n], value: sv as T });
    else subs.push({ name: k, path: [...path, k], value: v as T });
  }
  return [params as CampaignQueue, subs];
}

function compileLayer(file: SourceFile, path: KeyPath, q: CampaignQueue, egress: EgressConfig, r: Reporter, root: string): QueueLayer {
  const at = (k: string) => [...path, k];
  const dur = (k: 'retry_interval' | 'max_retry_interval' | 'max_age' | 'reap_interval' | 'refresh_interval' | 'timerwheel_tick_interval') => {
    const v = q[k];
    return v === undefined ? undefined : r.parse(file, at(k), 'value.duration', () => parseDuration(v));
  };
  if (q.egress_pool !== undefined && !egress.pools.has(q.egress_pool)) {
    const known = [...egress.pools.keys()].map((p) => `"${p}"`).join(', ');
    r.error(file, at('egress_pool'), 'ref.unknown-pool', `egress_pool "${q.egress_pool}" is not defined in the sources files (known: ${known})`);
  }
  const retry = dur('retry_interval');
  if (retry === 0) r.error(file, at('retry_interval'), 'value.duration', 'retry_interval must be greater than 0');
  const maxRetry = dur('max_retry_interval');
  const maxAge = dur('max_age');
  const rate = q.max_message_rate === undefined ? undefined : throttle(file, at('max_message_rate'), q.max_message_rate, r);
  let routingDomain: string | undefined;
  if (q.routing_domain !== undefined) routingDomain = routingDomainOf(file, at('routing_domain'), q.routing_domain, r);

  const notActed: Record<string, unknown> = {};
  for (const [k, why] of Object.entries(QUEUE_NOT_ACTED)) {
    const v = (q as Record<string, unknown>)[k];
    if (v === undefined) continue;
    if (k === 'refresh_interval' || k === 'timerwheel_tick_interval') dur(k);
    notActed[k] = v;
    warnNotActed(r, file, at(k), why);
  }
  if (q.overall_max_message_rate !== undefined) {
    throttle(file, at('overall_max_message_rate'), q.overall_max_message_rate, r);
    notActed.overall_max_message_rate = q.overall_max_message_rate;
    warnNotActed(r, file, at('overall_max_message_rate'), NOT_ACTED_WHY.queue_rate);
  }

  let protocol: DeliveryProtocol | undefined;
  if (q.mx_list !== undefined && q.protocol !== undefined)
    r.error(file, at('mx_list'), 'value.protocol', 'give either mx_list or protocol, not both (mx_list is short for protocol.smtp.mx_list)', 'key');
  if (q.mx_list !== undefined) protocol = { kind: 'smtp', mxList: mxList(file, at('mx_list'), q.mx_list, r) };
  else if (q.protocol !== undefined) {
    const p = q.protocol;
    const pp = at('protocol');
    const kinds = (['smtp', 'maildir_path', 'http', 'amqp', 'custom_lua', 'xfer'] as const).filter((k) => p[k] !== undefined);
    if (kinds.length > 1) r.error(file, pp, 'value.protocol', `protocol: give one of smtp, maildir_path, http, amqp, custom_lua or xfer, not ${kinds.join(' and ')}`, 'key');
    if (p.custom_lua !== undefined) {
      notActed['protocol.custom_lua'] = p.custom_lua;
      warnNotActed(r, file, [...pp, 'custom_lua'], 'kumo-ts has no Lua: this queue delivers by SMTP');
      if (p.custom_lua.max_batch_latency !== undefined) {
        const v = p.custom_lua.max_batch_latency;
        r.parse(file, [...pp, 'custom_lua', 'max_batch_latency'], 'value.duration', () => parseDuration(v));
      }
    }
    if (p.xfer !== undefined) {
      notActed['protocol.xfer'] = p.xfer;
      warnNotActed(r, file, [...pp, 'xfer'], 'this queue delivers by SMTP');
      if (!/^https?:\/\/[^/\s]+/i.test(p.xfer.target)) r.error(file, [...pp, 'xfer', 'target'], 'value.url', `protocol.xfer.target: "${p.xfer.target}" is not an http(s) URL`);
    }
    if (p.smtp?.treat_mx_list_as_secure !== undefined) {
      notActed['protocol.smtp.treat_mx_list_as_secure'] = p.smtp.treat_mx_list_as_secure;
      warnNotActed(r, file, [...pp, 'smtp', 'treat_mx_list_as_secure'], 'DANE applies to MX routes only: an mx_list route gets no DANE and no MTA-STS (KumoMTA without this key)');
    }
    if (p.maildir_path !== undefined) protocol = { kind: 'maildir', path: p.maildir_path, dirMode: p.dir_mode, fileMode: p.file_mode };
    else if (p.http !== undefined) protocol = compileHttpProtocol(file, [...pp, 'http'], p.http, root, r);
    else if (p.amqp !== undefined) protocol = compileAmqpProtocol(file, [...pp, 'amqp'], p.amqp, root, r);
    else protocol = { kind: 'smtp', mxList: p.smtp?.mx_list ? mxList(file, [...pp, 'smtp', 'mx_list'], p.smtp.mx_list, r) : undefined };
  }
  return {
    egressPool: q.egress_pool,
    retryIntervalMs: retry || undefined,
    maxRetryIntervalMs: maxRetry,
    maxAgeMs: maxAge,
    maxMessageRate: rate,
    routingDomain,
    protocol,
    reapIntervalMs: dur('reap_interval'),
    ...(Object.keys(notActed).length ? { notActed } : {}),
  };
}

/** [tenant.'t'.campaigns.'c']: KumoMTA's helper uses only overall_max_message_rate here. */
function tenantCampaign(file: SourceFile, path: KeyPath, c: TenantCampaign, rates: Map<string, Throttle>, name: string, r: Reporter): void {
  for (const [k, v] of Object.entries(c)) {
    if (k === 'overall_max_message_rate') {
      const t = throttle(file, [...path, k], v as string, r);
      if (t) rates.set(name, t);
    } else warnNotActed(r, file, [...path, k], "KumoMTA's queue helper applies no queue setting of [tenant.'t'.campaigns.'c']; set it under [queue.'domain'.'t'.'c']");
  }
}

function throttle(file: SourceFile, path: KeyPath, v: string, r: Reporter): Throttle | undefined {
  return r.parse(file, path, 'value.throttle', () => parseThrottle(v));
}

/** A domain name, or an address literal such as `[10.0.0.1]` (KumoMTA routes to it directly). */
function routingDomainOf(file: SourceFile, path: KeyPath, v: string, r: Reporter): string | undefined {
  if (v.trim().startsWith('[')) {
    const lit = r.parse(file, path, 'value.domain', () => parseAddressLiteral(v));
    return lit ? v.trim().toLowerCase() : undefined;
  }
  if (!/^[a-z0-9_]([a-z0-9_.-]*[a-z0-9])?\.?$/i.test(v)) {
    r.error(file, path, 'value.domain', `routing_domain "${v}" is not a domain name or an address literal such as "[10.0.0.1]"`);
    return undefined;
  }
  return v.toLowerCase().replace(/\.$/, '');
}

function mxList(file: SourceFile, path: KeyPath, list: MxEntry[], r: Reporter): MxListEntry[] {
  const out: MxListEntry[] = [];
  list.forEach((e, i) => {
    const parsed = r.parse(file, [...path, i], 'value.host-port', () => parseMxEntry(e));
    if (parsed) out.push(parsed);
  });
  return out;
}

function validDomainPattern(p: string): boolean {
  return p === '*' || /^(\*\.)?[a-z0-9_]([a-z0-9_.-]*[a-z0-9])?\.?$/i.test(p);
}

function headerName(file: SourceFile, path: KeyPath, v: string, r: Reporter): string | undefined {
  if (!/^[!-9;-~]+$/.test(v)) {
    r.error(file, path, 'value.header', `"${v}" is not a valid header field name`);
    return undefined;
  }
  return v;
}
