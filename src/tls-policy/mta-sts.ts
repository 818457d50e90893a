import { DnsError } from '../dns/resolver.js';
import type { Resolver } from '../dns/resolver.js';
import type { TlsPolicySettings } from './settings.js';
import { StsPolicyCache } from './mta-sts-cache.js';
import type { CachedStsPolicy } from './mta-sts-cache.js';
import { fetchStsPolicy, StsFetchError } from './mta-sts-fetch.js';
import { parseStsTxt } from './mta-sts-policy.js';

/** What MTA-STS says about a domain right now. */
export interface StsLookup {
  /** the policy in force (fresh or cached), if any */
  readonly policy?: CachedStsPolicy;
  /** a fetch or TXT problem met on the way (TLS-RPT counts it when no policy could be had) */
  readonly error?: { readonly type: 'sts-policy-fetch-error' | 'sts-policy-invalid' | 'sts-webpki-invalid'; readonly text: string };
  /** where the policy came from */
  readonly source: 'none' | 'cache' | 'fetched';
}

/** Positive lookups are re-checked against the TXT id this often. */
const RECHECK_MS = 60_000;

/**
 * RFC 8461 §3.3 and §5.1 per policy domain: the `_mta-sts` TXT id through our resolver; the
 * cached policy while its id matches and max_age lasts; otherwise a fresh fetch, falling back
 * to the cached policy when the fetch fails. Lookups of one domain made at the same time share
 * one answer, and answers are remembered briefly so the TXT is not asked per message.
 */
export class MtaSts {
  private readonly memo = new Map<string, { until: number; res: Promise<StsLookup> }>();
  private cache: StsPolicyCache | undefined;

  constructor(
    private readonly onError: (what: string, e: unknown) => void = () => undefined,
    /** never writes the cache file (explain --live beside a running server) */
    private readonly readOnly = false,
  ) {}

  private cacheFor(file: string): StsPolicyCache {
    if (this.cache?.file !== file) this.cache = new StsPolicyCache(file, this.onError);
    return this.cache;
  }

  lookup(domain: string, resolver: Resolver, s: TlsPolicySettings, now = Date.now()): Promise<StsLookup> {
    const d = domain.toLowerCase().replace(/\.$/, '');
    const key = `${d}|${s.mtaStsCacheFile}`;
    const hit = this.memo.get(key);
    if (hit && hit.until > now) return hit.res;
    if (this.memo.size > 50_000) this.memo.clear();
    const res = this.lookupNow(d, resolver, s);
    const entry = { until: now + s.mtaStsNegativeTtlMs, res };
    this.memo.set(key, entry);
    void res.then((r) => {
      if (r.policy) entry.until = Date.now() + Math.min(RECHECK_MS, s.mtaStsNegativeTtlMs);
    });
    return res;
  }

  /** Forgets remembered lookups (config change). The persisted policies stay. */
  clear(): void {
    this.memo.clear();
  }

  private async lookupNow(domain: string, resolver: Resolver, s: TlsPolicySettings): Promise<StsLookup> {
    const cache = this.cacheFor(s.mtaStsCacheFile);
    const now = Date.now();
    const cachedRaw = await cache.get(domain);
    const cached = cachedRaw && cachedRaw.expiresAt > now ? cachedRaw : undefined;
    let txt: string[] = [];
    try {
      txt = await resolver.txt(`_mta-sts.${domain}`);
    } catch (e) {
      if (!(e instanceof DnsError)) throw e;
      // no record (or DNS trouble): a cached, unexpired policy still holds (§5.1)
      return cached ? { policy: cached, source: 'cache' } : { source: 'none' };
    }
    const rec = parseStsTxt(txt);
    if (!rec) return cached ? { policy: cached, source: 'cache' } : { source: 'none' };
    if ('error' in rec) return cached ? { policy: cached, source: 'cache' } : { source: 'none', error: { type: 'sts-policy-invalid', text: `_mta-sts.${domain}: ${rec.error}` } };
    if (cached && cached.id === rec.id) return { policy: cached, source: 'cache' };
    try {
      const policy = await fetchStsPolicy(domain, { resolver, timeoutMs: s.mtaStsFetchTimeoutMs, maxSize: s.mtaStsMaxPolicySize, port: s.mtaStsPort, extraCa: s.extraCa });
      const fetchedAt = Date.now();
      const entry: CachedStsPolicy = { domain, id: rec.id, policy, fetchedAt, expiresAt: fetchedAt + policy.maxAge * 1000 };
      if (this.readOnly) {
        /* explain: the server's cache is left as it is */
      } else if (policy.maxAge > 0) await cache.set(entry);
      else await cache.delete(domain);
      return { policy: entry, source: 'fetched' };
    } catch (e) {
      if (!(e instanceof StsFetchError)) throw e;
      const error = { type: e.code, text: e.message };
      return cached ? { policy: cached, source: 'cache', error } : { source: 'none', error };
    }
  }
}
