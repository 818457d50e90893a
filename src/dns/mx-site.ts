import { DnsError } from './resolver.js';
import type { Resolver } from './resolver.js';

/**
 * KumoMTA's MX rollup: the MX host names, lower-cased, combined label by label from the
 * right; a position where the names differ becomes `(a|b)`, and one where some names have
 * no label gets a `?`. Gmail's MXs give `(alt1|alt2|alt3|alt4)?.gmail-smtp-in.l.google.com`,
 * so every domain hosted by the same MXs shares one site (one ready queue, one set of limits).
 * `hosts` must be in preference order.
 */
export function factorNames(hosts: readonly string[]): string {
  const split = hosts.map((h) => h.toLowerCase().replace(/\.$/, '').split('.').reverse());
  const max = Math.max(0, ...split.map((s) => s.length));
  const elements: string[][] = [];
  const add = (i: number, label: string) => {
    const e = (elements[i] ??= []);
    if (!e.includes(label)) e.push(label);
  };
  for (const labels of split) {
    labels.forEach((l, i) => add(i, l));
    for (let i = labels.length; i < max; i++) add(i, '?');
  }
  return elements
    .map((e) => {
      const q = e.includes('?');
      const rest = e.filter((x) => x !== '?');
      return (rest.length === 1 ? rest[0] : `(${rest.join('|')})`) + (q ? '?' : '');
    })
    .reverse()
    .join('.');
}

export interface MxSite {
  /** MX host names in preference order (ties by name); for an implicit MX, the domain itself */
  readonly mxHosts: readonly string[];
  /** MX rollup site name */
  readonly site: string;
  /** RFC 7505 null MX: the domain accepts no mail */
  readonly nullMx: boolean;
  /** true when the domain has no MX and its A/AAAA is used (RFC 5321 §5.1) */
  readonly implicit: boolean;
}

/**
 * Resolves a domain's MX set and site name. NXDOMAIN propagates (a permanent failure);
 * NODATA falls back to the implicit MX (the domain's own address records).
 */
export async function resolveMxSite(resolver: Resolver, domain: string): Promise<MxSite> {
  const d = domain.toLowerCase().replace(/\.$/, '');
  try {
    const mx = await resolver.mx(d);
    if (mx.length === 0 || (mx.length === 1 && (mx[0].exchange === '' || mx[0].exchange === '.'))) {
      return { mxHosts: [], site: d, nullMx: true, implicit: false };
    }
    const hosts = mx.map((m) => m.exchange.toLowerCase().replace(/\.$/, ''));
    return { mxHosts: hosts, site: factorNames(hosts), nullMx: false, implicit: false };
  } catch (e) {
    if (e instanceof DnsError && e.code === 'NODATA') return { mxHosts: [d], site: d, nullMx: false, implicit: true };
    throw e;
  }
}
