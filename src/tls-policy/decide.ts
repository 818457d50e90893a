import { createHash } from 'node:crypto';
import type { Resolver } from '../dns/resolver.js';
import { RouteError } from '../dns/route.js';
import type { Route } from '../dns/route.js';
import type { TlsPolicySettings } from './settings.js';
import { lookupDane } from './dane.js';
import type { DaneLookup } from './dane.js';
import { DnssecClient } from './dnssec-client.js';
import { MtaSts } from './mta-sts.js';
import type { StsLookup } from './mta-sts.js';
import { policyAllows } from './mta-sts-policy.js';
import type { RouteTlsPolicy, SessionOutcome, TlsRptResultType } from './route-policy.js';

/** Where TLS-RPT counts go (src/tls-policy/tls-rpt.ts); absent when reporting is off. */
export interface PolicyRecorder {
  recorder(p: Omit<RouteTlsPolicy, 'record'>): ((o: SessionOutcome) => void) | undefined;
  /** a policy that could not be had (fetch error, bogus DNSSEC): one failed "session" */
  policyFailure(domain: string, kind: 'sts' | 'tlsa' | 'no-policy-found', type: TlsRptResultType, text: string): void;
}

export interface DecideInput {
  readonly settings: TlsPolicySettings;
  readonly resolver: Resolver;
  readonly domain: string;
  readonly route: Route;
  readonly enableMtaSts: boolean;
  readonly enableDane: boolean;
  /** the port connections will use when a host has none of its own */
  readonly port: number;
  readonly timeoutMs: number;
}

/** What applies, for `explain --live`. */
export interface PolicyView {
  readonly sts?: StsLookup;
  readonly dane?: DaneLookup;
  readonly daneError?: string;
  readonly route?: Route;
  readonly error?: RouteError;
}

const DANE_MEMO_MS = 60_000;

/**
 * The outbound TLS policy of one destination domain, decided when its route is resolved
 * (RFC 8461 §5, RFC 7672 §2): DANE when enabled and the MX and TLSA answers are DNSSEC-secure
 * (DANE wins over MTA-STS, RFC 8461 §2); otherwise the domain's MTA-STS policy: `enforce`
 * drops the MX hosts it does not list (none left: a transient failure naming MTA-STS),
 * `testing` only observes. The result is the route with `tlsPolicy` set, so the ready queue
 * identity and the SMTP client follow it; domains without a policy keep their route as is.
 */
export class TlsPolicyEngine {
  readonly sts: MtaSts;
  private readonly daneMemo = new Map<string, { until: number; res: Promise<DaneLookup> }>();

  constructor(
    private readonly rpt?: PolicyRecorder,
    onError: (what: string, e: unknown) => void = () => undefined,
    readOnly = false,
  ) {
    this.sts = new MtaSts(onError, readOnly);
  }

  /** Decides, and says why; throws the RouteError the message should get (after `view`). */
  async decideOrThrow(i: DecideInput): Promise<Route> {
    const v = await this.view(i);
    if (v.error) throw v.error;
    return v.route ?? i.route;
  }

  async view(i: DecideInput): Promise<PolicyView> {
    const { route, domain } = i;
    if (route.explicit) return { route };
    const d = domain.toLowerCase();
    let dane: DaneLookup | undefined;
    let daneError: string | undefined;
    if (i.enableDane && i.settings.daneResolvers.length) {
      try {
        dane = await this.dane(i);
      } catch (e) {
        daneError = (e as Error).message;
        // the MX lookup itself failed at the validating resolver (bogus or unreachable):
        // not a reason to fall back to weaker policies
        this.rpt?.policyFailure(d, 'tlsa', 'dnssec-invalid', daneError);
        return { daneError, error: new RouteError(false, 451, '4.7.5', `DANE: DNSSEC lookup for ${d} failed: ${daneError}`) };
      }
      if (dane.mxSecure && (dane.tlsa.size || dane.failed.size)) {
        for (const [h, why] of dane.failed) this.rpt?.policyFailure(d, 'tlsa', 'dnssec-invalid', `${h}: ${why}`);
        const hosts = route.hosts.filter((h) => !dane!.failed.has(h.name.toLowerCase()));
        if (!hosts.length)
          return { dane, error: new RouteError(false, 451, '4.7.5', `DANE: the TLSA lookups of every MX host of ${d} failed (${[...dane.failed].map(([h, w]) => `${h}: ${w}`).join('; ')})`) };
        const tlsa = new Map([...dane.tlsa].map(([h, r]) => [h, r] as const));
        const at = (h: string) => dane!.aliases.get(h)?.base ?? h;
        const policyString = [...tlsa].flatMap(([h, rs]) => rs.map((r) => `_${i.port}._tcp.${at(h)} IN TLSA ${r.usage} ${r.selector} ${r.matchingType} ${r.data.toString('hex')}`));
        const aliases = [...dane.aliases].map(([h, a]) => `${h}>${a.expanded}@${a.base}`).join(',');
        const key = `dane:${d}:${createHash('sha256').update(policyString.join('\n') + aliases).digest('hex').slice(0, 16)}`;
        const base = { kind: 'dane', domain: d, mode: 'dane', key, policyString, tlsa, ...(dane.aliases.size ? { daneAliases: dane.aliases } : {}) } as const;
        const tlsPolicy: RouteTlsPolicy = { ...base, record: this.rpt?.recorder(base) };
        return { dane, route: { ...route, hosts, mxHosts: route.mxHosts.filter((h) => !dane!.failed.has(h)), tlsPolicy } };
      }
    }
    if (!i.enableMtaSts) return { dane, daneError, route };
    const sts = await this.sts.lookup(d, i.resolver, i.settings);
    if (sts.error && !sts.policy) this.rpt?.policyFailure(d, 'sts', sts.error.type, sts.error.text);
    const pol = sts.policy;
    if (!pol || pol.policy.mode === 'none') return { sts, dane, daneError, route };
    const mode = pol.policy.mode;
    const base = { kind: 'mta-sts', domain: d, mode, key: `sts:${d}:${pol.id}:${mode}`, mx: pol.policy.mx, id: pol.id, policyString: pol.policy.lines, extraCa: i.settings.extraCa } as const;
    const tlsPolicy: RouteTlsPolicy = { ...base, record: this.rpt?.recorder(base) };
    if (mode === 'testing') return { sts, dane, daneError, route: { ...route, tlsPolicy } };
    const hosts = route.hosts.filter((h) => policyAllows(pol.policy, h.name));
    if (!hosts.length) {
      const text = `MTA-STS policy of ${d} (enforce, id ${pol.id}): none of the MX hosts (${route.mxHosts.join(', ')}) matches the policy's mx patterns (${pol.policy.mx.join(', ')})`;
      tlsPolicy.record?.({ ok: false, type: 'validation-failure', mxHost: route.mxHosts[0] ?? d, text });
      return { sts, dane, daneError, error: new RouteError(false, 451, '4.7.5', text) };
    }
    return { sts, dane, daneError, route: { ...route, hosts, mxHosts: route.mxHosts.filter((h) => policyAllows(pol.policy, h)), tlsPolicy } };
  }

  private dane(i: DecideInput): Promise<DaneLookup> {
    const key = `${i.domain}|${i.port}|${i.route.hosts.map((h) => `${h.name}:${h.port ?? ''}`).join(',')}|${i.settings.daneResolvers.map((r) => `${r.host}:${r.port}`).join(',')}`;
    const now = Date.now();
    const hit = this.daneMemo.get(key);
    if (hit && hit.until > now) return hit.res;
    if (this.daneMemo.size > 50_000) this.daneMemo.clear();
    const res = lookupDane(new DnssecClient(i.settings.daneResolvers, i.timeoutMs), i.domain, i.route, i.port);
    const entry = { until: now + DANE_MEMO_MS, res };
    this.daneMemo.set(key, entry);
    res.catch(() => {
      entry.until = Date.now() + 5_000;
    });
    return res;
  }

  /** Forgets remembered answers (config change); persisted MTA-STS policies stay. */
  clear(): void {
    this.sts.clear();
    this.daneMemo.clear();
  }
}
