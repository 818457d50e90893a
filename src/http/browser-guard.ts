import { isUtf8 } from 'node:buffer';
import { isIP, type Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { HostPort } from '../config/values.js';
import { BodyTooLargeError } from './listener-errors.js';

/**
 * Defences of the HTTP API against browsers (a page the operator has open elsewhere):
 *
 * - DNS rebinding: an attacker's name re-pointed at 127.0.0.1 makes the browser send
 *   `Host: evil.example` to us, so only loopback names, the listen address and the names in
 *   `[http] allowed_hostnames` are served (421 otherwise);
 * - cross-origin "simple" requests: a browser sends a POST without a CORS preflight only with
 *   a text/plain, form or multipart body, so a POST body must be `application/json` (415);
 * - cross-site requests: a request whose Origin is not our own is refused (403);
 * - CORS: no Access-Control-Allow-* header is ever sent, so a preflight never succeeds.
 */
export interface HostPolicy {
  readonly listen: HostPort;
  readonly allowedHostnames: readonly string[];
}

/** What installBrowserGuard reads per request: the host policy, the body limit and the scheme. */
export interface GuardPolicy extends HostPolicy {
  /** bytes; a larger body gets 413 (src/http/listener-errors.ts) */
  readonly maxBodySize: number;
  /** the listener serves HTTPS (our own origin is then https://host) */
  readonly tls?: unknown;
}

export type HostVerdict = { ok: true } | { ok: false; host: string };

/** The host part of a Host header value (lower case, brackets kept for IPv6, port removed). */
export function hostOf(header: string): string | undefined {
  const v = header.trim().toLowerCase();
  if (v.startsWith('[')) {
    const end = v.indexOf(']');
    if (end < 0) return undefined;
    const rest = v.slice(end + 1);
    if (rest && !/^:\d{1,5}$/.test(rest)) return undefined;
    return v.slice(0, end + 1);
  }
  const m = /^([a-z0-9._-]+)(?::\d{1,5})?$/.exec(v);
  return m ? m[1]!.replace(/\.$/, '') : undefined;
}

const bare = (h: string) => (h.startsWith('[') ? h.slice(1, -1) : h);

function isLoopbackName(h: string): boolean {
  const b = bare(h);
  if (b === 'localhost' || b.endsWith('.localhost')) return true;
  if (isIP(b) === 4) return b.startsWith('127.');
  if (isIP(b) === 6) return b === '::1' || /^::ffff:127\./.test(b);
  return false;
}

/** Whether a request's Host header names this API (see the module comment). */
export function checkHost(header: string | undefined, policy: HostPolicy): HostVerdict {
  // HTTP/1.0 clients may omit it; browsers never do
  if (header === undefined) return { ok: true };
  const h = hostOf(header);
  if (!h) return { ok: false, host: header };
  if (isLoopbackName(h)) return { ok: true };
  const listen = policy.listen.host.toLowerCase();
  const b = bare(h);
  if (b === bare(listen)) return { ok: true };
  // bound to every address: any of the machine's IP literals may be used (a rebinding
  // attack always carries the attacker's host name, never an IP literal)
  if ((listen === '0.0.0.0' || listen === '::' || listen === '[::]') && isIP(b)) return { ok: true };
  if (policy.allowedHostnames.some((n) => n === h || bare(n) === b)) return { ok: true };
  return { ok: false, host: h };
}

const DISCARD_MS = 30_000;

type Lingering = Socket & { destroySoon?: () => void };

/**
 * Reads and drops the rest of a request body, and makes the connection close lingering: fastify
 * answers a refused body with `Connection: close`, and Node destroys such a socket as soon as
 * the response is written, so bytes the client is still sending meet a reset and the client
 * sees EPIPE instead of the 413. Instead the response and a FIN go out, the rest is read and
 * dropped until the client closes its side, and the socket is cut after DISCARD_MS at most.
 */
function discard(payload: NodeJS.ReadableStream & { socket?: Lingering }): void {
  const socket = payload.socket;
  if (socket) {
    const timer = setTimeout(() => socket.destroy(), DISCARD_MS);
    timer.unref();
    // the client's FIN may come before our response is out (it half-closed after its body)
    socket.destroySoon = () => {
      if (socket.readableEnded) socket.end(() => socket.destroy());
      else if (socket.writable) socket.end();
    };
    socket.once('end', () => {
      if (socket.writableFinished) socket.destroy();
    });
    socket.once('close', () => clearTimeout(timer));
  }
  payload.on('data', () => undefined);
  payload.resume();
}

/** The media type of a Content-Type header, lower case without parameters. */
function mediaType(v: string | undefined): string | undefined {
  return v?.split(';')[0]!.trim().toLowerCase() || undefined;
}

/** The charset parameter of a Content-Type, lower case, unquoted; undefined without one. */
function charsetOf(v: string | undefined): string | undefined {
  const m = /;\s*charset\s*=\s*("?)([^";\s]*)\1/i.exec(v ?? '');
  return m ? m[2]!.toLowerCase() : undefined;
}

function hasBody(headers: Record<string, string | string[] | undefined>): boolean {
  if (headers['transfer-encoding'] !== undefined) return true;
  const len = headers['content-length'];
  return len !== undefined && Number(len) > 0;
}

/**
 * Installs the checks on `app` (after the trusted_hosts check, which runs first because it is
 * registered first). `policy` is read per request so that a new snapshot applies at once.
 */
export function installBrowserGuard(app: FastifyInstance, policy: () => GuardPolicy): void {
  app.addHook('onRequest', async (req, reply) => {
    const v = checkHost(req.headers.host, policy());
    if (!v.ok) {
      return reply.code(421).send({
        error: 'misdirected-host',
        message: `Host "${v.host}" is not served here (DNS rebinding protection): use a loopback name or the listen address, or add the name to [http] allowed_hostnames`,
      });
    }
    // browsers send Origin on every cross-origin request except simple GETs; no page is served
    // here, so only our own origin can be legitimate (a POST without a body is otherwise a
    // "simple" request that a page anywhere could send to 127.0.0.1)
    const origin = req.headers.origin;
    const scheme = policy().tls ? 'https' : 'http';
    if (origin !== undefined && origin.toLowerCase() !== `${scheme}://${String(req.headers.host ?? '').toLowerCase()}`) {
      return reply.code(403).send({ error: 'cross-origin', message: `requests from the web origin ${origin} are refused` });
    }
    if (req.method === 'OPTIONS') {
      // no CORS: a preflight gets no Access-Control-Allow-*, so the browser blocks the request
      return reply.code(405).header('allow', 'GET, HEAD, POST').send({ error: 'method-not-allowed', message: 'CORS is not supported by this API' });
    }
    if (req.method === 'GET' || req.method === 'HEAD') return;
    const type = mediaType(req.headers['content-type']);
    // a body, or any declared type, must be JSON: text/plain and forms are what a browser
    // may send cross-origin without a preflight
    if ((hasBody(req.headers) || type !== undefined) && type !== 'application/json') {
      return reply.code(415).send({
        error: 'unsupported-media-type',
        message: `${req.method} ${req.url}: the body must be application/json${type ? `, not ${type}` : ''}`,
      });
    }
    // JSON is UTF-8 (RFC 8259 §8.1): another declared charset would be read as UTF-8 all the same
    const charset = charsetOf(req.headers['content-type']);
    if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
      return reply.code(415).send({
        error: 'unsupported-media-type',
        message: `${req.method} ${req.url}: a JSON body is UTF-8, not charset=${charset}`,
      });
    }
  });
  // only JSON bodies are ever parsed; an empty one (POST without arguments) is no body. The
  // body is read here rather than by fastify's parser so that max_body_size applies live: a
  // declared Content-Length over it is refused before any byte is kept, a chunked body as
  // soon as it passes the limit. The rest of an oversized body is read and thrown away (so
  // that the client, still sending, sees the 413 rather than a reset connection), for at
  // most DISCARD_MS; then the connection is cut.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', (req, payload, done) => {
    const limit = policy().maxBodySize;
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (declared > limit) {
      discard(payload);
      return done(new BodyTooLargeError(limit), undefined);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    payload.on('data', (c: Buffer) => {
      if (over) return;
      size += c.length;
      if (size > limit) {
        over = true;
        chunks.length = 0;
        discard(payload);
        return done(new BodyTooLargeError(limit), undefined);
      }
      chunks.push(c);
    });
    /* c8 ignore start -- the client broke off mid-body: nobody is left to read the answer */
    payload.on('error', (e) => {
      if (over) return;
      over = true;
      done(e, undefined);
    });
    /* c8 ignore stop */
    payload.on('end', () => {
      if (over) return;
      const body = Buffer.concat(chunks);
      if (!isUtf8(body)) {
        // decoded anyway, the bad bytes would become U+FFFD in names and templates
        const err = new Error('the body is not valid UTF-8 (JSON must be)') as Error & { statusCode: number };
        err.statusCode = 400;
        return done(err, undefined);
      }
      const text = body.toString('utf8');
      if (!text.trim()) return done(null, undefined);
      try {
        done(null, JSON.parse(text));
      } catch (e) {
        const err = new Error(`the body is not valid JSON: ${(e as Error).message}`) as Error & { statusCode: number };
        err.statusCode = 400;
        done(err, undefined);
      }
    });
  });
  app.addHook('onSend', async (_req, reply, payload) => {
    for (const h of Object.keys(reply.getHeaders())) if (h.toLowerCase().startsWith('access-control-')) reply.removeHeader(h);
    reply.header('x-content-type-options', 'nosniff');
    return payload;
  });
}
