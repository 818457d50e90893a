import type { Route } from '../dns/route.js';
import type { EffectiveShaping } from '../shaping/types.js';

/** Why no address of a route may be used (prohibited_hosts / skip_hosts). */
export interface HostFilterFailure {
  readonly permanent: boolean;
  readonly code: number;
  readonly enhanced: string;
  readonly text: string;
}

/**
 * KumoMTA's `prohibited_hosts` and `skip_hosts`, when a shaping block sets them: an address in
 * prohibited_hosts makes the whole destination fail (550 5.4.4: a mail loop is likely), an
 * address in skip_hosts is left out of the connection plan (451 4.4.4 when nothing is left,
 * as KumoMTA's current builds). Applied to every route, mx_list included; without them the
 * route's own default policy (loopback dropped unless routed by mx_list) is all there is.
 */
export function filterHosts(route: Route, s: EffectiveShaping): Route | HostFilterFailure {
  const prohibited = s.prohibited_hosts;
  const skip = s.skip_hosts;
  if (!prohibited && !skip) return route;
  if (prohibited) {
    const bad = route.hosts.flatMap((h) => h.addrs.filter((a) => prohibited.has(a)).map((a) => `${h.name} [${a}]`));
    if (bad.length)
      return { permanent: true, code: 550, enhanced: '5.4.4', text: `MX consisted of hosts on the prohibited_hosts list: ${bad.join(', ')}` };
  }
  if (!skip) return route;
  const hosts = route.hosts.map((h) => ({ ...h, addrs: h.addrs.filter((a) => !skip.has(a)) })).filter((h) => h.addrs.length);
  if (!hosts.length) return { permanent: false, code: 451, enhanced: '4.4.4', text: 'MX consisted solely of hosts on the skip_hosts list' };
  return { ...route, hosts };
}

export function isHostFilterFailure(x: Route | HostFilterFailure): x is HostFilterFailure {
  return 'permanent' in x;
}
