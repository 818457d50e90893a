import { request as httpRequest } from 'node:http';
import { Agent, request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';

export class AcmeHttpError extends Error {
  readonly code = 'ACME_HTTP';
}

let agent: Agent | undefined;

/** The CAs trusted for the ACME server's HTTPS: the system's, NODE_EXTRA_CA_CERTS, and `[acme] ca`. */
export function acmeHttpsAgent(extraCa: string | undefined): Agent | undefined {
  if (!extraCa) return undefined;
  const env = process.env.NODE_EXTRA_CA_CERTS;
  let fromEnv: string[] = [];
  try {
    fromEnv = env ? [readFileSync(env, 'utf8')] : [];
  } catch {
    /* node itself warns about an unreadable NODE_EXTRA_CA_CERTS */
  }
  return new Agent({ keepAlive: true, ca: [...rootCertificates, ...fromEnv, extraCa] });
}

/** The agent for our own requests to the ACME server (directory probe, ARI); see useHttpsAgent in order.ts. */
export function setAcmeAgent(a: Agent | undefined): void {
  agent = a;
}

export interface JsonResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: unknown;
}

/** GET a JSON document from the ACME server (or its ARI endpoint), within `timeoutMs`. */
export function getJson(url: string, timeoutMs = 15_000): Promise<JsonResponse> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(u, { method: 'GET', agent: u.protocol === 'https:' ? agent : undefined, headers: { accept: 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > 1 << 20) req.destroy(new AcmeHttpError(`${url}: answer larger than 1 MB`));
        else chunks.push(c);
      });
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          return reject(new AcmeHttpError(`${url}: HTTP ${res.statusCode}, not JSON`));
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
      });
      res.on('error', (e) => reject(new AcmeHttpError(`${url}: ${e.message}`)));
    });
    req.setTimeout(timeoutMs, () => req.destroy(new AcmeHttpError(`${url}: no answer within ${timeoutMs} ms`)));
    req.on('error', (e) => reject(e instanceof AcmeHttpError ? e : new AcmeHttpError(`${url}: ${(e as NodeJS.ErrnoException).code ?? e.message}`)));
    req.end();
  });
}

/** The ACME directory; throws AcmeHttpError (naming the cause: ECONNREFUSED, timeout...) when it cannot be had. */
export async function fetchDirectory(url: string, timeoutMs = 15_000): Promise<Record<string, unknown>> {
  const r = await getJson(url, timeoutMs);
  if (r.status !== 200 || typeof r.body !== 'object' || r.body === null) throw new AcmeHttpError(`ACME directory ${url}: HTTP ${r.status}`);
  return r.body as Record<string, unknown>;
}
