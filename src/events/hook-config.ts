import type { LogHook } from '../config/generated/kumo.js';
import type { Reporter } from '../config/report.js';
import type { SourceFile } from '../config/source-file.js';
import { isTable, parseDuration, parseThrottle } from '../config/values.js';
import type { Throttle } from '../config/values.js';
import { compileKeySource } from '../keys/key-source.js';
import type { KeySourceSpec } from '../keys/key-source.js';
import type { RecordType } from '../logging/types.js';
import { compileTemplate } from '../inject/templates.js';

/** A compiled `[log_hook.NAME]` (plain data: it lives in the frozen snapshot). */
export interface LogHookSettings {
  readonly name: string;
  readonly kind: 'webhook' | 'amqp';
  readonly url: string;
  readonly enable: boolean;
  /** undefined: every type */
  readonly types?: ReadonlySet<RecordType>;
  readonly tenants?: ReadonlySet<string>;
  readonly campaigns?: ReadonlySet<string>;
  /** exact names and `*.suffix` patterns, lower case */
  readonly domains?: readonly string[];
  readonly batchSize: number;
  readonly batchWaitMs: number;
  readonly template?: string;
  readonly contentType: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly basicAuth?: { readonly user: string; readonly password: KeySourceSpec };
  readonly bearerToken?: KeySourceSpec;
  readonly hmac?: { readonly secret: KeySourceSpec; readonly header: string };
  readonly timeoutMs: number;
  readonly exchange: string;
  readonly routingKey: string;
  readonly connectionLimit: number;
  readonly maxMessageRate?: Throttle;
  readonly retryIntervalMs: number;
  readonly maxRetryIntervalMs: number;
  readonly maxAgeMs: number;
}

/** The scheduled queue a hook's events wait in (queue summary, metrics, logs). */
export function hookQueueName(hook: string): string {
  return `hook:${hook}`;
}

const NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** Compiles every `[log_hook.NAME]` of the main file; problems are reported at their key, the hook then left out. */
export function compileLogHooks(file: SourceFile, raw: Record<string, LogHook> | undefined, root: string, r: Reporter): ReadonlyMap<string, LogHookSettings> {
  const out = new Map<string, LogHookSettings>();
  for (const [name, h] of Object.entries(raw ?? {})) {
    if (!isTable(h)) continue;
    const c = compileOne(file, name, h, root, r);
    if (c) out.set(name, c);
  }
  return out;
}

function compileOne(file: SourceFile, name: string, h: LogHook, root: string, r: Reporter): LogHookSettings | undefined {
  const at = ['log_hook', name];
  const before = r.errorCount;
  if (!NAME.test(name)) r.error(file, at, 'value.log-hook', `log_hook "${name}": a hook name has 1 to 64 letters, digits, "_", "." or "-"`, 'key');
  let url: URL | undefined;
  try {
    url = new URL(h.url);
  } catch {
    r.error(file, [...at, 'url'], 'value.url', `log_hook "${name}": url "${h.url}" is not a URL`);
  }
  // an unknown kind was reported by the schema already
  if (url && (h.kind === 'webhook' || h.kind === 'amqp')) {
    const ok = h.kind === 'webhook' ? ['http:', 'https:'] : ['amqp:', 'amqps:'];
    if (!ok.includes(url.protocol)) r.error(file, [...at, 'url'], 'value.url', `log_hook "${name}": a ${h.kind} hook needs an ${ok.map((p) => p + '//').join(' or ')} url (got ${url.protocol}//)`);
  }
  const dur = (key: keyof LogHook, dflt: number) => {
    const v = h[key] as string | number | undefined;
    return v === undefined ? dflt : r.parse(file, [...at, key], 'value.duration', () => parseDuration(v)) ?? dflt;
  };
  const webhookOnly = (['headers', 'basic_auth', 'bearer_token', 'hmac'] as const).filter((k) => h[k] !== undefined);
  const amqpOnly = (['exchange', 'routing_key'] as const).filter((k) => h[k] !== undefined);
  for (const k of h.kind === 'amqp' ? webhookOnly : amqpOnly)
    r.error(file, [...at, k], 'value.log-hook', `log_hook "${name}": ${k} does not apply to a ${h.kind} hook`, 'key');
  if (h.basic_auth && h.bearer_token) r.error(file, [...at, 'bearer_token'], 'value.log-hook', `log_hook "${name}": use basic_auth or bearer_token, not both`, 'key');
  const key = (path: (string | number)[], raw: Parameters<typeof compileKeySource>[2]) => compileKeySource(file, path, raw, root, r);
  const password = h.basic_auth ? key([...at, 'basic_auth', 'password'], h.basic_auth.password) : undefined;
  const bearer = h.bearer_token !== undefined ? key([...at, 'bearer_token'], h.bearer_token) : undefined;
  const secret = h.hmac ? key([...at, 'hmac', 'secret'], h.hmac.secret) : undefined;
  if (h.template !== undefined) r.parse(file, [...at, 'template'], 'value.template', () => compileTemplate(`log_hook.${name}.template`, h.template!, { html: false }));
  const rate = h.max_message_rate !== undefined ? r.parse(file, [...at, 'max_message_rate'], 'value.throttle', () => parseThrottle(h.max_message_rate!)) : undefined;
  const retryIntervalMs = dur('retry_interval', 1_000);
  const maxRetryIntervalMs = dur('max_retry_interval', 60_000);
  if (maxRetryIntervalMs < retryIntervalMs) r.error(file, [...at, 'max_retry_interval'], 'value.log-hook', `log_hook "${name}": max_retry_interval is shorter than retry_interval`);
  const settings: LogHookSettings = {
    name,
    kind: h.kind,
    url: h.url,
    enable: h.enable ?? true,
    ...(h.types ? { types: new Set(h.types) } : {}),
    ...(h.tenants ? { tenants: new Set(h.tenants) } : {}),
    ...(h.campaigns ? { campaigns: new Set(h.campaigns) } : {}),
    ...(h.domains ? { domains: h.domains.map((d) => d.toLowerCase()) } : {}),
    batchSize: h.batch_size ?? 1,
    batchWaitMs: dur('batch_wait', 1_000),
    ...(h.template !== undefined ? { template: h.template } : {}),
    contentType: h.content_type ?? (h.template !== undefined ? 'text/plain; charset=utf-8' : 'application/json'),
    headers: { ...(h.headers ?? {}) },
    ...(h.basic_auth && password ? { basicAuth: { user: h.basic_auth.user, password } } : {}),
    ...(bearer ? { bearerToken: bearer } : {}),
    ...(h.hmac && secret ? { hmac: { secret, header: h.hmac.header ?? 'X-Kumo-Signature' } } : {}),
    timeoutMs: dur('timeout', 30_000),
    exchange: h.exchange ?? '',
    routingKey: h.routing_key ?? '{type}',
    connectionLimit: h.connection_limit ?? 4,
    ...(rate ? { maxMessageRate: rate } : {}),
    retryIntervalMs,
    maxRetryIntervalMs,
    maxAgeMs: dur('max_age', 7 * 86_400_000),
  };
  return r.errorCount === before ? settings : undefined;
}
