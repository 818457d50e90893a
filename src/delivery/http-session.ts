// HTTP delivery of mail: one request per message, over a keep-alive pool per origin and source.
import { randomUUID } from 'node:crypto';
import type { Client } from 'undici';
import { undici } from '../net/undici.js';
import type { EgressSource } from '../config/egress.js';
import type { Route } from '../dns/route.js';
import { loadKey } from '../keys/key-source.js';
import type { Job } from '../queue/job.js';
import type { SpoolMeta } from '../spool/types.js';
import { envelopeJson } from './envelope-json.js';
import type { HttpProtocol } from './http-protocol.js';
import type { ReadyQueueIdentity } from './ready-queue-name.js';
import type { SmtpReply } from './response.js';
import type { Peer, SendResult } from './smtp-client.js';

/** The protocol part of an HTTP ready queue name (`source->http:origin@http_client`). */
export const HTTP_CLIENT = 'http_client';

/** Longest part of a response body kept for the log record. */
const BODY_SNIPPET = 300;

/**
 * The ready queue of HTTP deliveries to one origin from one egress source: its site is
 * `http:<origin>`, so shaping (connection_limit, max_message_rate, suspensions) applies per
 * destination as for SMTP; the route is a stand-in (one host, the URL's).
 */
export function httpReadyQueue(protocol: HttpProtocol, source: string): { id: ReadyQueueIdentity; route: Route } {
  const url = new URL(protocol.origin);
  const site = `http:${protocol.origin}`;
  const name = `${source}->${site}@${HTTP_CLIENT}`;
  const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
  return {
    id: { site, mxSite: site, ownSite: false, name, key: name, source, tls: url.protocol === 'https:' ? 'Required' : 'Disabled', port },
    route: { site, mxHosts: [url.hostname], hosts: [{ name: url.hostname, addrs: [url.hostname], port }], explicit: true },
  };
}

export function isHttpReadyQueue(name: string): boolean {
  return name.endsWith(`@${HTTP_CLIENT}`);
}

/** What one request needs besides the message body (read from the current config per message). */
export interface HttpRequestFacts {
  readonly protocol: HttpProtocol;
  readonly meta: SpoolMeta;
  readonly queue: string;
}

/**
 * A connection of an HTTP ready queue: one undici Client (one keep-alive HTTP/1.1 connection)
 * per connection lease, so the ready queue is the connection pool and connection_limit bounds
 * the connections and the requests in flight, as for SMTP; it is closed when the ready queue
 * ends the session (idle_timeout, max_deliveries_per_connection). The reply of every recipient of the message is the request's outcome,
 * mapped to SMTP terms so the queue's usual rules apply: 2xx → 250 (Delivery); 429, 5xx,
 * timeouts, connection errors → 451 (TransientFailure, retried); other statuses → 554 (Bounce).
 */
export class HttpSession {
  readonly id = randomUUID();
  readonly tls = undefined;
  readonly local = undefined;
  readonly peer: Peer;
  private readonly abort = new AbortController();
  private closed = false;
  private readonly client: Client;

  constructor(
    private readonly origin: string,
    private readonly source: EgressSource,
    private readonly facts: (job: Job) => HttpRequestFacts | undefined,
  ) {
    const u = new URL(origin);
    const port = Number(u.port) || (u.protocol === 'https:' ? 443 : 80);
    this.peer = { name: u.hostname, addr: u.hostname, port };
    this.client = new (undici().Client)(origin, { keepAliveTimeout: 30_000, pipelining: 1, ...(source.sourceAddress ? { localAddress: source.sourceAddress } : {}) });
  }

  get usable(): boolean {
    return !this.closed && !this.client.closed && !this.client.destroyed;
  }

  async send(from: string, to: readonly string[], body: Buffer, opts: { job?: Job } = {}): Promise<SendResult> {
    const facts = opts.job ? this.facts(opts.job) : undefined;
    const reply = facts ? await this.request(facts, from, to, body) : internal('the queue no longer delivers by HTTP', 451, '4.4.0');
    return new Map(to.map((r) => [r, reply]));
  }

  private async request(f: HttpRequestFacts, from: string, to: readonly string[], body: Buffer): Promise<SmtpReply> {
    const p = f.protocol;
    const url = new URL(p.url);
    if (url.origin !== this.origin) return internal(`the queue's URL moved to ${url.origin}`, 451, '4.4.0');
    let headers: Record<string, string>;
    let payload: Buffer | string;
    try {
      headers = { ...p.headers, ...(await authHeader(p)) };
    } catch (e) {
      return internal(`HTTP auth secret unavailable: ${(e as Error).message}`, 451, '4.7.0');
    }
    if (p.body === 'json') {
      payload = JSON.stringify(envelopeJson(f.meta, f.queue, from, to, body));
      headers['content-type'] ??= 'application/json';
    } else {
      payload = body;
      headers['content-type'] ??= 'message/rfc822';
      headers['x-kumo-envelope-from'] = from;
      headers['x-kumo-envelope-to'] = to.join(', ');
      headers['x-kumo-message-id'] = f.meta.id;
    }
    const signal = AbortSignal.any([this.abort.signal, AbortSignal.timeout(p.timeoutMs)]);
    try {
      const res = await this.client.request({
        path: url.pathname + url.search, method: p.method, headers, body: payload, signal,
        headersTimeout: p.timeoutMs, bodyTimeout: p.timeoutMs,
      });
      const text = await snippet(res.body);
      return statusReply(res.statusCode, text, p.method);
    } catch (e) {
      const err = e as Error & { code?: string };
      const what = signal.aborted && !this.abort.signal.aborted ? `no response within ${Math.round(p.timeoutMs / 1000)}s` : `${err.code ?? err.name}: ${err.message}`;
      return internal(`HTTP request to ${this.origin} failed: ${what}`, 451, '4.4.1');
    }
  }

  async quit(): Promise<void> {
    this.closed = true;
    await this.client.close().catch(() => undefined);
  }

  /** Aborts the request in flight (shutdown deadline). */
  destroy(): void {
    this.closed = true;
    this.abort.abort();
    void this.client.destroy().catch(() => undefined);
  }
}

/** An HTTP status in SMTP terms (the status and the start of the body kept in the text). */
export function statusReply(status: number, body: string, method = 'POST'): SmtpReply {
  const text = `HTTP ${status}${body ? `: ${body}` : ''}`;
  if (status >= 200 && status < 300) return { code: 250, enhanced: '2.0.0', text, command: method };
  if (status === 429 || status >= 500) return { code: 451, enhanced: '4.0.0', text, command: method };
  return { code: 554, enhanced: '5.0.0', text, command: method };
}

function internal(text: string, code: number, enhanced: string): SmtpReply {
  return { code, enhanced, text: `kumo-ts: ${text}`, command: 'HTTP', internal: true };
}

async function authHeader(p: HttpProtocol): Promise<Record<string, string>> {
  if (!p.auth) return {};
  if (p.auth.kind === 'bearer') return { authorization: `Bearer ${(await loadKey(p.auth.token)).toString('utf8').trim()}` };
  const pw = (await loadKey(p.auth.password)).toString('utf8').trim();
  return { authorization: `Basic ${Buffer.from(`${p.auth.username}:${pw}`).toString('base64')}` };
}

/** The start of a response body, one line (the rest is read and discarded: the socket is reused). */
async function snippet(body: AsyncIterable<Buffer>): Promise<string> {
  let kept = '';
  for await (const chunk of body) if (kept.length < BODY_SNIPPET) kept += chunk.toString('utf8');
  return kept.slice(0, BODY_SNIPPET).replace(/\s+/g, ' ').trim();
}
