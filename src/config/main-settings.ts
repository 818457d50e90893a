import { availableParallelism, hostname as osHostname, totalmem } from 'node:os';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { KumoMain } from './generated/kumo.js';
import type { Reporter } from './report.js';
import type { SourceFile } from './source-file.js';
import { isTable, parseDuration, parseHostPort } from './values.js';
import { compileListener, parseByteSize } from '../smtp/listener-config.js';
import type { ListenerSettings } from '../smtp/listener-config.js';
import type { PerRecordKey } from '../logging/record-policy.js';
import { compileHttp } from './http-settings.js';
import type { HttpSettings } from './http-settings.js';
import { compileAcme } from './acme-settings.js';
import type { AcmeSettings } from './acme-settings.js';
import type { IdentitySpec } from '../tls/cert-store.js';
import { compileLogHooks } from '../events/hook-config.js';
import type { LogHookSettings } from '../events/hook-config.js';
import { compileTlsPolicy } from '../tls-policy/settings.js';
import type { TlsPolicySettings } from '../tls-policy/settings.js';

export interface MainSettings {
  readonly file: string;
  readonly hostname: string;
  readonly server: {
    /** this node receives SMTP: at least one listener is required */
    readonly smtp: boolean;
    /** budget of message bytes held in memory while being received */
    readonly maxInflightBytes: number;
    /** SMTP reception processes (1 = everything in one process; src/runtime/cluster-role.ts) */
    readonly workers: number;
  };
  readonly listeners: ReadonlyMap<string, ListenerSettings>;
  /** the default HTTP listener's settings ([http]) and every listener by name (src/config/http-settings.ts) */
  readonly http: HttpSettings;
  readonly spool: { readonly path: string; readonly groupCommitWindowMs: number };
  readonly logs: {
    readonly path: string; readonly maxFileSize: number; readonly maxFileAgeMs: number; readonly compress: boolean;
    /** `[logs] headers`: header names (or `X-*` prefixes) captured into every record of a message */
    readonly headers: readonly string[];
    /** `[logs.per_record.<Type>] enable` (src/logging/record-policy.ts) */
    readonly perRecord: ReadonlyMap<PerRecordKey, boolean>;
  };
  readonly dns: {
    readonly mode: 'system' | 'servers' | 'static';
    readonly nameServers: readonly string[];
    readonly zoneFile?: string;
    readonly timeoutMs: number;
    /** deliver to loopback/unspecified addresses found by MX lookups (tests, labs) */
    readonly allowLoopbackDestinations: boolean;
  };
  readonly redis?: { readonly url: string };
  /** `[acme]`: certificates kumo-ts obtains itself (src/acme/) */
  readonly acme?: AcmeSettings;
  /** `[tls_policy]`: MTA-STS, DANE and TLS-RPT (src/tls-policy/) */
  readonly tlsPolicy: TlsPolicySettings;
  readonly monitor: { readonly globs: readonly string[]; readonly pollIntervalMs: number };
  /** `[log_hook.NAME]`: records shipped durably to webhooks and AMQP (src/events/) */
  readonly logHooks: ReadonlyMap<string, LogHookSettings>;
}

/** Compiles the validated main file. Data paths resolve against the working directory. */
export function compileMain(file: SourceFile, root: string, r: Reporter): MainSettings {
  const raw = file.data as KumoMain;
  const hostname = raw.hostname ?? osHostname();
  const listeners = new Map<string, ListenerSettings>();
  const seen = new Map<string, string>();
  // generated listener certificates live next to the spool (a mistyped path was reported by the schema)
  const dataDir = dirname(resolve(typeof raw.spool?.path === 'string' ? raw.spool.path : './data/spool'));
  for (const [name, l] of Object.entries(raw.listener ?? {})) {
    if (!isTable(l)) continue;
    const c = compileListener(file, ['listener', name], name, l, hostname, r, dataDir);
    if (!c) continue;
    const addr = `${c.listen.host}:${c.listen.port}`;
    if (seen.has(addr)) r.error(file, ['listener', name, 'listen'], 'value.duplicate-listen', `listener "${name}" listens on ${addr}, as listener "${seen.get(addr)}" already does`);
    seen.set(addr, name);
    listeners.set(name, c);
  }
  const dur = (path: (string | number)[], v: string | number | undefined, dflt: number) =>
    v === undefined ? dflt : r.parse(file, path, 'value.duration', () => parseDuration(v)) ?? dflt;
  const dns = raw.dns ?? {};
  const mode = dns.mode ?? 'system';
  if (mode === 'static' && !dns.zone_file) r.error(file, ['dns', 'mode'], 'value.dns', 'dns: mode "static" needs zone_file');
  if (mode === 'servers' && !dns.name_servers?.length) r.error(file, ['dns', 'mode'], 'value.dns', 'dns: mode "servers" needs name_servers');
  for (const [i, s] of (dns.name_servers ?? []).entries()) r.parse(file, ['dns', 'name_servers', i], 'value.host-port', () => parseHostPort(s, 53));
  const server = raw.server ?? {};
  // an empty or gutted main file must not go live as a node without SMTP (issue 9)
  if ((server.smtp ?? true) && Object.keys(raw.listener ?? {}).length === 0) {
    const at = server.smtp === true ? ['server', 'smtp'] : ['listener'];
    r.error(file, at, 'config.no-listeners',
      'no SMTP listener: add a [listener.NAME] with listen = "host:port", or set [server] smtp = false to run only the HTTP API and the queue');
  }
  const inflightDefault = Math.floor(totalmem() / 4);
  const acme = compileAcme(file, raw.acme, root, dataDir, r);
  const http = compileHttp(file, raw.http, r, dataDir);
  // a listener (SMTP or HTTP) naming an ACME certificate needs it declared
  const tlsOf = (t: { default: IdentitySpec; sni: ReadonlyMap<string, IdentitySpec> } | undefined) =>
    [[['tls'], t?.default] as const, ...[...(t?.sni ?? [])].map(([h, s]) => [['tls', 'sni', h], s] as const)];
  const checkAcmeRefs = (what: string, at: string[], t: Parameters<typeof tlsOf>[0]) => {
    for (const [where, id] of tlsOf(t)) {
      const want = id?.certificate.kind === 'file' ? id.certificate.acme : undefined;
      if (want && !acme?.certs.has(want))
        r.error(file, [...at, ...where, 'certificate', 'acme'], 'ref.unknown-acme-cert', `${what}: ACME certificate "${want}" is not declared (add [acme.cert.${want}] with its names)`);
    }
  };
  for (const [name, l] of listeners) checkAcmeRefs(`listener "${name}"`, ['listener', name], l.tls);
  for (const [name, l] of http.listeners) checkAcmeRefs(name === 'default' ? 'http' : `http listener "${name}"`, name === 'default' ? ['http'] : ['http', 'listener', name], l.tls);
  return {
    file: file.path,
    hostname,
    server: {
      smtp: server.smtp ?? true,
      maxInflightBytes: server.max_inflight_bytes === undefined ? inflightDefault
        : (r.parse(file, ['server', 'max_inflight_bytes'], 'value.size', () => parseByteSize(server.max_inflight_bytes!)) ?? inflightDefault),
      workers: compileWorkers(file, server.workers, server.smtp !== false && listeners.size > 0, listeners, r),
    },
    listeners,
    http,
    spool: {
      path: resolve(raw.spool?.path ?? './data/spool'),
      groupCommitWindowMs: dur(['spool', 'group_commit_window'], raw.spool?.group_commit_window, 2),
    },
    logs: {
      path: resolve(raw.logs?.path ?? './data/logs'),
      maxFileSize: raw.logs?.max_file_size ?? 100 * 1024 * 1024,
      maxFileAgeMs: dur(['logs', 'max_file_age'], raw.logs?.max_file_age, 3_600_000),
      compress: raw.logs?.compress ?? true,
      headers: raw.logs?.headers ?? [],
      perRecord: new Map(Object.entries(raw.logs?.per_record ?? {}).flatMap(([k, v]) => (v?.enable !== undefined ? [[k as PerRecordKey, v.enable] as const] : []))),
    },
    dns: {
      mode,
      nameServers: dns.name_servers ?? [],
      zoneFile: dns.zone_file ? (isAbsolute(dns.zone_file) ? dns.zone_file : resolve(root, dns.zone_file)) : undefined,
      timeoutMs: dur(['dns', 'timeout'], dns.timeout, 5000),
      allowLoopbackDestinations: dns.allow_loopback_destinations ?? false,
    },
    redis: raw.redis ? { url: raw.redis.url } : undefined,
    acme,
    tlsPolicy: compileTlsPolicy(file, raw.tls_policy, root, dataDir, hostname, raw.dns, r),
    monitor: {
      globs: raw.monitor?.globs ?? [],
      pollIntervalMs: dur(['monitor', 'poll_interval'], raw.monitor?.poll_interval, 10_000),
    },
    logHooks: compileLogHooks(file, raw.log_hook, root, r),
  };
}

/**
 * `[server] workers`: "auto" (the default) = one per core. Without the key, KUMO_TS_WORKERS (a
 * number or "auto") sets the default, so a whole test suite can run with or without workers;
 * the key always wins. A listener with `deferred_spool` keeps messages in its own process's RAM,
 * which the queue owner cannot read: the default is then one process (an explicit number still
 * wins, and that listener spools durably: warned at start). A node that receives no SMTP
 * (`smtp = false`) has nothing for workers to do: one process.
 */
function compileWorkers(file: SourceFile, v: number | 'auto' | undefined, smtp: boolean, listeners: ReadonlyMap<string, ListenerSettings>, r: Reporter): number {
  if (v === undefined) {
    const env = process.env.KUMO_TS_WORKERS?.trim();
    if (!env) return !smtp || [...listeners.values()].some((l) => l.deferredSpool) ? 1 : availableParallelism();
    if (env === 'auto') return availableParallelism();
    const n = Number(env);
    if (Number.isInteger(n) && n >= 1 && n <= 256) return n;
    r.error(file, ['server', 'workers'], 'value.workers', `KUMO_TS_WORKERS="${env}" (the default of [server] workers) is neither "auto" nor a number 1..256`);
    return 1;
  }
  return v === 'auto' ? availableParallelism() : v;
}
