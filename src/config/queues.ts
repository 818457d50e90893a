// Queue settings (KumoMTA queues.toml format).
import { isIP } from 'node:net';
import { DomainMap } from './domain-map.js';
import { UNSPECIFIED } from './egress.js';
import type { EgressConfig } from './egress.js';
import type { CampaignQueue, MxEntry, Queues } from './generated/queues.js';
import type { Reporter } from './report.js';
import type { KeyPath, SourceFile } from './source-file.js';
import { parseDuration, parseHostPort, parseThrottle } from './values.js';
import type { Throttle } from './values.js';

export const DEFAULT_RETRY_INTERVAL_MS = 20 * 60_000;
export const DEFAULT_MAX_AGE_MS = 7 * 86_400_000;

/** One smarthost of an explicit route. */
export interface MxListEntry {
  /** host name (or the address itself for `[ip]` entries); also the TLS server name */
  readonly name: string;
  /** connect to this address instead of resolving `name` */
  readonly addr?: string;
  readonly port?: number;
}

export type DeliveryProtocol =
  | { readonly kind: 'smtp'; readonly mxList?: readonly MxListEntry[] }
  | { readonly kind: 'maildir'; readonly path: string; readonly dirMode?: number; readonly fileMode?: number };

/** The settings one table of the file states explicitly (absent keys inherit). */
export interface QueueLayer {
  readonly egressPool?: string;
  readonly retryIntervalMs?: number;
  readonly maxRetryIntervalMs?: number;
  readonly maxAgeMs?: number;
  readonly maxMessageRate?: Throttle;
  readonly routingDomain?: string;
  readonly protocol?: DeliveryProtocol;
}

/** The effective settings of one scheduled queue. */
export interface QueueParams {
  readonly egressPool: string;
  readonly retryIntervalMs: number;
  readonly maxRetryIntervalMs?: number;
  readonly maxAgeMs: number;
  readonly maxMessageRate?: Throttle;
  readonly routingDomain?: string;
  readonly protocol: DeliveryProtocol;
}

export interface TenantDef {
  readonly layer: QueueLayer;
  /** SMTP AUTH identities allowed to select this tenant by header (undefined = anyone) */
  readonly requireAuthz?: readonly string[];
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
  for (const l of layers) if (l) mergeLayer(p, l);
  return {
    egressPool: p.egressPool ?? UNSPECIFIED,
    retryIntervalMs: p.retryIntervalMs ?? DEFAULT_RETRY_INTERVAL_MS,
    maxRetryIntervalMs: p.maxRetryIntervalMs,
    maxAgeMs: p.maxAgeMs ?? DEFAULT_MAX_AGE_MS,
    maxMessageRate: p.maxMessageRate,
    routingDomain: p.routingDomain,
    protocol: p.protocol ?? { kind: 'smtp' },
  };
}

function mergeLayer(into: Record<string, unknown>, l: QueueLayer): void {
  for (const [k, v] of Object.entries(l)) if (v !== undefined) into[k] = v;
}

/** Compiles and merges the queues files in order (later files' keys win). */
export function compileQueues(files: SourceFile[], egress: EgressConfig, r: Reporter): QueueConfig {
  const top: {
    tenantHeader?: string;
    campaignHeader?: string;
    removeTenantHeader?: boolean;
    removeCampaignHeader?: boolean;
    defaultTenant?: { name: string; file: SourceFile };
  } = {};
  const tenants = new Map<string, { layer: QueueLayer; requireAuthz?: readonly string[] }>();
  let defaults: QueueLayer = {};
  const domains = new Map<string, { layer: QueueLayer; tenants: Map<string, { layer: QueueLayer; campaigns: Map<string, QueueLayer> }> }>();
  const merge = (a: QueueLayer | undefined, b: QueueLayer): QueueLayer => {
    const out: Record<string, unknown> = { ...(a ?? {}) };
    mergeLayer(out, b);
    return out as QueueLayer;
  };

  for (const file of files) {
    const data = file.data as Queues;
    if (data.tenant_header !== undefined) top.tenantHeader = headerName(file, ['tenant_header'], data.tenant_header, r);
    if (data.campaign_header !== undefined) top.campaignHeader = headerName(file, ['campaign_header'], data.campaign_header, r);
    if (data.remove_tenant_header !== undefined) top.removeTenantHeader = data.remove_tenant_header;
    if (data.remove_campaign_header !== undefined) top.removeCampaignHeader = data.remove_campaign_header;
    if (data.default_tenant !== undefined) top.defaultTenant = { name: data.default_tenant, file };

    for (const [name, t] of Object.entries(data.tenant ?? {})) {
      const { require_authz, ...params } = t;
      const prev = tenants.get(name);
      tenants.set(name, {
        layer: merge(prev?.layer, compileLayer(file, ['tenant', name], params, egress, r)),
        requireAuthz: require_authz ?? prev?.requireAuthz,
      });
    }

    for (const [pattern, dq] of Object.entries(data.queue ?? {})) {
      const path = ['queue', pattern];
      const [params, subs] = split(dq);
      if (pattern === 'default') {
        defaults = merge(defaults, compileLayer(file, path, params, egress, r));
        for (const t of Object.keys(subs))
          r.warn(file, [...path, t], 'queue.default-tenant', `[queue.default.'${t}'] has no effect: tenant settings belong under [tenant.'${t}'] or [queue.'domain'.'${t}']`);
        continue;
      }
      if (!validDomainPattern(pattern)) {
        r.error(file, path, 'value.domain', `queue."${pattern}": expected a domain, "*.suffix" or "default"`, 'key');
        continue;
      }
      const key = pattern.toLowerCase();
      const dom = domains.get(key) ?? { layer: {}, tenants: new Map() };
      domains.set(key, dom);
      dom.layer = merge(dom.layer, compileLayer(file, path, params, egress, r));
      for (const [tname, tq] of Object.entries(subs)) {
        const [tparams, campaigns] = split(tq);
        const tpath = [...path, tname];
        const tq2 = dom.tenants.get(tname) ?? { layer: {}, campaigns: new Map<string, QueueLayer>() };
        dom.tenants.set(tname, tq2);
        tq2.layer = merge(tq2.layer, compileLayer(file, tpath, tparams, egress, r));
        for (const [cname, cq] of Object.entries(campaigns)) {
          tq2.campaigns.set(cname, merge(tq2.campaigns.get(cname), compileLayer(file, [...tpath, cname], cq as CampaignQueue, egress, r)));
        }
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
    tenants,
    defaults,
    domains: new DomainMap([...domains].map(([k, v]) => [k, { layer: v.layer, tenants: v.tenants }] as [string, DomainQueues])),
  };
}

const PARAM_KEYS = new Set(['egress_pool', 'retry_interval', 'max_retry_interval', 'max_age', 'max_message_rate', 'routing_domain', 'mx_list', 'protocol']);

/** Splits a domain or tenant table into its own settings and its sub-tables (tenants or campaigns). */
function split<T extends object>(t: T): [CampaignQueue, Record<string, T>] {
  const params: Record<string, unknown> = {};
  const subs: Record<string, T> = {};
  for (const [k, v] of Object.entries(t)) {
    if (PARAM_KEYS.has(k)) params[k] = v;
    else subs[k] = v as T;
  }
  return [params as CampaignQueue, subs];
}

function compileLayer(file: SourceFile, path: KeyPath, q: CampaignQueue, egress: EgressConfig, r: Reporter): QueueLayer {
  const at = (k: string) => [...path, k];
  const dur = (k: 'retry_interval' | 'max_retry_interval' | 'max_age') => {
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
  const rate = q.max_message_rate === undefined ? undefined : r.parse(file, at('max_message_rate'), 'value.throttle', () => parseThrottle(q.max_message_rate!));
  if (q.routing_domain !== undefined && !/^[a-z0-9_]([a-z0-9_.-]*[a-z0-9])?\.?$/i.test(q.routing_domain))
    r.error(file, at('routing_domain'), 'value.domain', `routing_domain "${q.routing_domain}" is not a domain name`);

  let protocol: DeliveryProtocol | undefined;
  if (q.mx_list !== undefined && q.protocol !== undefined)
    r.error(file, at('mx_list'), 'value.protocol', 'give either mx_list or protocol, not both (mx_list is short for protocol.smtp.mx_list)', 'key');
  if (q.mx_list !== undefined) protocol = { kind: 'smtp', mxList: mxList(file, at('mx_list'), q.mx_list, r) };
  else if (q.protocol !== undefined) {
    const p = q.protocol;
    if (p.smtp && p.maildir_path !== undefined)
      r.error(file, at('protocol'), 'value.protocol', 'protocol: give either smtp or maildir_path, not both', 'key');
    if (p.maildir_path !== undefined) protocol = { kind: 'maildir', path: p.maildir_path, dirMode: p.dir_mode, fileMode: p.file_mode };
    else protocol = { kind: 'smtp', mxList: p.smtp?.mx_list ? mxList(file, [...at('protocol'), 'smtp', 'mx_list'], p.smtp.mx_list, r) : undefined };
  }
  return {
    egressPool: q.egress_pool,
    retryIntervalMs: retry || undefined,
    maxRetryIntervalMs: maxRetry,
    maxAgeMs: maxAge,
    maxMessageRate: rate,
    routingDomain: q.routing_domain?.toLowerCase().replace(/\.$/, ''),
    protocol,
  };
}

function mxList(file: SourceFile, path: KeyPath, list: MxEntry[], r: Reporter): MxListEntry[] {
  const out: MxListEntry[] = [];
  list.forEach((e, i) => {
    const parsed = r.parse(file, [...path, i], 'value.host-port', () => parseMxEntry(e));
    if (parsed) out.push(parsed);
  });
  return out;
}

/** `"mx.example.com"`, `"mx.example.com:2525"`, `"[10.0.0.1]"`, `"[::1]:25"`, or `{name, addr, port}`. */
export function parseMxEntry(e: MxEntry): MxListEntry {
  if (typeof e !== 'string') {
    if (e.addr !== undefined && !isIP(e.addr)) throw new Error(`"${e.addr}" is not an IP address`);
    return { name: e.name.toLowerCase(), addr: e.addr, port: e.port };
  }
  const lit = /^\[([^\]]+)\](?::(\d+))?$/.exec(e.trim());
  if (lit) {
    if (!isIP(lit[1])) throw new Error(`"${lit[1]}" in "${e}" is not an IP address`);
    const port = lit[2] === undefined ? undefined : Number(lit[2]);
    if (port !== undefined && (port < 1 || port > 65535)) throw new Error(`invalid port in "${e}"`);
    return { name: lit[1], addr: lit[1], port };
  }
  const hasPort = /:\d+$/.test(e) && e.indexOf(':') === e.lastIndexOf(':');
  const hp = parseHostPort(e.trim(), hasPort ? undefined : 0);
  if (hasPort && (hp.port < 1 || hp.port > 65535)) throw new Error(`invalid port in "${e}"`);
  return { name: hp.host.toLowerCase().replace(/\.$/, ''), addr: isIP(hp.host) ? hp.host : undefined, port: hasPort ? hp.port : undefined };
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
