// The AMQP delivery protocol of a queue: `protocol = { amqp = { url, exchange, routing_key, body, headers, timeout, unroutable, auth } }`.
import type { Protocol } from '../config/generated/queues.js';
import type { Reporter } from '../config/report.js';
import type { KeyPath, SourceFile } from '../config/source-file.js';
import { parseDuration } from '../config/values.js';
import { compileKeySource } from '../keys/key-source.js';
import type { KeySourceSpec } from '../keys/key-source.js';

export const DEFAULT_AMQP_TIMEOUT_MS = 30_000;

/** The `{name}` placeholders a routing key may use. */
export const ROUTING_KEY_FIELDS = ['id', 'queue', 'domain', 'tenant', 'campaign', 'sender'] as const;
export type RoutingKeyField = (typeof ROUTING_KEY_FIELDS)[number];

export interface AmqpProtocol {
  readonly kind: 'amqp';
  /** the URL as written (it may hold a password: never log it; use `endpoint`) */
  readonly url: string;
  /**
   * `scheme://user@host:port/vhost`, no password: one ready queue (and its connections) per
   * endpoint and source; the user is part of it since the credentials are the connection's.
   */
  readonly endpoint: string;
  readonly host: string;
  readonly port: number;
  readonly exchange: string;
  readonly routingKey: string;
  readonly body: 'raw' | 'json';
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly unroutable: 'retry' | 'bounce';
  readonly auth?: { readonly username: string; readonly password: KeySourceSpec };
}

type RawAmqp = NonNullable<Protocol['amqp']>;

/** Compiles `protocol.amqp` at `path`; problems are reported there (undefined when unusable). */
export function compileAmqpProtocol(file: SourceFile, path: KeyPath, raw: RawAmqp, root: string, r: Reporter): AmqpProtocol | undefined {
  let url: URL | undefined;
  try {
    url = new URL(raw.url);
  } catch {
    /* reported below */
  }
  if (!url || (url.protocol !== 'amqp:' && url.protocol !== 'amqps:') || !url.hostname) {
    r.error(file, [...path, 'url'], 'value.url', `protocol.amqp.url: "${raw.url.replace(/:[^:@/]*@/, ':***@')}" is not an amqp:// or amqps:// URL with a host`);
    return undefined;
  }
  let ok = true;
  // a user name in the URL may repeat auth.username; a password there next to auth is ambiguous
  if (raw.auth && (url.password || (url.username && decodeURIComponent(url.username) !== raw.auth.username))) {
    r.error(file, [...path, 'auth'], 'value.auth', 'protocol.amqp: give the credentials either in the URL or in auth, not both (the URL may only repeat auth.username)', 'key');
    ok = false;
  }
  for (const m of raw.routing_key.matchAll(/\{([^}]*)\}/g)) {
    if (!(ROUTING_KEY_FIELDS as readonly string[]).includes(m[1]!)) {
      r.error(file, [...path, 'routing_key'], 'value.routing-key', `protocol.amqp.routing_key: {${m[1]}} is not a field it can take (${ROUTING_KEY_FIELDS.map((f) => `{${f}}`).join(', ')})`);
      ok = false;
    }
  }
  if (Buffer.byteLength(raw.routing_key) > 255 && !raw.routing_key.includes('{')) {
    r.error(file, [...path, 'routing_key'], 'value.routing-key', 'protocol.amqp.routing_key: AMQP routing keys have at most 255 bytes');
    ok = false;
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw.headers ?? {})) {
    if (name.toLowerCase().startsWith('x-kumo-')) {
      r.error(file, [...path, 'headers', name], 'value.header', `protocol.amqp.headers: "${name}" is a header kumo-ts sets itself`, 'key');
      ok = false;
    } else headers[name] = value;
  }
  const timeoutMs = raw.timeout === undefined ? DEFAULT_AMQP_TIMEOUT_MS : r.parse(file, [...path, 'timeout'], 'value.duration', () => parseDuration(raw.timeout!));
  if (timeoutMs === 0) {
    r.error(file, [...path, 'timeout'], 'value.duration', 'protocol.amqp.timeout must be greater than 0');
    ok = false;
  }
  let auth: AmqpProtocol['auth'];
  if (raw.auth) {
    const password = compileKeySource(file, [...path, 'auth', 'password'], raw.auth.password, root, r);
    if (password) auth = { username: raw.auth.username, password };
    else ok = false;
  }
  if (!ok || timeoutMs === undefined) return undefined;
  const port = Number(url.port) || (url.protocol === 'amqps:' ? 5671 : 5672);
  const user = auth?.username ?? decodeURIComponent(url.username);
  const endpoint = `${url.protocol}//${user ? `${encodeURIComponent(user)}@` : ''}${url.hostname}:${port}${url.pathname || '/'}`;
  return {
    kind: 'amqp',
    url: url.href,
    endpoint,
    host: url.hostname,
    port,
    exchange: raw.exchange ?? '',
    routingKey: raw.routing_key,
    body: raw.body ?? 'raw',
    headers,
    timeoutMs,
    unroutable: raw.unroutable ?? 'retry',
    ...(auth ? { auth } : {}),
  };
}
