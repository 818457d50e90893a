import { UNSPECIFIED } from '../config/egress.js';
import type { Snapshot } from '../config/snapshot.js';
import type { Route } from '../dns/route.js';
import type { ShapingConfig } from '../shaping/model.js';
import { getActiveAutomation } from '../shaping/automation-state.js';
import { resolveShaping } from '../shaping/resolve.js';
import type { ShapingQuery, TlsMode } from '../shaping/types.js';

/** The protocol part of an SMTP ready queue name (KumoMTA's `source->site@smtp_client`). */
export const SMTP_CLIENT = 'smtp_client';

/** What the site of a destination is decided from (a Route, or what `explain` knows). */
export type SiteRoute = Pick<Route, 'site' | 'mxListLabel'>;

/** The site of a destination, and the MX rollup name its site-scoped shaping comes from. */
export interface SiteIdentity {
  /**
   * Limits, suspensions, automation and log records are per source × site. The MX rollup for
   * ordinary domains (every domain on the same MXs shares it); the domain itself when an
   * `mx_rollup = false` shaping block makes it its own site (as in KumoMTA); `mx_list:<hosts>`
   * for a smarthost route, ports included.
   */
  readonly site: string;
  /** the MX rollup name (site-scoped shaping blocks apply by it) */
  readonly mxSite: string;
  /** an `mx_rollup = false` block names this domain */
  readonly ownSite: boolean;
}

/** Decided from the compiled snapshot of the moment, never cached outside it. */
export function siteIdentity(shaping: ShapingConfig, domain: string, route: SiteRoute): SiteIdentity {
  const d = domain.toLowerCase();
  const ownSite = shaping.byDomain.has(d);
  const site = ownSite ? d : route.mxListLabel !== undefined ? `mx_list:${route.mxListLabel}` : route.site;
  return { site, mxSite: route.site, ownSite };
}

/** The shaping query of a path (mxSite only when the site is not the MX rollup itself). */
export function shapingQueryFor(domain: string, id: SiteIdentity, mxHosts: readonly string[], source: string): ShapingQuery {
  return { domain: domain.toLowerCase(), site: id.site, ...(id.mxSite !== id.site ? { mxSite: id.mxSite } : {}), mxHosts, source };
}

export interface ReadyQueueIdentity extends SiteIdentity {
  /**
   * `source->site@smtp_client`, then what else makes the destination distinct when it is not
   * the default: `;mx_list=<hosts>` (an own-site domain routed to smarthosts), `;port=N`
   * (the source's remote_port or the path's smtp_port, for hosts without an explicit port), `;tls=<mode>`.
   */
  readonly name: string;
  /** the ready queue map key: the name plus the MX host names (two MX sets whose rollup names
   * collide never share a queue) */
  readonly key: string;
  readonly source: string;
  /** enable_tls for this path: every connection of the queue uses it */
  readonly tls: TlsMode;
  /** port for the hosts without an explicit one */
  readonly port: number;
}

export type IdentityRoute = SiteRoute & Pick<Route, 'mxHosts' | 'hosts' | 'explicit' | 'tlsPolicy'>;

/**
 * The identity of the ready queue a message for `domain` joins when it leaves through
 * `source` on `route`. Everything that changes where or how a connection goes is in it, so one
 * queue's connections serve only messages that would have made the same connection.
 */
export function readyQueueIdentity(snap: Snapshot, source: string, domain: string, route: IdentityRoute, tlsMode?: TlsMode): ReadyQueueIdentity {
  // every message of a busy path asks again with the same (cached) route object: one Map lookup
  // instead of the shaping resolution and the string building (≈ 3 % of the queue owner's CPU)
  const automation = getActiveAutomation();
  automation?.prune();
  const key = `${snap.epoch}\u0000${automation?.version ?? 0}\u0000${source}\u0000${domain}\u0000${tlsMode ?? ''}`;
  let byKey = identities.get(route);
  const hit = byKey?.get(key);
  if (hit && byKey!.snap === snap) return hit;
  if (!byKey || byKey.snap !== snap || byKey.size >= 64) identities.set(route, (byKey = Object.assign(new Map<string, ReadyQueueIdentity>(), { snap })));
  const id = computeIdentity(snap, source, domain, route, tlsMode);
  byKey.set(key, id);
  return id;
}

/** Per route object (routes are immutable and cached by the route cache): identities by epoch, automation version, source, domain, TLS mode. */
const identities = new WeakMap<IdentityRoute, Map<string, ReadyQueueIdentity> & { snap: Snapshot }>();

function computeIdentity(snap: Snapshot, source: string, domain: string, route: IdentityRoute, tlsMode?: TlsMode): ReadyQueueIdentity {
  const site = siteIdentity(snap.shaping, domain, route);
  // `tlsMode`: when the caller resolved the path's shaping already (explain, with its automation state)
  const eff = resolveShaping(snap, shapingQueryFor(domain, site, route.mxHosts, source));
  const tls = tlsMode ?? eff.enable_tls;
  const src = snap.egress.sources.get(source) ?? snap.egress.sources.get(UNSPECIFIED);
  // the source's remote_port wins over the path's smtp_port (KumoMTA)
  const port = src?.remotePort ?? eff.smtp_port ?? 25;
  const usesDefaultPort = !route.explicit || route.hosts.some((h) => h.port === undefined);
  let name = `${source}->${site.site}@${SMTP_CLIENT}`;
  if (site.ownSite && route.mxListLabel !== undefined) name += `;mx_list=${route.mxListLabel}`;
  if (usesDefaultPort && port !== 25) name += `;port=${port}`;
  if (tls !== 'Opportunistic') name += `;tls=${tls}`;
  // an MTA-STS or DANE policy changes how connections go: its own queue (per policy domain, for TLS-RPT)
  if (route.tlsPolicy) name += `;${route.tlsPolicy.kind === 'dane' ? 'dane' : `mta_sts=${route.tlsPolicy.mode}`}`;
  const policyKey = route.tlsPolicy ? `\u0000${route.tlsPolicy.key}` : '';
  return { ...site, name, key: `${name}\u0000${route.mxHosts.join(',')}${policyKey}`, source, tls, port };
}

/** The route with every host's port fixed (a queue never follows a later remote_port change). */
export function pinPorts(route: Route, port: number): Route {
  return { ...route, hosts: route.hosts.map((h) => (h.port === undefined ? { ...h, port } : h)) };
}
