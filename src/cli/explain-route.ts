import { NOT_ACTED_WHY, QUEUE_NOT_ACTED, queueParams } from '../config/queues.js';
import type { QueueParams } from '../config/queues.js';
import type { Snapshot } from '../config/snapshot.js';
import { readyQueueIdentity } from '../delivery/ready-queue-name.js';
import type { IdentityRoute } from '../delivery/ready-queue-name.js';
import { factorNames, resolveMxSite } from '../dns/mx-site.js';
import { DnsError } from '../dns/resolver.js';
import type { Resolver } from '../dns/resolver.js';
import { mxListLabel, resolveRoute, RouteError } from '../dns/route.js';
import { SourceSelector } from '../egress/selector.js';
import { queueName } from '../queue/naming.js';
import { displayValue } from '../shaping/param-values.js';

/** What `kumo-ts explain` says about the way a message to a domain takes, before shaping. */
export interface RouteExplanation {
  readonly domain: string;
  /** the scheduled queue (`campaign:tenant@domain!routing_domain`) */
  readonly queue: string;
  readonly tenant?: string;
  readonly tenantFrom?: 'option' | 'default_tenant';
  readonly campaign?: string;
  /** the domain whose MX (or address literal) the mail goes to, and its shaping */
  readonly routingDomain: string;
  readonly protocol: 'smtp' | 'maildir' | 'http' | 'amqp';
  readonly maildirPath?: string;
  /** HTTP delivery: method and URL */
  readonly httpUrl?: string;
  /** AMQP delivery: broker (no password), exchange, routing key, body */
  readonly amqpTarget?: string;
  /** the configured smarthosts, when the queue names them */
  readonly mxList?: string;
  readonly retry: { readonly retryInterval: string; readonly maxRetryInterval?: string; readonly maxAge: string; readonly maxMessageRate?: string; readonly tenantRate?: string; readonly campaignRate?: string };
  readonly pool: { readonly name: string; readonly sources: readonly { readonly name: string; readonly weight: number }[] };
  /** the egress source explained; undefined when the pool has no usable source */
  readonly source?: {
    readonly name: string;
    readonly chosen: 'option' | 'pool';
    readonly inPool: boolean;
    readonly address?: string;
    readonly ehloDomain?: string;
    readonly remotePort?: number;
    readonly proxy?: string;
  };
  /** the site of the ready queue, the MX rollup it comes from (when different), the MX hosts */
  readonly site: string;
  readonly mxSite?: string;
  readonly mxHosts: readonly string[];
  readonly readyQueue?: string;
  /** the port for hosts without their own (source remote_port, else 25) */
  readonly port?: number;
  /** hosts and the addresses that would be tried, in order */
  readonly hosts: readonly { readonly name: string; readonly addrs: readonly string[]; readonly port: number }[];
  /** why the route (or part of it) cannot be resolved now */
  readonly routeError?: string;
  /** about the MX lookup: null MX, no MX, failure */
  readonly note?: string;
  /** values that are parsed but not acted on yet, `name = value` */
  /** settings of the route (queue, tenant, egress source) that are parsed but not acted on yet, and why */
  readonly notActed: readonly { readonly name: string; readonly value: string; readonly reason?: string }[];
}

export interface RouteQuery {
  readonly domain: string;
  readonly tenant?: string;
  readonly campaign?: string;
  /** explain this egress source instead of the pool's first pick */
  readonly source?: string;
}

/**
 * Works out the route with the functions delivery uses (queueParams, the source selector,
 * resolveRoute, readyQueueIdentity). When DNS cannot give the whole route, as much as it can
 * give is shown (the site from the MX names even when their addresses do not resolve).
 */
export async function explainRoute(snap: Snapshot, resolver: Resolver, q: RouteQuery): Promise<RouteExplanation> {
  const domain = q.domain.toLowerCase().replace(/\.$/, '');
  const tenantFrom: RouteExplanation['tenantFrom'] = q.tenant !== undefined ? 'option' : snap.queues.defaultTenant !== undefined ? 'default_tenant' : undefined;
  const tenant = q.tenant ?? snap.queues.defaultTenant;
  const params = queueParams(snap.queues, domain, tenant, q.campaign);
  const routingDomain = params.routingDomain ?? domain;
  const queue = queueName({ domain, tenant, campaign: q.campaign, routingDomain: params.routingDomain });

  const pool = snap.egress.pools.get(params.egressPool);
  const poolSources = (pool?.entries ?? []).map((e) => ({ name: e.source, weight: e.weight }));
  const sourceName = q.source ?? new SourceSelector().pick(snap.egress, params.egressPool);
  const src = sourceName === undefined ? undefined : snap.egress.sources.get(sourceName);
  const source = sourceName === undefined ? undefined : {
    name: sourceName,
    chosen: q.source !== undefined ? ('option' as const) : ('pool' as const),
    inPool: poolSources.some((s) => s.name === sourceName),
    ...(src?.sourceAddress ? { address: src.sourceAddress } : {}),
    ...(src?.ehloDomain ? { ehloDomain: src.ehloDomain } : {}),
    ...(src?.remotePort ? { remotePort: src.remotePort } : {}),
    ...(src?.haProxy ? { proxy: `HAProxy ${src.haProxy.server.host}:${src.haProxy.server.port} (as ${src.haProxy.sourceAddress})` } : {}),
    ...(src?.socks5 ? { proxy: `SOCKS5 ${src.socks5.server.host}:${src.socks5.server.port}` } : {}),
  };

  const base = {
    domain, queue, ...(tenant !== undefined ? { tenant, tenantFrom } : {}), ...(q.campaign !== undefined ? { campaign: q.campaign } : {}),
    routingDomain, retry: retryOf(params, snap, tenant, q.campaign), pool: { name: params.egressPool, sources: poolSources }, ...(source ? { source } : {}),
    notActed: [...notActedOf(params), ...Object.entries(src?.notActed ?? {}).map(([k, v]) => ({ name: `source "${sourceName}" ${k}`, value: displayValue(v.value), reason: v.reason }))],
  };
  if (params.protocol.kind === 'maildir')
    return { ...base, protocol: 'maildir', maildirPath: params.protocol.path, site: domain, mxHosts: [], hosts: [] };
  if (params.protocol.kind === 'http')
    return { ...base, protocol: 'http', httpUrl: `${params.protocol.method} ${params.protocol.url} (body ${params.protocol.body})`, site: `http:${params.protocol.origin}`, mxHosts: [], hosts: [] };
  if (params.protocol.kind === 'amqp') {
    const a = params.protocol;
    const amqpTarget = `${a.endpoint} exchange "${a.exchange}" routing_key "${a.routingKey}" (body ${a.body}, confirm timeout ${Math.round(a.timeoutMs / 1000)}s, unroutable ${a.unroutable})`;
    return { ...base, protocol: 'amqp', amqpTarget, site: `amqp:${a.endpoint}`, mxHosts: [], hosts: [] };
  }

  const mxList = params.protocol.mxList;
  let note: string | undefined;
  let identity: IdentityRoute | undefined;
  let routeError: string | undefined;
  let hosts: { name: string; addrs: readonly string[]; port?: number }[] = [];
  if (!mxList?.length) {
    try {
      const mx = await resolveMxSite(resolver, routingDomain);
      if (mx.nullMx) note = 'null MX: the domain accepts no mail';
      else {
        if (mx.implicit) note = 'no MX records: the domain itself is its mail host';
        identity = { site: mx.site, mxHosts: mx.mxHosts, hosts: [], explicit: false };
      }
    } catch (e) {
      note = `MX lookup failed (${e instanceof DnsError ? e.code : (e as Error).message}); the site is shown as the domain`;
    }
  } else {
    const names = mxList.map((e) => e.name);
    identity = { site: factorNames(names), mxListLabel: mxListLabel(mxList), mxHosts: names, hosts: [], explicit: true };
  }
  try {
    const route = await resolveRoute(resolver, routingDomain, { mxList, allowLoopback: snap.main.dns.allowLoopbackDestinations });
    identity = route;
    hosts = [...route.hosts];
  } catch (e) {
    if (!(e instanceof RouteError)) throw e;
    routeError = `${e.permanent ? 'permanent' : 'temporary'} failure ${e.code} ${e.enhanced}: ${e.message}`;
  }
  const id = identity && source ? readyQueueIdentity(snap, source.name, routingDomain, identity) : undefined;
  const port = id?.port ?? src?.remotePort ?? 25;
  return {
    ...base,
    protocol: 'smtp',
    ...(mxList?.length ? { mxList: mxListLabel(mxList) } : {}),
    site: id?.site ?? identity?.site ?? routingDomain,
    ...(id && id.mxSite !== id.site ? { mxSite: id.mxSite } : {}),
    mxHosts: identity?.mxHosts ?? [],
    ...(id ? { readyQueue: id.name, port } : {}),
    hosts: hosts.map((h) => ({ name: h.name, addrs: h.addrs, port: h.port ?? port })),
    ...(routeError ? { routeError } : {}),
    ...(note ? { note } : {}),
  };
}

function retryOf(p: QueueParams, snap: Snapshot, tenant: string | undefined, campaign: string | undefined): RouteExplanation['retry'] {
  // the tenant's and campaign's overall_max_message_rate (src/queue/rate-stages.ts)
  const t = tenant !== undefined ? snap.queues.tenants.get(tenant) : undefined;
  const c = campaign !== undefined ? t?.campaignRates.get(campaign) : undefined;
  return {
    ...(t?.overallMaxMessageRate ? { tenantRate: t.overallMaxMessageRate.spec } : {}),
    ...(c ? { campaignRate: c.spec } : {}),
    retryInterval: ms(p.retryIntervalMs),
    ...(p.maxRetryIntervalMs !== undefined ? { maxRetryInterval: ms(p.maxRetryIntervalMs) } : {}),
    maxAge: ms(p.maxAgeMs),
    ...(p.maxMessageRate ? { maxMessageRate: p.maxMessageRate.spec } : {}),
  };
}

function notActedOf(p: QueueParams): { name: string; value: string; reason?: string }[] {
  const out: { name: string; value: string; reason?: string }[] = Object.entries(p.notActed).map(([k, v]) => ({ name: `queue ${k}`, value: displayValue(v), reason: QUEUE_NOT_ACTED[k] ?? (k === 'overall_max_message_rate' ? NOT_ACTED_WHY.queue_rate : undefined) }));
  return out;
}

/** 1200000 → "20m", 604800000 → "7d", 90000 → "1m30s". */
export function ms(v: number): string {
  if (v === 0) return '0s';
  const parts: string[] = [];
  let rest = Math.round(v / 1000);
  for (const [unit, n] of [['d', 86400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    if (rest >= n) {
      parts.push(`${Math.floor(rest / n)}${unit}`);
      rest %= n;
    }
  }
  return parts.join('') || `${v}ms`;
}

/** The route section of `kumo-ts explain`. */
export function formatRoute(r: RouteExplanation): string[] {
  const out: string[] = ['route:'];
  const who = [
    ...(r.tenant !== undefined ? [`tenant "${r.tenant}"${r.tenantFrom === 'default_tenant' ? ' (default_tenant)' : ''}`] : []),
    ...(r.campaign !== undefined ? [`campaign "${r.campaign}"`] : []),
    ...(r.routingDomain !== r.domain ? [`routing_domain ${r.routingDomain}`] : []),
  ];
  out.push(`  queue:     ${r.queue}${who.length ? `  (${who.join(', ')})` : ''}`);
  out.push(`  protocol:  ${r.protocol === 'maildir' ? `maildir ${r.maildirPath}` : r.protocol === 'http' ? `http ${r.httpUrl}` : r.protocol === 'amqp' ? `amqp ${r.amqpTarget}` : r.mxList ? `smtp to mx_list ${r.mxList}` : 'smtp to the MX hosts'}`);
  const retry = [`retry_interval ${r.retry.retryInterval}`, `max_retry_interval ${r.retry.maxRetryInterval ?? '(none)'}`, `max_age ${r.retry.maxAge}`, `max_message_rate ${r.retry.maxMessageRate ?? '(none)'}`,
    ...(r.retry.tenantRate ? [`tenant overall_max_message_rate ${r.retry.tenantRate}`] : []), ...(r.retry.campaignRate ? [`campaign overall_max_message_rate ${r.retry.campaignRate}`] : [])];
  out.push(`  retry:     ${retry.join(', ')}`);
  const members = r.pool.sources.map((s) => `${s.name} (weight ${s.weight})`).join(', ');
  out.push(`  pool:      "${r.pool.name}": ${members || '(no sources: messages wait until one is added)'}`);
  if (r.source) {
    const how = r.source.chosen === 'option' ? (r.source.inPool ? '--source' : `--source; not in pool "${r.pool.name}"`) : 'first pick of the pool; --source NAME for another';
    const what = [r.source.address ? `from ${r.source.address}` : 'the kernel picks the address', ...(r.source.ehloDomain ? [`EHLO ${r.source.ehloDomain}`] : []), ...(r.source.proxy ? [`via ${r.source.proxy}`] : [])];
    out.push(`  source:    ${r.source.name} (${how}): ${what.join(', ')}`);
  } else out.push('  source:    (none usable: every source of the pool has weight 0)');
  if (r.protocol === 'smtp') {
    if (r.hosts.length) out.push(`  hosts:     ${r.hosts.map((h) => `${h.name} [${h.addrs.join(', ')}]:${h.port}`).join('; ')}`);
    else if (r.port !== undefined) out.push(`  port:      ${r.port}`);
    if (r.routeError) out.push(`  route:     ${r.routeError}`);
  }
  if (r.notActed.length) out.push(`  not acted on yet: ${r.notActed.map((n) => `${n.name} = ${n.value}${n.reason ? ` (${n.reason})` : ''}`).join('; ')}`);
  return out;
}
