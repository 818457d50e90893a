import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { HttpAuth as RawAuth, HttpListener as RawListener, HttpTls as RawTls, TlsIdentity as RawIdentity } from './generated/kumo.js';
import type { Reporter } from './report.js';
import type { KeyPath, SourceFile } from './source-file.js';
import { CidrSet, LOOPBACK_CIDRS, isTable, parseDuration, parseHostPort } from './values.js';
import type { HostPort } from './values.js';
import { compileKeySource } from '../keys/key-source.js';
import type { KeySourceSpec } from '../keys/key-source.js';
import type { IdentitySpec } from '../tls/cert-store.js';
import { checkCredentialsSync, checkIdentitySourcesSync } from '../smtp/listener-checks.js';
import { parseByteSize } from '../smtp/listener-config.js';
import { parseTokens } from '../http/auth-tokens.js';
import { acmeDirOf } from '../acme/cert-files.js';

export interface HttpTlsSettings {
  readonly default: IdentitySpec;
  /** lower-cased server name or "*.suffix" → certificate */
  readonly sni: ReadonlyMap<string, IdentitySpec>;
  readonly expiryWarningMs: number;
}

export interface HttpAuthSettings {
  /** HTTP Basic users ("user:hash" lines, as SMTP AUTH) */
  readonly credentials?: KeySourceSpec;
  /** Bearer tokens ("label:sha256:hex" lines) */
  readonly tokens?: KeySourceSpec;
  readonly maxFailures: number;
  readonly failureWindowMs: number;
}

/** One HTTP listener: `[http]` itself ("default") or `[http.listener.NAME]`. */
export interface HttpListenerSettings {
  readonly name: string;
  readonly enabled: boolean;
  readonly listen: HostPort;
  readonly trustedHosts: CidrSet;
  /** extra names accepted in the Host header (lower case, no port) */
  readonly allowedHostnames: readonly string[];
  /** bytes */
  readonly maxBodySize: number;
  /** bytes of one message an inject request generates */
  readonly maxMessageSize: number;
  /** one inject template rendering */
  readonly templateTimeoutMs: number;
  readonly tls?: HttpTlsSettings;
  readonly auth?: HttpAuthSettings;
}

/** `main.http`: the default listener's settings (flat, as before) plus every listener by name. */
export interface HttpSettings extends HttpListenerSettings {
  /** every listener, "default" included (also the disabled ones) */
  readonly listeners: ReadonlyMap<string, HttpListenerSettings>;
}

export const HTTP_DEFAULTS = Object.freeze({
  listen: '127.0.0.1:8000',
  maxBodySize: 64 * 1024 * 1024,
  maxMessageSize: 20 * 1024 * 1024,
  templateTimeoutMs: 1000,
  expiryWarningMs: 14 * 86_400_000,
  maxAuthFailures: 5,
  authFailureWindowMs: 10 * 60_000,
});

type RawHttp = RawListener | (Omit<RawListener, 'listen'> & { listen?: string });

function problemOf(spec: KeySourceSpec, parse: (text: string) => string[]): { code: string; severity: 'error' | 'warning'; message: string } | undefined {
  if (spec.kind !== 'file' && spec.kind !== 'inline') return undefined;
  let text: string;
  try {
    text = spec.kind === 'inline' ? spec.data : readFileSync(spec.path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { code: 'file.missing', severity: 'error', message: `${spec.describe}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}` };
  }
  const problems = parse(text);
  return problems.length ? { code: 'value.tokens', severity: 'warning', message: problems.join('; ') } : undefined;
}

function compileOne(file: SourceFile, path: KeyPath, name: string, raw: RawHttp, r: Reporter, dataDir?: string): HttpListenerSettings {
  const root = dirname(file.path);
  const at = (...k: (string | number)[]) => [...path, ...k];
  const what = name === 'default' ? 'http' : `http listener "${name}"`;
  const dur = (k: KeyPath, v: string | number | undefined, dflt: number) =>
    v === undefined ? dflt : (r.parse(file, k, 'value.duration', () => parseDuration(v)) ?? dflt);
  const fallback = parseHostPort(HTTP_DEFAULTS.listen);
  const listen = r.parse(file, at('listen'), 'value.host-port', () => parseHostPort(raw.listen ?? HTTP_DEFAULTS.listen)) ?? fallback;
  const trustedHosts = r.parse(file, at('trusted_hosts'), 'value.cidr', () => new CidrSet(raw.trusted_hosts ?? LOOPBACK_CIDRS)) ?? new CidrSet(LOOPBACK_CIDRS);
  const allowedHostnames = (raw.allowed_hostnames ?? []).flatMap((h, i) => {
    if (/^[A-Za-z0-9.-]+$/.test(h) || /^\[[0-9A-Fa-f:.]+\]$/.test(h)) return [h.toLowerCase().replace(/\.$/, '')];
    r.error(file, at('allowed_hostnames', i), 'value.hostname', `${what}: allowed_hostnames[${i}]: "${h}" is not a host name (no port, no scheme, no wildcard)`);
    return [];
  });
  const maxBodySize = raw.max_body_size === undefined ? HTTP_DEFAULTS.maxBodySize
    : (r.parse(file, at('max_body_size'), 'value.size', () => parseByteSize(raw.max_body_size!)) ?? HTTP_DEFAULTS.maxBodySize);
  const maxMessageSize = raw.max_message_size === undefined ? HTTP_DEFAULTS.maxMessageSize
    : (r.parse(file, at('max_message_size'), 'value.size', () => parseByteSize(raw.max_message_size!)) ?? HTTP_DEFAULTS.maxMessageSize);
  const templateTimeoutMs = dur(at('template_timeout'), raw.template_timeout, HTTP_DEFAULTS.templateTimeoutMs);

  let tls: HttpTlsSettings | undefined;
  if (raw.tls) {
    const t: RawTls = raw.tls;
    const identity = (id: RawIdentity, p: KeyPath): IdentitySpec | undefined => {
      const certificate = compileKeySource(file, [...p, 'certificate'], id.certificate, root, r, { acmeDir: dataDir && acmeDirOf(dataDir) });
      const privateKey = id.private_key === undefined ? undefined : compileKeySource(file, [...p, 'private_key'], id.private_key, root, r);
      if (!certificate || (id.private_key !== undefined && !privateKey)) return undefined;
      const spec: IdentitySpec = privateKey ? { certificate, privateKey } : { certificate };
      if (certificate.kind === 'file' && certificate.acme) {
        // kumo-ts writes this file (a placeholder until the first order succeeds): nothing to check yet
        if (privateKey) r.error(file, [...p, 'private_key'], 'value.key-source', `${what} TLS: an ACME certificate holds its own key; remove private_key`, 'key');
        return spec;
      }
      const problem = checkIdentitySourcesSync(spec);
      if (problem) (problem.severity === 'error' ? r.error : r.warn).call(r, file, [...p, 'certificate'], problem.code, `${what} TLS: ${problem.message}`, 'value');
      return spec;
    };
    const dflt = identity({ certificate: t.certificate, private_key: t.private_key }, at('tls'));
    const sni = new Map<string, IdentitySpec>();
    for (const [host, id] of Object.entries(t.sni ?? {})) {
      const h = host.toLowerCase().replace(/\.$/, '');
      if (!/^(\*\.)?([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?\.)*[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?$/.test(h)) {
        r.error(file, at('tls', 'sni', host), 'value.hostname', `${what} TLS: SNI name "${host}" is not a host name or "*.suffix"`, 'key');
        continue;
      }
      const spec = identity(id, at('tls', 'sni', host));
      if (spec) sni.set(h, spec);
    }
    if (dflt) tls = { default: dflt, sni, expiryWarningMs: dur(at('tls', 'expiry_warning'), t.expiry_warning, HTTP_DEFAULTS.expiryWarningMs) };
  }

  let auth: HttpAuthSettings | undefined;
  if (raw.auth) {
    const a: RawAuth = raw.auth;
    const credentials = a.credentials === undefined ? undefined : compileKeySource(file, at('auth', 'credentials'), a.credentials, root, r);
    const tokens = a.tokens === undefined ? undefined : compileKeySource(file, at('auth', 'tokens'), a.tokens, root, r);
    if (a.credentials === undefined && a.tokens === undefined)
      r.error(file, at('auth'), 'value.http-auth', `${what}: auth needs credentials (HTTP Basic) or tokens (Bearer), or both`, 'key');
    if (credentials) {
      const problem = checkCredentialsSync(credentials);
      if (problem) (problem.severity === 'error' ? r.error : r.warn).call(r, file, at('auth', 'credentials'), problem.code, `${what} auth: ${problem.message}`, 'value');
    }
    if (tokens) {
      const problem = problemOf(tokens, (text) => [...parseTokens(text, tokens.kind === 'file' ? tokens.path : tokens.describe).problems]);
      if (problem) (problem.severity === 'error' ? r.error : r.warn).call(r, file, at('auth', 'tokens'), problem.code, `${what} auth: ${problem.message}`, 'value');
    }
    if (!tls && listen.host !== '127.0.0.1' && listen.host !== '::1' && listen.host !== 'localhost')
      r.warn(file, at('auth'), 'value.http-auth-plaintext', `${what}: credentials are accepted over plain HTTP on ${listen.host}; configure tls so that they are not sent in the clear`, 'key');
    auth = {
      credentials, tokens,
      maxFailures: a.max_failures ?? HTTP_DEFAULTS.maxAuthFailures,
      failureWindowMs: dur(at('auth', 'failure_window'), a.failure_window, HTTP_DEFAULTS.authFailureWindowMs),
    };
  }
  return { name, enabled: raw.enabled ?? true, listen, trustedHosts, allowedHostnames, maxBodySize, maxMessageSize, templateTimeoutMs, tls, auth };
}

/** Compiles `[http]` (the default listener) and `[http.listener.NAME]`. */
/** `dataDir`: where ACME certificates live (a listener's tls.certificate = { acme = "NAME" }). */
export function compileHttp(file: SourceFile, raw: (RawHttp & { listener?: Record<string, RawListener> }) | undefined, r: Reporter, dataDir?: string): HttpSettings {
  const { listener: named, ...flat } = raw ?? {};
  const dflt = compileOne(file, ['http'], 'default', flat, r, dataDir);
  const listeners = new Map<string, HttpListenerSettings>([['default', dflt]]);
  const seen = new Map<string, string>();
  if (dflt.enabled) seen.set(`${dflt.listen.host}:${dflt.listen.port}`, 'default');
  for (const [name, l] of Object.entries(named ?? {})) {
    if (!isTable(l)) continue;
    if (name === 'default') {
      r.error(file, ['http', 'listener', name], 'value.http-listener-name', 'http.listener.default: "default" is the listener of the [http] keys themselves; choose another name', 'key');
      continue;
    }
    const c = compileOne(file, ['http', 'listener', name], name, l, r, dataDir);
    const addr = `${c.listen.host}:${c.listen.port}`;
    if (c.enabled && c.listen.port !== 0) {
      if (seen.has(addr)) r.error(file, ['http', 'listener', name, 'listen'], 'value.duplicate-listen', `http listener "${name}" listens on ${addr}, as http listener "${seen.get(addr)}" already does`);
      seen.set(addr, name);
    }
    listeners.set(name, c);
  }
  return { ...dflt, listeners };
}
