import { dirname } from 'node:path';
import type { Reporter } from '../config/report.js';
import type { KeyPath, SourceFile } from '../config/source-file.js';
import { CidrSet, LOOPBACK_CIDRS, parseDuration, parseHostPort } from '../config/values.js';
import type { HostPort } from '../config/values.js';
import type { Listener as RawListener, TlsIdentity as RawIdentity } from '../config/generated/kumo.js';
import { compileKeySource, fileKeySource } from '../keys/key-source.js';
import type { KeySourceSpec } from '../keys/key-source.js';
import type { IdentitySpec } from '../tls/cert-store.js';
import { selfSignedPath } from '../tls/self-signed.js';
import { acmeDirOf } from '../acme/cert-files.js';
import { checkIdentitySourcesSync, checkCredentialsSync } from './listener-checks.js';

export interface ListenerTlsSettings {
  readonly default: IdentitySpec;
  /** lower-cased server name or "*.suffix" → certificate */
  readonly sni: ReadonlyMap<string, IdentitySpec>;
  readonly implicit: boolean;
  readonly expiryWarningMs: number;
  /** no tls block: `default` is the self-signed certificate generated at this path (src/tls/self-signed.ts) */
  readonly generated?: { readonly path: string; readonly hostname: string };
}

export interface ListenerAuthSettings {
  readonly credentials: KeySourceSpec;
  readonly maxFailures: number;
  readonly failureWindowMs: number;
  /** authenticated sessions may relay anywhere */
  readonly relay: boolean;
}

export interface TraceHeaderSettings {
  readonly received: boolean;
  readonly supplemental: boolean;
  readonly headerName: string;
}

/** A listener as compiled into the snapshot. */
export interface ListenerSettings {
  readonly name: string;
  readonly listen: HostPort;
  /** `listen` as written in the config ("127.0.0.1:2525"), a key for per-listener listener_domains */
  readonly listenSpec: string;
  readonly hostname: string;
  readonly banner: string;
  readonly relayHosts: CidrSet;
  readonly maxRecipientsPerMessage: number;
  readonly maxMessagesPerConnection: number;
  readonly maxMessageSize: number;
  readonly maxConnections: number;
  readonly clientTimeoutMs: number;
  readonly reverseLookup: boolean;
  readonly tls?: ListenerTlsSettings;
  readonly auth?: ListenerAuthSettings;
  readonly traceHeaders: TraceHeaderSettings;
  /** peers whose connections start with a PROXY header (v1 or v2) */
  readonly proxyProtocolFrom?: CidrSet;
  readonly deferredSpool: boolean;
  /** concurrent connections from one client address (IPv6: per /64) */
  readonly maxConnectionsPerIp: number;
  /** deadline for one command line, from its first byte */
  readonly commandTimeoutMs: number;
  /** deadline for the whole DATA phase, 354 to the final dot */
  readonly dataTimeoutMs: number;
  /** minimum average DATA rate (bytes/s) after the first 30 s; 0 = off */
  readonly minDataRate: number;
  /** greet pause; clients talking before the 220 are rejected (0 = greet at once) */
  readonly earlyTalkerDelayMs: number;
  readonly bareNewline: 'Normalize' | 'Reject';
  readonly longLines: 'Wrap' | 'Reject';
}

export const LISTENER_DEFAULTS = Object.freeze({
  maxRecipientsPerMessage: 1024,
  maxMessagesPerConnection: 10_000,
  maxMessageSize: 20 * 1024 * 1024,
  maxConnections: 1000,
  clientTimeoutMs: 60_000,
  expiryWarningMs: 14 * 86_400_000,
  maxAuthFailures: 5,
  authFailureWindowMs: 10 * 60_000,
  supplementalHeader: 'X-KumoRef',
  maxConnectionsPerIp: 50,
  commandTimeoutMs: 5 * 60_000,
  dataTimeoutMs: 10 * 60_000,
  minDataRate: 1024,
  earlyTalkerDelayMs: 0,
});

const SIZE_UNITS: Record<string, number> = { b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3 };

/** 20971520, "20MB", "512 KB", "1GiB" (powers of 1024) → bytes. */
export function parseByteSize(v: string | number): number {
  if (typeof v === 'number') {
    if (!Number.isInteger(v) || v < 1) throw new Error(`invalid size ${v}: must be a positive number of bytes`);
    return v;
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(v);
  const unit = m ? SIZE_UNITS[(m[2] || 'b').toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new Error(`invalid size "${v}" (expected e.g. 20971520, "512KB", "20MB" or "1GB")`);
  const n = Math.floor(Number(m[1]) * unit);
  if (n < 1) throw new Error(`invalid size "${v}": must be at least 1 byte`);
  return n;
}

export function compileListener(
  file: SourceFile,
  path: KeyPath,
  name: string,
  raw: RawListener,
  nodeHostname: string,
  r: Reporter,
  /** where generated listener certificates are kept (the spool's parent); none: no default STARTTLS */
  dataDir?: string,
): ListenerSettings | undefined {
  // the main file always sits in the config root; key files resolve against it
  const root = dirname(file.path);
  const at = (...k: (string | number)[]) => [...path, ...k];
  const listen = r.parse(file, at('listen'), 'value.host-port', () => parseHostPort(raw.listen));
  const relayHosts = r.parse(file, at('relay_hosts'), 'value.cidr', () => new CidrSet(raw.relay_hosts ?? LOOPBACK_CIDRS));
  const proxyFrom = raw.proxy_protocol_from === undefined ? undefined : r.parse(file, at('proxy_protocol_from'), 'value.cidr', () => new CidrSet(raw.proxy_protocol_from!));
  const dur = (k: string, v: string | number | undefined, dflt: number) =>
    v === undefined ? dflt : (r.parse(file, at(...k.split('.')), 'value.duration', () => parseDuration(v)) ?? dflt);
  const maxMessageSize = raw.max_message_size === undefined ? LISTENER_DEFAULTS.maxMessageSize
    : (r.parse(file, at('max_message_size'), 'value.size', () => parseByteSize(raw.max_message_size!)) ?? LISTENER_DEFAULTS.maxMessageSize);
  const clientTimeoutMs = dur('client_timeout', raw.client_timeout, LISTENER_DEFAULTS.clientTimeoutMs);
  if (clientTimeoutMs < 1000) r.error(file, at('client_timeout'), 'value.duration', `listener "${name}": client_timeout must be at least 1s`);

  let tls: ListenerTlsSettings | undefined;
  if (raw.tls) {
    const t = raw.tls;
    const identity = (raw2: RawIdentity, p: KeyPath): IdentitySpec | undefined => {
      const certificate = compileKeySource(file, [...p, 'certificate'], raw2.certificate, root, r, { acmeDir: dataDir && acmeDirOf(dataDir) });
      const privateKey = raw2.private_key === undefined ? undefined : compileKeySource(file, [...p, 'private_key'], raw2.private_key, root, r);
      if (!certificate || (raw2.private_key !== undefined && !privateKey)) return undefined;
      const spec: IdentitySpec = privateKey ? { certificate, privateKey } : { certificate };
      if (certificate.kind === 'file' && certificate.acme) {
        // kumo-ts writes this file (a placeholder until the first order succeeds): nothing to check yet
        if (privateKey) r.error(file, [...p, 'private_key'], 'value.key-source', `listener "${name}" TLS: an ACME certificate holds its own key; remove private_key`, 'key');
        return spec;
      }
      const problem = checkIdentitySourcesSync(spec);
      if (problem) (problem.severity === 'error' ? r.error : r.warn).call(r, file, [...p, 'certificate'], problem.code, `listener "${name}" TLS: ${problem.message}`, 'value');
      return spec;
    };
    const dflt = identity({ certificate: t.certificate, private_key: t.private_key }, at('tls'));
    const sni = new Map<string, IdentitySpec>();
    for (const [host, id] of Object.entries(t.sni ?? {})) {
      const h = host.toLowerCase().replace(/\.$/, '');
      if (!/^(\*\.)?([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?\.)*[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?$/.test(h)) {
        r.error(file, at('tls', 'sni', host), 'value.hostname', `listener "${name}" TLS: SNI name "${host}" is not a host name or "*.suffix"`, 'key');
        continue;
      }
      const spec = identity(id, at('tls', 'sni', host));
      if (spec) sni.set(h, spec);
    }
    if (dflt)
      tls = { default: dflt, sni, implicit: t.implicit ?? false, expiryWarningMs: dur('tls.expiry_warning', t.expiry_warning, LISTENER_DEFAULTS.expiryWarningMs) };
    if (raw.starttls === false)
      r.error(file, at('starttls'), 'value.starttls-with-tls', `listener "${name}": starttls = false conflicts with its tls block (remove one of them)`, 'key');
  } else if ((raw.starttls ?? true) && dataDir) {
    // STARTTLS by default, as KumoMTA does: a certificate generated for the listener's name
    const host = raw.hostname ?? nodeHostname;
    const path = selfSignedPath(dataDir, host);
    tls = { default: { certificate: fileKeySource(path) }, sni: new Map(), implicit: false, expiryWarningMs: LISTENER_DEFAULTS.expiryWarningMs, generated: { path, hostname: host } };
  }

  let auth: ListenerAuthSettings | undefined;
  if (raw.auth) {
    const a = raw.auth;
    if (!tls && !raw.tls) r.error(file, at('auth'), 'value.auth-needs-tls', `listener "${name}": auth needs TLS (AUTH is only offered over TLS), and this listener has ${raw.starttls === false ? 'starttls = false' : 'none'}`, 'key');
    else if (tls?.generated)
      r.warn(file, at('auth'), 'value.auth-self-signed', `listener "${name}": AUTH is offered after STARTTLS with the generated self-signed certificate, which clients cannot verify; configure tls with a real certificate before users submit mail here`, 'key');
    const credentials = compileKeySource(file, at('auth', 'credentials'), a.credentials, root, r);
    if (credentials) {
      const problem = checkCredentialsSync(credentials);
      if (problem) (problem.severity === 'error' ? r.error : r.warn).call(r, file, at('auth', 'credentials'), problem.code, `listener "${name}" auth: ${problem.message}`, 'value');
      auth = {
        credentials,
        maxFailures: a.max_failures ?? LISTENER_DEFAULTS.maxAuthFailures,
        failureWindowMs: dur('auth.failure_window', a.failure_window, LISTENER_DEFAULTS.authFailureWindowMs),
        relay: a.relay ?? true,
      };
    }
  }

  const th = raw.trace_headers ?? {};
  if (!listen || !relayHosts || (raw.proxy_protocol_from !== undefined && !proxyFrom)) return undefined;
  const hostname = raw.hostname ?? nodeHostname;
  return {
    name,
    listen,
    listenSpec: raw.listen,
    hostname,
    banner: raw.banner ?? 'kumo-ts',
    relayHosts,
    maxRecipientsPerMessage: raw.max_recipients_per_message ?? LISTENER_DEFAULTS.maxRecipientsPerMessage,
    maxMessagesPerConnection: raw.max_messages_per_connection ?? LISTENER_DEFAULTS.maxMessagesPerConnection,
    maxMessageSize,
    maxConnections: raw.max_connections ?? LISTENER_DEFAULTS.maxConnections,
    clientTimeoutMs,
    reverseLookup: raw.reverse_lookup ?? false,
    tls,
    auth,
    traceHeaders: {
      received: th.received_header ?? true,
      supplemental: th.supplemental_header ?? true,
      headerName: th.header_name ?? LISTENER_DEFAULTS.supplementalHeader,
    },
    proxyProtocolFrom: proxyFrom,
    deferredSpool: raw.deferred_spool ?? false,
    maxConnectionsPerIp: raw.max_connections_per_ip ?? LISTENER_DEFAULTS.maxConnectionsPerIp,
    commandTimeoutMs: dur('command_timeout', raw.command_timeout, LISTENER_DEFAULTS.commandTimeoutMs),
    dataTimeoutMs: dur('data_timeout', raw.data_timeout, LISTENER_DEFAULTS.dataTimeoutMs),
    minDataRate: raw.min_data_rate === undefined ? LISTENER_DEFAULTS.minDataRate
      : raw.min_data_rate === 0 ? 0 : (r.parse(file, at('min_data_rate'), 'value.size', () => parseByteSize(raw.min_data_rate!)) ?? LISTENER_DEFAULTS.minDataRate),
    earlyTalkerDelayMs: dur('early_talker_delay', raw.early_talker_delay, LISTENER_DEFAULTS.earlyTalkerDelayMs),
    bareNewline: raw.bare_newline ?? 'Normalize',
    longLines: raw.long_lines ?? 'Wrap',
  };
}
