/**
 * Every DNS lookup in kumo-ts goes through a `Resolver` chosen by config (system, explicit
 * name servers, or static zones), so tests and labs never touch real DNS.
 */
export type DnsErrorCode = 'NXDOMAIN' | 'NODATA' | 'SERVFAIL' | 'TIMEOUT' | 'REFUSED';

export class DnsError extends Error {
  constructor(readonly code: DnsErrorCode, readonly query: string, message?: string) {
    super(message ?? `${query}: ${code}`);
    this.name = 'DnsError';
  }
  /** NXDOMAIN and NODATA are answers; the rest may succeed later. */
  get transient(): boolean {
    return this.code === 'SERVFAIL' || this.code === 'TIMEOUT' || this.code === 'REFUSED';
  }
}

export interface MxRecord {
  exchange: string;
  priority: number;
}

export interface TlsaRecord {
  usage: number;
  selector: number;
  matchingType: number;
  data: Buffer;
}

export interface Resolver {
  /** MX records sorted by priority. Throws DnsError (NXDOMAIN, NODATA, SERVFAIL, TIMEOUT). */
  mx(domain: string): Promise<MxRecord[]>;
  a(host: string): Promise<string[]>;
  aaaa(host: string): Promise<string[]>;
  /** Each TXT record as its joined strings. */
  txt(name: string): Promise<string[]>;
  tlsa(name: string): Promise<TlsaRecord[]>;
  ptr(ip: string): Promise<string[]>;
}
