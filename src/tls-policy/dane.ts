import { DnsError } from '../dns/resolver.js';
import type { TlsaRecord } from '../dns/resolver.js';
import type { Route } from '../dns/route.js';
import type { DnssecClient } from './dnssec-client.js';
import { usableTlsa } from './dane-verify.js';

/** What DNSSEC says about a route's hosts (RFC 7672 §2). */
export interface DaneLookup {
  /** the MX RRset (or, for an implicit MX, the domain's address) validated */
  readonly mxSecure: boolean;
  /** secure TLSA RRsets by host: usable records only (empty: only unusable ones) */
  readonly tlsa: Map<string, TlsaRecord[]>;
  /** hosts whose address was secure but whose TLSA lookup failed: not to be used (§2.2) */
  readonly failed: Map<string, string>;
  /** hosts whose address or TLSA answer was insecure (the ordinary TLS mode applies) */
  readonly insecure: string[];
  /**
   * hosts that are a CNAME alias (securely expanded): where their TLSA records were found
   * (the TLSA base domain) and the names their certificate may carry (the MX host name and
   * the expanded name, RFC 7672 §3.2.2)
   */
  readonly aliases: Map<string, { readonly expanded: string; readonly base: string }>;
}

/** Whether the host's addresses are secure, and the name they are at (its CNAME expansion). */
async function secureAddresses(c: DnssecClient, host: string): Promise<{ secure: boolean; name: string }> {
  const res = await Promise.allSettled([c.query(host, 'A'), c.query(host, 'AAAA')]);
  let any = false;
  let name = host;
  for (const r of res) {
    if (r.status === 'rejected') throw r.reason;
    if (r.value.records.length && !r.value.secure) return { secure: false, name };
    if (r.value.records.length) {
      any = true;
      name = r.value.name;
    }
  }
  return { secure: any, name };
}

/**
 * The DANE lookups of a route through the validating resolver: the MX RRset must be secure
 * (otherwise no DANE at all), then per host a secure address and a secure TLSA RRset at
 * `_PORT._tcp.<host>`. A host that is a CNAME alias (its addresses, and so the whole chain,
 * secure) has its TLSA records looked up at the expanded name first, then at the MX host name
 * (RFC 7672 §2.2.2, RFC 7671 §7). A bogus answer (SERVFAIL from a validating resolver) for a
 * host whose address is secure makes that host unusable rather than a downgrade.
 */
export async function lookupDane(c: DnssecClient, domain: string, route: Route, port: number): Promise<DaneLookup> {
  const out: DaneLookup = { mxSecure: false, tlsa: new Map(), failed: new Map(), insecure: [], aliases: new Map() };
  // an implicit MX (NODATA) is secure when its denial is
  const mx = await c.query(domain, 'MX');
  if (!mx.secure) return out;
  (out as { mxSecure: boolean }).mxSecure = true;
  for (const h of route.hosts) {
    const host = h.name.toLowerCase();
    try {
      const addrs = await secureAddresses(c, host);
      if (!addrs.secure) {
        out.insecure.push(host);
        continue;
      }
      const p = h.port ?? port;
      let t = addrs.name !== host ? await c.tlsa(`_${p}._tcp.${addrs.name}`) : undefined;
      let base = addrs.name;
      if (!t?.secure || !t.records.length) {
        t = await c.tlsa(`_${p}._tcp.${host}`);
        base = host;
      }
      if (!t.secure || !t.records.length) {
        out.insecure.push(host);
        continue;
      }
      out.tlsa.set(host, t.records.filter(usableTlsa));
      if (addrs.name !== host) out.aliases.set(host, { expanded: addrs.name, base });
    } catch (e) {
      if (!(e instanceof DnsError)) throw e;
      out.failed.set(host, e.message);
    }
  }
  return out;
}
