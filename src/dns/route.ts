import { isIP } from 'node:net';
import type { MxListEntry } from '../config/queues.js';
import { CidrSet } from '../config/values.js';
import { factorNames, resolveMxSite } from './mx-site.js';
import { DnsError } from './resolver.js';
import type { Resolver } from './resolver.js';
import type { RouteTlsPolicy } from '../tls-policy/route-policy.js';

/** One destination host, with the addresses to try in order. */
export interface RouteHost {
  readonly name: string;
  readonly addrs: readonly string[];
  /** explicit port (mx_list "host:port"); otherwise the source's remote_port or 25 */
  readonly port?: number;
}

/** Where the mail for a domain goes. */
export interface Route {
  /** MX rollup name of the destination hosts (for an mx_list route, of the smarthost names) */
  readonly site: string;
  /**
   * mx_list routes: the smarthosts as configured, ports included (`[127.0.0.1]:2526,mx.b.test`);
   * part of the ready queue identity (site `mx_list:<label>`), so routes that differ only in a
   * port never share a queue or a connection
   */
  readonly mxListLabel?: string;
  /** when the lookup behind this route finished (ms): a ready queue keeps the freshest */
  readonly resolvedAt?: number;
  /** host names in preference order */
  readonly mxHosts: readonly string[];
  readonly hosts: readonly RouteHost[];
  /** true for an mx_list (smarthost) route: loopback destinations are allowed */
  readonly explicit: boolean;
  /** MTA-STS or DANE policy of the destination domain (src/tls-policy/decide.ts), set after resolution */
  readonly tlsPolicy?: RouteTlsPolicy;
}

/** A routing failure: `permanent` ones bounce the message, others are retried. */
export class RouteError extends Error {
  constructor(
    readonly permanent: boolean,
    readonly code: number,
    readonly enhanced: string,
    message: string,
  ) {
    super(message);
    this.name = 'RouteError';
  }
}

/** Loopback and unspecified addresses: never a destination unless routed explicitly. */
const PROHIBITED = new CidrSet(['127.0.0.0/8', '::1/128', '0.0.0.0/8', '::/128']);

export function isProhibitedDestination(addr: string): boolean {
  return PROHIBITED.has(addr);
}

export interface RouteOptions {
  /** the queue's explicit smarthosts (mx_list); replaces MX resolution */
  readonly mxList?: readonly MxListEntry[];
  /** dns.allow_loopback_destinations */
  readonly allowLoopback?: boolean;
}

/**
 * Resolves the delivery route of `domain` (the routing domain when set): MX by preference,
 * RFC 7505 null MX → permanent, NXDOMAIN → permanent, no MX → the domain's own A/AAAA,
 * SERVFAIL / timeouts → transient. Loopback and unspecified addresses found through DNS are
 * dropped unless allowed; when nothing else is left that is a permanent failure (5.4.4).
 */
export async function resolveRoute(resolver: Resolver, domain: string, opts: RouteOptions = {}): Promise<Route> {
  if (opts.mxList?.length) {
    const hosts: RouteHost[] = [];
    let transient: DnsError | undefined;
    for (const e of opts.mxList) {
      if (e.addr) {
        hosts.push({ name: e.name, addrs: [e.addr], port: e.port });
        continue;
      }
      try {
        hosts.push({ name: e.name, addrs: await hostAddresses(resolver, e.name), port: e.port });
      } catch (err) {
        if (err instanceof DnsError && err.transient) transient = err;
      }
    }
    const usable = hosts.filter((h) => h.addrs.length);
    if (!usable.length) {
      if (transient) throw new RouteError(false, 451, '4.4.3', `smarthost lookup failed: ${transient.message}`);
      throw new RouteError(false, 451, '4.4.4', `no address for any smarthost of ${domain}: ${opts.mxList.map((e) => e.name).join(', ')}`);
    }
    const names = opts.mxList.map((e) => e.name);
    return { site: factorNames(names), mxListLabel: mxListLabel(opts.mxList), mxHosts: names, hosts: usable, explicit: true, resolvedAt: Date.now() };
  }

  let mx;
  try {
    mx = await resolveMxSite(resolver, domain);
  } catch (e) {
    if (e instanceof DnsError) {
      if (e.code === 'NXDOMAIN') throw new RouteError(true, 550, '5.1.2', `domain ${domain} does not exist (NXDOMAIN)`);
      throw new RouteError(false, 451, '4.4.3', `MX lookup for ${domain} failed: ${e.code}`);
    }
    /* c8 ignore next 2 -- every Resolver throws DnsError (system-resolver maps all codes); anything else is a bug, passed on */
    throw e;
  }
  if (mx.nullMx) throw new RouteError(true, 556, '5.1.10', `domain ${domain} accepts no mail (null MX, RFC 7505)`);

  const hosts: RouteHost[] = [];
  let transient: DnsError | undefined;
  let prohibited = 0;
  const results = await Promise.all(
    mx.mxHosts.map((h) => hostAddresses(resolver, h).then((a) => ({ a }), (err: unknown) => ({ err }))),
  );
  results.forEach((res, i) => {
    if ('err' in res) {
      if (res.err instanceof DnsError && res.err.transient) transient = res.err;
      return;
    }
    const ok = opts.allowLoopback ? res.a : res.a.filter((a) => !isProhibitedDestination(a));
    prohibited += res.a.length - ok.length;
    if (ok.length) hosts.push({ name: mx.mxHosts[i], addrs: ok });
  });
  if (!hosts.length) {
    if (transient) throw new RouteError(false, 451, '4.4.3', `address lookup for the MX hosts of ${domain} failed: ${transient.code}`);
    if (prohibited)
      throw new RouteError(true, 550, '5.4.4', `the MX hosts of ${domain} (${mx.mxHosts.join(', ')}) resolve only to prohibited loopback/unspecified addresses`);
    throw new RouteError(false, 451, '4.4.4', `no address for any MX host of ${domain} (${mx.mxHosts.join(', ')})`);
  }
  return { site: mx.site, mxHosts: mx.mxHosts, hosts, explicit: false, resolvedAt: Date.now() };
}

/**
 * The configured smarthosts as one stable string: `name`, `[ip]` for address literals,
 * `name[ip]` when an address overrides the name, then `:port` when one is given.
 */
export function mxListLabel(list: readonly MxListEntry[]): string {
  return list
    .map((e) => {
      const host = e.addr === undefined ? e.name : e.addr === e.name ? `[${e.addr}]` : `${e.name}[${e.addr}]`;
      return e.port === undefined ? host : `${host}:${e.port}`;
    })
    .join(',');
}

/** A then AAAA addresses of a host (or the literal itself); NODATA/NXDOMAIN give none. */
async function hostAddresses(resolver: Resolver, host: string): Promise<string[]> {
  if (isIP(host)) return [host];
  const res = await Promise.allSettled([resolver.a(host), resolver.aaaa(host)]);
  const addrs = res.flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
  if (addrs.length) return addrs;
  for (const r of res) {
    // an answer without addresses is final; a failed lookup may succeed later
    if (r.status === 'rejected' && !(r.reason instanceof DnsError && !r.reason.transient)) throw r.reason;
  }
  return [];
}
