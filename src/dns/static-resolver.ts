import { DnsError } from './resolver.js';
import type { MxRecord, Resolver, TlsaRecord } from './resolver.js';

/** The records of one name in a static zone. */
export interface StaticRecords {
  mx?: (MxRecord | string)[];
  a?: string[];
  aaaa?: string[];
  txt?: string[];
  tlsa?: (TlsaRecord | string)[];
  ptr?: string[];
  /** Make every lookup of this name fail with this code (to test SERVFAIL handling etc.). */
  fail?: 'SERVFAIL' | 'TIMEOUT' | 'REFUSED';
}

export type StaticZone = Record<string, StaticRecords>;

const norm = (n: string) => n.toLowerCase().replace(/\.$/, '');

/**
 * Answers from an in-memory zone: a name that is absent is NXDOMAIN, a name without the
 * requested type is NODATA. MX entries may be written as `"10 mx.example.com"`.
 */
export class StaticResolver implements Resolver {
  private readonly zone = new Map<string, StaticRecords>();
  constructor(zone: StaticZone = {}) {
    for (const [name, recs] of Object.entries(zone)) this.zone.set(norm(name), recs);
  }

  private get<K extends keyof StaticRecords>(name: string, type: K): NonNullable<StaticRecords[K]> {
    const recs = this.zone.get(norm(name));
    if (!recs) throw new DnsError('NXDOMAIN', name);
    if (recs.fail) throw new DnsError(recs.fail, name);
    const v = recs[type];
    if (v === undefined || (Array.isArray(v) && v.length === 0 && type !== 'mx')) throw new DnsError('NODATA', name);
    return v as NonNullable<StaticRecords[K]>;
  }

  async mx(domain: string): Promise<MxRecord[]> {
    return this.get(domain, 'mx')
      .map((r) => {
        if (typeof r !== 'string') return r;
        const [p, host] = r.trim().split(/\s+/);
        return { priority: Number(p), exchange: host ?? '' };
      })
      .map((r) => ({ priority: r.priority, exchange: norm(r.exchange) }))
      .sort((x, y) => x.priority - y.priority || x.exchange.localeCompare(y.exchange));
  }
  async a(host: string) {
    return [...this.get(host, 'a')];
  }
  async aaaa(host: string) {
    return [...this.get(host, 'aaaa')];
  }
  async txt(name: string) {
    return [...this.get(name, 'txt')];
  }
  async tlsa(name: string): Promise<TlsaRecord[]> {
    return this.get(name, 'tlsa').map((r) => {
      if (typeof r !== 'string') return r;
      const [u, s, m, hex] = r.trim().split(/\s+/);
      return { usage: Number(u), selector: Number(s), matchingType: Number(m), data: Buffer.from(hex ?? '', 'hex') };
    });
  }
  async ptr(ip: string) {
    return [...this.get(ip, 'ptr')];
  }
}
