// The HTTP delivery protocol of a queue: `protocol = { http = { url, method, headers, body, timeout, auth } }`.
import type { Protocol } from '../config/generated/queues.js';
import type { Reporter } from '../config/report.js';
import type { KeyPath, SourceFile } from '../config/source-file.js';
import { parseDuration } from '../config/values.js';
import { compileKeySource } from '../keys/key-source.js';
import type { KeySourceSpec } from '../keys/key-source.js';

export const DEFAULT_HTTP_TIMEOUT_MS = 60_000;

export interface HttpProtocol {
  readonly kind: 'http';
  /** the URL as written (validated) */
  readonly url: string;
  /** scheme://host:port: one connection pool and one ready queue per origin and source */
  readonly origin: string;
  readonly method: 'POST' | 'PUT';
  readonly headers: Readonly<Record<string, string>>;
  readonly body: 'raw' | 'json';
  readonly timeoutMs: number;
  readonly auth?: { readonly kind: 'basic'; readonly username: string; readonly password: KeySourceSpec } | { readonly kind: 'bearer'; readonly token: KeySourceSpec };
}

type RawHttp = NonNullable<Protocol['http']>;

/** Headers kumo-ts sets itself: a configured one would contradict the request. */
const OWN_HEADERS = new Set(['content-length', 'transfer-encoding', 'host', 'connection']);

/** Compiles `protocol.http` at `path`; problems are reported there (undefined when unusable). */
export function compileHttpProtocol(file: SourceFile, path: KeyPath, raw: RawHttp, root: string, r: Reporter): HttpProtocol | undefined {
  let url: URL | undefined;
  try {
    url = new URL(raw.url);
  } catch {
    /* reported below */
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    r.error(file, [...path, 'url'], 'value.url', `protocol.http.url: "${raw.url}" is not an http:// or https:// URL`);
    return undefined;
  }
  if (url.username || url.password) {
    r.error(file, [...path, 'url'], 'value.url', 'protocol.http.url: credentials do not belong in the URL; use protocol.http.auth (the secret from a key source)');
    return undefined;
  }
  const headers: Record<string, string> = {};
  let ok = true;
  for (const [name, value] of Object.entries(raw.headers ?? {})) {
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name) || OWN_HEADERS.has(name.toLowerCase())) {
      r.error(file, [...path, 'headers', name], 'value.header', `protocol.http.headers: "${name}" is not a header kumo-ts can send (invalid name, or set by kumo-ts itself)`, 'key');
      ok = false;
    } else if (/[\r\n\0]/.test(value)) {
      r.error(file, [...path, 'headers', name], 'value.header', `protocol.http.headers.${name}: a header value cannot contain line breaks`);
      ok = false;
    } else headers[name] = value;
  }
  const timeoutMs = raw.timeout === undefined ? DEFAULT_HTTP_TIMEOUT_MS : r.parse(file, [...path, 'timeout'], 'value.duration', () => parseDuration(raw.timeout!));
  if (timeoutMs === 0) {
    r.error(file, [...path, 'timeout'], 'value.duration', 'protocol.http.timeout must be greater than 0');
    ok = false;
  }
  let auth: HttpProtocol['auth'];
  if (raw.auth) {
    const a = raw.auth;
    const ap = [...path, 'auth'];
    if (a.bearer !== undefined && (a.username !== undefined || a.password !== undefined)) {
      r.error(file, ap, 'value.auth', 'protocol.http.auth: give either bearer, or username and password', 'key');
      ok = false;
    } else if (a.bearer !== undefined) {
      const token = compileKeySource(file, [...ap, 'bearer'], a.bearer, root, r);
      if (token) auth = { kind: 'bearer', token };
      else ok = false;
    } else if (a.username !== undefined && a.password !== undefined) {
      const password = compileKeySource(file, [...ap, 'password'], a.password, root, r);
      if (password) auth = { kind: 'basic', username: a.username, password };
      else ok = false;
    } else {
      r.error(file, ap, 'value.auth', 'protocol.http.auth: Basic auth needs both username and password', 'key');
      ok = false;
    }
  }
  if (!ok || timeoutMs === undefined) return undefined;
  return {
    kind: 'http',
    url: url.href,
    origin: url.origin,
    method: raw.method ?? 'POST',
    headers,
    body: raw.body ?? 'raw',
    timeoutMs,
    ...(auth ? { auth } : {}),
  };
}
