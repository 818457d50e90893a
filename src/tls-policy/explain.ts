import type { Snapshot } from '../config/snapshot.js';
import type { Resolver } from '../dns/resolver.js';
import { resolveRoute } from '../dns/route.js';
import { TlsPolicyEngine } from './decide.js';

/** What `kumo-ts explain DOMAIN --live` shows about the outbound TLS policy. */
export interface TlsPolicyExplanation {
  readonly mtaSts: { enabled: boolean; mode?: string; id?: string; mx?: readonly string[]; source?: string; maxAge?: number; error?: string };
  readonly dane: {
    enabled: boolean;
    resolvers: readonly string[];
    mxSecure?: boolean;
    tlsa?: Record<string, string[]>;
    /** MX hosts that are CNAME aliases: the expanded name and where the TLSA records were found */
    aliases?: Record<string, { expanded: string; base: string }>;
    insecureHosts?: readonly string[];
    failedHosts?: Record<string, string>;
    error?: string;
  };
  /** which policy the delivery path would apply now */
  readonly applies: 'dane' | 'mta-sts enforce' | 'mta-sts testing' | 'none';
  /** MX hosts left after the policy, or why none */
  readonly hosts?: readonly string[];
  readonly refusal?: string;
}

/**
 * Runs the decision delivery makes (live DNS, policy fetch, DNSSEC) for a domain, without
 * writing the server's MTA-STS cache. `enableMtaSts` / `enableDane` come from the effective
 * shaping of the path being explained.
 */
export async function explainTlsPolicy(snap: Snapshot, resolver: Resolver, domain: string, o: { enableMtaSts: boolean; enableDane: boolean; port: number }): Promise<TlsPolicyExplanation> {
  const s = snap.main.tlsPolicy;
  const engine = new TlsPolicyEngine(undefined, () => undefined, true);
  const base = { mtaSts: { enabled: o.enableMtaSts }, dane: { enabled: o.enableDane, resolvers: s.daneResolvers.map((r) => `${r.host}:${r.port}`) } };
  let route;
  try {
    route = await resolveRoute(resolver, domain, { allowLoopback: snap.main.dns.allowLoopbackDestinations });
  } catch (e) {
    return { ...base, applies: 'none', refusal: `route: ${(e as Error).message}` };
  }
  const v = await engine.view({ settings: s, resolver, domain, route, enableMtaSts: o.enableMtaSts, enableDane: o.enableDane, port: o.port, timeoutMs: snap.main.dns.timeoutMs });
  const p = v.sts?.policy;
  const pol = v.route?.tlsPolicy;
  return {
    mtaSts: {
      enabled: o.enableMtaSts,
      ...(p ? { mode: p.policy.mode, id: p.id, mx: p.policy.mx, maxAge: p.policy.maxAge, source: v.sts!.source } : {}),
      ...(v.sts?.error ? { error: v.sts.error.text } : {}),
    },
    dane: {
      ...base.dane,
      ...(v.dane
        ? {
            mxSecure: v.dane.mxSecure,
            tlsa: Object.fromEntries([...v.dane.tlsa].map(([h, rs]) => [h, rs.map((r) => `${r.usage} ${r.selector} ${r.matchingType} ${r.data.toString('hex')}`)])),
            ...(v.dane.aliases.size ? { aliases: Object.fromEntries(v.dane.aliases) } : {}),
            insecureHosts: v.dane.insecure,
            failedHosts: Object.fromEntries(v.dane.failed),
          }
        : {}),
      ...(v.daneError ? { error: v.daneError } : {}),
    },
    applies: pol ? (pol.kind === 'dane' ? 'dane' : pol.mode === 'enforce' ? 'mta-sts enforce' : 'mta-sts testing') : 'none',
    ...(v.route ? { hosts: v.route.hosts.map((h) => h.name) } : {}),
    ...(v.error ? { refusal: v.error.message } : {}),
  };
}

export function formatTlsPolicy(t: TlsPolicyExplanation): string[] {
  const out = ['TLS policy (live):'];
  const m = t.mtaSts;
  out.push(`  mta-sts:   ${!m.enabled ? 'disabled (enable_mta_sts = false)' : m.mode ? `mode ${m.mode}, id ${m.id}, mx ${m.mx!.join(', ')}, max_age ${m.maxAge}s (${m.source})` : 'no policy'}${m.error ? `; ${m.error}` : ''}`);
  const d = t.dane;
  let dane = !d.enabled ? 'disabled (enable_dane = false)' : !d.resolvers.length ? 'enabled, but no DNSSEC-validating resolver (tls_policy.dane_resolvers)' : d.error ? `lookup failed: ${d.error}` : d.mxSecure === false ? `MX records insecure (resolver ${d.resolvers.join(', ')})` : 'MX records secure';
  if (d.tlsa)
    for (const [h, rs] of Object.entries(d.tlsa)) {
      const a = d.aliases?.[h];
      const alias = a ? ` (CNAME ${a.expanded}, TLSA at ${a.base})` : '';
      dane += `; TLSA ${h}${alias} (secure): ${rs.length ? rs.join(' / ') : 'only unusable records'}`;
    }
  if (d.insecureHosts?.length) dane += `; no secure TLSA: ${d.insecureHosts.join(', ')}`;
  if (d.failedHosts && Object.keys(d.failedHosts).length) dane += `; TLSA lookup failed: ${Object.entries(d.failedHosts).map(([h, w]) => `${h} (${w})`).join(', ')}`;
  out.push(`  dane:      ${dane}`);
  out.push(`  applies:   ${t.applies}${t.hosts ? `; hosts ${t.hosts.join(', ')}` : ''}${t.refusal ? `; refused: ${t.refusal}` : ''}`);
  return out;
}
