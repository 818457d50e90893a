import type { LookupFunction } from 'node:net';
import { isIP } from 'node:net';
import { rootCertificates } from 'node:tls';
import { undici } from '../net/undici.js';
import type { Resolver } from '../dns/resolver.js';
import { parseStsPolicy } from './mta-sts-policy.js';
import type { StsPolicy } from './mta-sts-policy.js';

/** Why a policy could not be had (TLS-RPT result types sts-policy-fetch-error / -invalid / sts-webpki-invalid). */
export class StsFetchError extends Error {
  constructor(
    readonly code: 'sts-policy-fetch-error' | 'sts-policy-invalid' | 'sts-webpki-invalid',
    message: string,
  ) {
    super(message);
    this.name = 'StsFetchError';
  }
}

export interface FetchOptions {
  readonly resolver: Resolver;
  readonly timeoutMs: number;
  readonly maxSize: number;
  readonly port: number;
  readonly extraCa?: string;
}

/** The CAs a policy host's certificate must chain to: the system's, NODE_EXTRA_CA_CERTS (node adds those itself) and ca_file. */
export function trustedCas(extraCa: string | undefined): string[] | undefined {
  return extraCa ? [...rootCertificates, extraCa] : undefined;
}

/** Host names resolved through kumo-ts's own resolver (static zones in labs), never the system's. */
export function resolverLookup(resolver: Resolver): LookupFunction {
  return (hostname, options, cb) => {
    const done = cb as (err: NodeJS.ErrnoException | null, address: string | { address: string; family: number }[], family?: number) => void;
    const all = (options as { all?: boolean }).all === true;
    const literal = isIP(hostname);
    const addrs: Promise<string[]> = literal
      ? Promise.resolve([hostname])
      : Promise.allSettled([resolver.a(hostname), resolver.aaaa(hostname)]).then((r) => r.flatMap((x) => (x.status === 'fulfilled' ? x.value : [])));
    addrs.then(
      (list) => {
        if (!list.length) return done(Object.assign(new Error(`${hostname}: no address`), { code: 'ENOTFOUND' }), all ? [] : '', 4);
        if (all) return done(null, list.map((a) => ({ address: a, family: isIP(a) })));
        done(null, list[0], isIP(list[0]));
      },
      (e: Error) => done(Object.assign(e, { code: 'ENOTFOUND' }), all ? [] : '', 4),
    );
  };
}

/**
 * Fetches `https://mta-sts.<domain>/.well-known/mta-sts.txt` (RFC 8461 §3.3): PKIX-checked
 * against the policy host name, no redirects, only a 200, at most `maxSize` bytes and
 * `timeoutMs` from connection to last byte.
 */
export async function fetchStsPolicy(domain: string, o: FetchOptions): Promise<StsPolicy> {
  const host = `mta-sts.${domain}`;
  const url = `https://${host}${o.port === 443 ? '' : `:${o.port}`}/.well-known/mta-sts.txt`;
  const agent = new (undici().Agent)({ connect: { ca: trustedCas(o.extraCa), lookup: resolverLookup(o.resolver), rejectUnauthorized: true }, connections: 1, pipelining: 0 });
  const signal = AbortSignal.timeout(o.timeoutMs);
  let text: string;
  try {
    const res = await undici().request(url, { dispatcher: agent, signal, headersTimeout: o.timeoutMs, bodyTimeout: o.timeoutMs, headers: { 'user-agent': 'kumo-ts MTA-STS' } });
    if (res.statusCode !== 200) {
      // undici's body emits an AbortError when destroyed unread: without a listener that was an
      // uncaught exception after every non-200 answer
      res.body.on('error', () => undefined);
      res.body.destroy();
      throw new StsFetchError('sts-policy-fetch-error', `${url}: HTTP ${res.statusCode} (only 200 is a policy; redirects are not followed)`);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body) {
      size += (chunk as Buffer).length;
      if (size > o.maxSize) {
        res.body.on('error', () => undefined);
        res.body.destroy();
        throw new StsFetchError('sts-policy-invalid', `${url}: policy larger than ${o.maxSize} bytes`);
      }
      chunks.push(chunk as Buffer);
    }
    text = Buffer.concat(chunks).toString('utf8');
  } catch (e) {
    if (e instanceof StsFetchError) throw e;
    const err = e as Error & { code?: string; cause?: { code?: string; message?: string } };
    const code = err.code ?? err.cause?.code ?? '';
    const pkix = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME|UNABLE_TO_GET_ISSUER/.test(code);
    const why = signal.aborted ? `timed out after ${o.timeoutMs} ms` : `${code ? `${code}: ` : ''}${err.cause?.message ?? err.message}`;
    throw new StsFetchError(pkix ? 'sts-webpki-invalid' : 'sts-policy-fetch-error', `${url}: ${why}`);
  } finally {
    void agent.close().catch(() => undefined);
  }
  try {
    return parseStsPolicy(text);
  } catch (e) {
    throw new StsFetchError('sts-policy-invalid', `${url}: ${(e as Error).message}`);
  }
}
