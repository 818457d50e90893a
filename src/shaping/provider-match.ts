import type { ProviderBlock } from './model.js';

/**
 * KumoMTA's provider matching: a provider matches a domain when one of its DomainSuffix rules
 * matches the domain (no DNS needed), or when EVERY MX host of the domain matches one of its
 * MXSuffix / HostName rules — so a vanity domain whose MXs mix providers matches none of them.
 * Names are compared lower-case; suffixes are plain string suffixes (".google.com").
 */
export function providerMatches(p: ProviderBlock, domain: string, mxHosts: readonly string[]): boolean {
  let needMx = false;
  for (const m of p.matches) {
    if (m.kind === 'DomainSuffix') {
      if (domain.endsWith(m.value)) return true;
    } else needMx = true;
  }
  if (!needMx || mxHosts.length === 0) return false;
  for (const host of mxHosts) {
    const h = host.endsWith('.') ? host.slice(0, -1) : host;
    let ok = false;
    for (const m of p.matches) {
      if ((m.kind === 'MXSuffix' && h.endsWith(m.value)) || (m.kind === 'HostName' && h === m.value)) {
        ok = true;
        break;
      }
    }
    if (!ok) return false;
  }
  return true;
}

/** Every provider matching the destination, in load order. */
export function matchProviders(providers: readonly ProviderBlock[], domain: string, mxHosts: readonly string[]): ProviderBlock[] {
  const d = domain.toLowerCase();
  const hosts = mxHosts.map((h) => h.toLowerCase());
  return providers.filter((p) => providerMatches(p, d, hosts));
}
