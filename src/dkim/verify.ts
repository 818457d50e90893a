import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { DnsError } from '../dns/resolver.js';
import type { Resolver } from '../dns/resolver.js';

/** mailauth's resolver callback backed by one of ours (TXT only: what DKIM needs). */
export function mailauthResolver(resolver: Resolver): (name: string, rrtype: string) => Promise<string[][]> {
  return async (name, rrtype) => {
    if (rrtype.toUpperCase() !== 'TXT') throw Object.assign(new Error(`${rrtype} lookups are not supported`), { code: 'ENOTIMP' });
    try {
      return (await resolver.txt(name)).map((s) => [s]);
    } catch (e) {
      if (e instanceof DnsError) {
        const code = e.code === 'NXDOMAIN' ? 'ENOTFOUND' : e.code === 'NODATA' ? 'ENODATA' : e.code === 'TIMEOUT' ? 'ETIMEOUT' : 'ESERVFAIL';
        throw Object.assign(new Error(e.message), { code });
      }
      /* c8 ignore next 2 -- our resolvers fail with DnsError only; anything else is passed on as it is */
      throw e;
    }
  };
}

export interface DkimResult {
  domain: string;
  selector: string;
  algorithm: string;
  canonicalization: string;
  /** pass | fail | neutral | none | temperror | permerror | policy */
  result: string;
  comment?: string;
  /** the header fields the signature covers that are present in the message (h= minus over-signed names) */
  headerFields: string[];
}

/** Verifies every DKIM signature of `message` with mailauth, keys looked up through `resolver`. */
export async function verifyDkim(message: Buffer, resolver: Resolver): Promise<DkimResult[]> {
  const res = await dkimVerify(message, { resolver: mailauthResolver(resolver) } as never);
  return (res.results ?? []).map((r) => {
    const x = r as unknown as {
      signingDomain: string; selector: string; algo: string; format: string;
      status: { result: string; comment?: string }; signingHeaders?: { keys?: string };
    };
    return {
      domain: x.signingDomain,
      selector: x.selector,
      algorithm: x.algo,
      canonicalization: x.format,
      result: x.status.result,
      ...(x.status.comment ? { comment: x.status.comment } : {}),
      headerFields: (x.signingHeaders?.keys ?? '').split(':').map((k) => k.trim()).filter(Boolean),
    };
  });
}
