// A typed client of the kumo-ts HTTP API over undici, for the admin commands and `top`.
import { readFileSync } from 'node:fs';
import { undici } from '../net/undici.js';
import type { Dispatcher } from 'undici';
import type {
  BounceV1ListEntry, BounceV1Request, BounceV1Response, ConfigStatus, InjectV1Request, InjectV1Response,
  InspectMessageV1Response, QueueSummaryV1, RebindV1Request, SuspendReadyQV1ListEntry, SuspendReadyQV1Request,
  SuspendV1ListEntry, SuspendV1Request,
} from './api-types.js';

/**
 * Exit codes of the API commands: 1 the server refused or failed the request (non-2xx, or an
 * answer that is not the expected JSON), 2 a usage error (bad option, unreadable file), 3 the
 * server could not be reached (connection refused, TLS failure, timeout).
 */
export const EXIT = { refused: 1, usage: 2, connect: 3 } as const;

/** A failure that ends a command: its message is one line; `exitCode` is one of EXIT. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode: number, readonly code: string) {
    super(message);
  }
}

export class UsageError extends CliError {
  constructor(message: string) {
    super(message, EXIT.usage, 'cli.usage');
  }
}

/** The server answered with a non-2xx status. */
export class ApiRefusedError extends CliError {
  constructor(message: string, readonly status: number, readonly body: unknown) {
    super(message, EXIT.refused, 'api.refused');
  }
}

export class ApiConnectError extends CliError {
  constructor(message: string) {
    super(message, EXIT.connect, 'api.connect');
  }
}

export type ApiAuth = { kind: 'basic'; user: string; password: string } | { kind: 'bearer'; token: string } | { kind: 'none' };

export interface ApiClientOptions {
  /** http(s)://host:port (a trailing path is kept as a prefix) */
  endpoint: string;
  auth?: ApiAuth;
  /** PEM file of the CA(s) that signed an https endpoint's certificate */
  caFile?: string;
  /** ms to wait for the answer's headers; long admin sweeps may take minutes (default 10 min) */
  timeoutMs?: number;
  connectTimeoutMs?: number;
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  timeoutMs?: number;
  /** statuses answered as `undefined` instead of an error (e.g. 404 when probing) */
  allow?: readonly number[];
}

/** `host:port` or a URL → a normalized base URL without trailing slash. */
export function normalizeEndpoint(endpoint: string): string {
  let e = endpoint.trim();
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(e)) e = `http://${e}`;
  let u: URL;
  try {
    u = new URL(e);
  } catch {
    throw new UsageError(`invalid --endpoint "${endpoint}" (expected http://HOST:PORT or https://HOST:PORT)`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new UsageError(`invalid --endpoint "${endpoint}": only http and https are supported`);
  return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`;
}

/** The text of an error answer: the server's JSON `message`/`error`, else its first line of text. */
export function describeErrorBody(body: unknown, text: string): string {
  if (body && typeof body === 'object') {
    const o = body as Record<string, unknown>;
    const parts: string[] = [];
    // fastify answers {statusCode, error: "Bad Request", message: "…"}: the message says it all
    const main = [o.message, o.error, o.reason].find((v) => typeof v === 'string' && v !== '');
    if (main !== undefined) parts.push(main as string);
    if (Array.isArray(o.errors)) parts.push(...o.errors.slice(0, 3).map((e) => (typeof e === 'string' ? e : JSON.stringify(e))));
    if (parts.length) return parts.join(': ');
    return JSON.stringify(body);
  }
  const line = text.trim().split(/\r?\n/)[0] ?? '';
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

export class ApiClient {
  readonly endpoint: string;
  private readonly dispatcher: Dispatcher;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;

  constructor(opts: ApiClientOptions) {
    this.endpoint = normalizeEndpoint(opts.endpoint);
    let ca: Buffer | undefined;
    if (opts.caFile) {
      try {
        ca = readFileSync(opts.caFile);
      } catch (e) {
        throw new UsageError(`cannot read --ca ${opts.caFile}: ${(e as Error).message}`);
      }
    }
    this.dispatcher = new (undici().Agent)({ connect: { ca, timeout: opts.connectTimeoutMs ?? 5_000 }, keepAliveTimeout: 4_000 });
    this.timeoutMs = opts.timeoutMs ?? 600_000;
    this.headers = { accept: 'application/json' };
    const a = opts.auth ?? { kind: 'none' };
    if (a.kind === 'basic') this.headers.authorization = `Basic ${Buffer.from(`${a.user}:${a.password}`).toString('base64')}`;
    if (a.kind === 'bearer') this.headers.authorization = `Bearer ${a.token}`;
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }

  /** One JSON request; throws ApiRefusedError / ApiConnectError with a one-line message naming the endpoint. */
  async call<T>(method: 'GET' | 'POST' | 'DELETE', path: string, o: RequestOptions = {}): Promise<T> {
    const url = new URL(this.endpoint + path);
    for (const [k, v] of Object.entries(o.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const what = `${method} ${url.href}`;
    const headers = { ...this.headers };
    let body: string | undefined;
    if (o.body !== undefined) {
      body = JSON.stringify(o.body);
      headers['content-type'] = 'application/json';
    }
    const timeout = o.timeoutMs ?? this.timeoutMs;
    let res: Dispatcher.ResponseData;
    let text: string;
    try {
      res = await undici().request(url, { method, headers, body, dispatcher: this.dispatcher, headersTimeout: timeout, bodyTimeout: timeout });
      text = await res.body.text();
    } catch (e) {
      throw new ApiConnectError(`${what}: cannot reach the server: ${connectReason(e)}`);
    }
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (res.statusCode < 200 || res.statusCode > 299) {
      if (o.allow?.includes(res.statusCode)) return undefined as T;
      throw new ApiRefusedError(`${what}: ${res.statusCode} ${statusText(res.statusCode)}: ${describeErrorBody(json, text) || '(empty answer)'}`, res.statusCode, json ?? text);
    }
    if (json === undefined && text.trim() !== '') throw new ApiRefusedError(`${what}: the answer is not JSON: ${describeErrorBody(undefined, text)}`, res.statusCode, text);
    return (json ?? {}) as T;
  }

  configStatus(timeoutMs?: number): Promise<ConfigStatus> {
    return this.call('GET', '/api/config/status', { timeoutMs });
  }

  queueSummary(timeoutMs?: number): Promise<QueueSummaryV1> {
    return this.call('GET', '/api/admin/queue-summary/v1', { timeoutMs });
  }

  inspectMessage(id: string, wantBody: boolean): Promise<InspectMessageV1Response> {
    return this.call('GET', '/api/admin/inspect-message/v1', { query: { id, want_body: wantBody ? 'true' : undefined } });
  }

  bounce(req: BounceV1Request): Promise<BounceV1Response> {
    return this.call('POST', '/api/admin/bounce/v1', { body: req });
  }

  bounceList(timeoutMs?: number): Promise<BounceV1ListEntry[]> {
    return this.call('GET', '/api/admin/bounce/v1', { timeoutMs });
  }

  bounceCancel(id: string): Promise<unknown> {
    return this.call('DELETE', '/api/admin/bounce/v1', { body: { id } });
  }

  suspend(req: SuspendV1Request): Promise<{ id: string }> {
    return this.call('POST', '/api/admin/suspend/v1', { body: req });
  }

  suspendList(timeoutMs?: number): Promise<SuspendV1ListEntry[]> {
    return this.call('GET', '/api/admin/suspend/v1', { timeoutMs });
  }

  /** undefined when no scheduled-queue suspension has this id (404) */
  suspendCancel(id: string): Promise<unknown> {
    return this.call('DELETE', '/api/admin/suspend/v1', { body: { id }, allow: [404] });
  }

  suspendReadyQ(req: SuspendReadyQV1Request): Promise<{ id: string }> {
    return this.call('POST', '/api/admin/suspend-ready-q/v1', { body: req });
  }

  suspendReadyQList(timeoutMs?: number): Promise<SuspendReadyQV1ListEntry[]> {
    return this.call('GET', '/api/admin/suspend-ready-q/v1', { timeoutMs });
  }

  /** undefined when no ready-queue suspension has this id (404) */
  suspendReadyQCancel(id: string): Promise<unknown> {
    return this.call('DELETE', '/api/admin/suspend-ready-q/v1', { body: { id }, allow: [404] });
  }

  rebind(req: RebindV1Request): Promise<Record<string, unknown>> {
    return this.call('POST', '/api/admin/rebind/v1', { body: req });
  }

  inject(req: InjectV1Request): Promise<InjectV1Response> {
    return this.call('POST', '/api/inject/v1', { body: req });
  }
}

function connectReason(e: unknown): string {
  const err = e as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = err.code ?? err.cause?.code;
  const msg = err.cause?.message ?? err.message ?? String(e);
  if (code === 'ECONNREFUSED') return 'connection refused (is kumo-ts serve running with its HTTP API on this address?)';
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return 'timed out waiting for the answer';
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return 'connect timed out';
  return code && !msg.includes(code) ? `${code}: ${msg}` : msg;
}

function statusText(status: number): string {
  const t: Record<number, string> = {
    400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 409: 'Conflict',
    413: 'Payload Too Large', 415: 'Unsupported Media Type', 421: 'Misdirected Request', 422: 'Unprocessable Entity',
    429: 'Too Many Requests', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable',
  };
  return t[status] ?? 'Error';
}
