import { Resolver as NodeResolver } from 'node:dns/promises';
import { DnsError } from './resolver.js';
import type { DnsErrorCode, MxRecord, Resolver, TlsaRecord } from './resolver.js';

const CODES: Record<string, DnsErrorCode> = {
  ENOTFOUND: 'NXDOMAIN',
  ENODATA: 'NODATA',
  ESERVFAIL: 'SERVFAIL',
  ETIMEOUT: 'TIMEOUT',
  ECONNREFUSED: 'REFUSED',
  EREFUSED: 'REFUSED',
};

/** The machine's resolver, or explicit name servers, through node:dns (c-ares). */
export class SystemResolver implements Resolver {
  private readonly r: NodeResolver;
  constructor(opts: { servers?: readonly string[]; timeoutMs?: number } = {}) {
    this.r = new NodeResolver({ timeout: opts.timeoutMs ?? 5000, tries: 2 });
    if (opts.servers?.length) this.r.setServers([...opts.servers]);
  }
  private async wrap<T>(name: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      const code = CODES[(e as { code?: string }).code ?? ''] ?? 'SERVFAIL';
      throw new DnsError(code, name, `${name}: ${code} (${(e as Error).message})`);
    }
  }
  async mx(domain: string): Promise<MxRecord[]> {
    const recs = await this.wrap(domain, () => this.r.resolveMx(domain));
    return recs
      .map((r) => ({ exchange: r.exchange.toLowerCase().replace(/\.$/, ''), priority: r.priority }))
      .sort((a, b) => a.priority - b.priority || a.exchange.localeCompare(b.exchange));
  }
  a(host: string) {
    return this.wrap(host, () => this.r.resolve4(host));
  }
  aaaa(host: string) {
    return this.wrap(host, () => this.r.resolve6(host));
  }
  async txt(name: string) {
    return (await this.wrap(name, () => this.r.resolveTxt(name))).map((parts) => parts.join(''));
  }
  async tlsa(name: string): Promise<TlsaRecord[]> {
    // node:dns cannot query TLSA; DANE needs a validating resolver configured explicitly.
    throw new DnsError('NODATA', name, `${name}: TLSA lookups are not supported by the system resolver`);
  }
  ptr(ip: string) {
    return this.wrap(ip, () => this.r.reverse(ip));
  }
}
