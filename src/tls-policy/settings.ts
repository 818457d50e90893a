import { readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type { KumoMain } from '../config/generated/kumo.js';
import type { Reporter } from '../config/report.js';
import type { SourceFile } from '../config/source-file.js';
import { parseDuration, parseHostPort } from '../config/values.js';
import type { HostPort } from '../config/values.js';

/** `[tls_policy]` of the main file, compiled. */
export interface TlsPolicySettings {
  /** extra trusted CA certificates (PEM), read at compile time */
  readonly extraCa?: string;
  readonly mtaStsCacheFile: string;
  readonly mtaStsFetchTimeoutMs: number;
  readonly mtaStsMaxPolicySize: number;
  readonly mtaStsPort: number;
  readonly mtaStsNegativeTtlMs: number;
  /** validating resolvers for DANE; empty: DANE never applies */
  readonly daneResolvers: readonly HostPort[];
  readonly tlsRpt: {
    readonly enabled: boolean;
    readonly periodMs: number;
    readonly organizationName: string;
    readonly contactInfo: string;
    readonly sender: string;
    readonly maxReportsPerPeriod: number;
    readonly httpsTimeoutMs: number;
    /** first retry of a report not handed over; doubling, at most an hour apart */
    readonly retryIntervalMs: number;
    /** retried for this long after the first try */
    readonly retryForMs: number;
    readonly stateFile: string;
  };
}

type Raw = NonNullable<KumoMain['tls_policy']>;

/**
 * Compiles `[tls_policy]`. Data files default next to the spool directory (`dataDir`); a
 * missing or unreadable ca_file is a config error naming the key.
 */
export function compileTlsPolicy(file: SourceFile, raw: Raw | undefined, root: string, dataDir: string, hostname: string, dns: KumoMain['dns'], r: Reporter): TlsPolicySettings {
  const t = raw ?? {};
  const at = (...k: (string | number)[]) => ['tls_policy', ...k];
  const dur = (k: string[], v: string | number | undefined, dflt: number) => (v === undefined ? dflt : r.parse(file, at(...k), 'value.duration', () => parseDuration(v)) ?? dflt);
  const path = (p: string | undefined, dflt: string) => (p ? (isAbsolute(p) ? p : resolve(root, p)) : join(dataDir, dflt));
  let extraCa: string | undefined;
  if (t.ca_file) {
    const p = path(t.ca_file, '');
    try {
      extraCa = readFileSync(p, 'utf8');
      if (!extraCa.includes('-----BEGIN CERTIFICATE-----')) r.error(file, at('ca_file'), 'value.ca-file', `tls_policy.ca_file ${p} holds no PEM certificate`, 'value');
    } catch (e) {
      r.error(file, at('ca_file'), 'value.ca-file', `tls_policy.ca_file: cannot read ${p}: ${(e as Error).message}`, 'value');
    }
  }
  const resolvers: HostPort[] = [];
  const list = t.dane_resolvers ?? ((dns?.mode ?? 'system') === 'servers' ? dns?.name_servers ?? [] : []);
  list.forEach((s, i) => {
    const hp = t.dane_resolvers ? r.parse(file, at('dane_resolvers', i), 'value.host-port', () => parseHostPort(s, 53)) : safeHostPort(s);
    if (hp) resolvers.push(hp);
  });
  const rpt = t.tls_rpt ?? {};
  return {
    extraCa,
    mtaStsCacheFile: path(t.mta_sts_cache, 'mta-sts-cache.json'),
    mtaStsFetchTimeoutMs: dur(['mta_sts_fetch_timeout'], t.mta_sts_fetch_timeout, 10_000),
    mtaStsMaxPolicySize: t.mta_sts_max_policy_size ?? 65_536,
    mtaStsPort: t.mta_sts_port ?? 443,
    mtaStsNegativeTtlMs: dur(['mta_sts_negative_ttl'], t.mta_sts_negative_ttl, 300_000),
    daneResolvers: resolvers,
    tlsRpt: {
      enabled: rpt.enabled ?? false,
      periodMs: Math.max(1000, dur(['tls_rpt', 'period'], rpt.period, 86_400_000)),
      organizationName: rpt.organization_name ?? hostname,
      contactInfo: rpt.contact_info ?? `mailto:postmaster@${hostname}`,
      sender: rpt.sender ?? `noreply-tlsrpt@${hostname}`,
      maxReportsPerPeriod: rpt.max_reports_per_period ?? 1000,
      httpsTimeoutMs: dur(['tls_rpt', 'https_timeout'], rpt.https_timeout, 30_000),
      retryIntervalMs: Math.max(100, dur(['tls_rpt', 'retry_interval'], rpt.retry_interval, 300_000)),
      retryForMs: dur(['tls_rpt', 'retry_for'], rpt.retry_for, 86_400_000),
      stateFile: path(rpt.state_file, 'tls-rpt.json'),
    },
  };
}

function safeHostPort(s: string): HostPort | undefined {
  try {
    return parseHostPort(s, 53);
  } catch {
    return undefined; // reported under dns.name_servers already
  }
}
