import type { TlsaRecord } from '../dns/resolver.js';

/** RFC 8460 §4.3 result types. */
export type TlsRptResultType =
  | 'starttls-not-supported'
  | 'certificate-host-mismatch'
  | 'certificate-expired'
  | 'certificate-not-trusted'
  | 'validation-failure'
  | 'tlsa-invalid'
  | 'dnssec-invalid'
  | 'dane-required'
  | 'sts-policy-fetch-error'
  | 'sts-policy-invalid'
  | 'sts-webpki-invalid';

/** One session's outcome under a policy, for TLS-RPT. */
export interface SessionOutcome {
  readonly ok: boolean;
  readonly type?: TlsRptResultType;
  readonly mxHost: string;
  readonly receivingIp?: string;
  readonly sendingIp?: string;
  readonly text?: string;
}

/**
 * The TLS policy that applies to a route, decided per policy (recipient) domain when the
 * route is resolved (src/tls-policy/decide.ts) and carried on the Route to the SMTP client.
 */
export interface RouteTlsPolicy {
  readonly kind: 'mta-sts' | 'dane';
  /** the policy domain (TLS-RPT reports per domain) */
  readonly domain: string;
  /** MTA-STS: enforce or testing; DANE: dane */
  readonly mode: 'enforce' | 'testing' | 'dane';
  /** what distinguishes this policy in a ready queue identity */
  readonly key: string;
  /** MTA-STS: the policy's mx patterns */
  readonly mx?: readonly string[];
  /** MTA-STS: the policy id (TXT) */
  readonly id?: string;
  /** TLS-RPT policy-string */
  readonly policyString: readonly string[];
  /**
   * DANE: the secure TLSA records per MX host (lower case). A host not in the map has none
   * and gets the ordinary TLS mode; an empty list (only unusable records) means TLS is
   * required without authentication (RFC 7672 §3.1.3).
   */
  readonly tlsa?: ReadonlyMap<string, readonly TlsaRecord[]>;
  /**
   * DANE: MX hosts that are CNAME aliases: the expanded name (a certificate name accepted
   * besides the MX host name) and the TLSA base domain the records were found at
   */
  readonly daneAliases?: ReadonlyMap<string, { readonly expanded: string; readonly base: string }>;
  /** extra CAs (PEM) trusted when verifying MTA-STS MX certificates */
  readonly extraCa?: string;
  /** counts one session's outcome (TLS-RPT); absent when reporting is off */
  readonly record?: (o: SessionOutcome) => void;
}

/** Whether the policy governs connections to `host`. */
export function governs(p: RouteTlsPolicy, host: string): boolean {
  return p.kind === 'mta-sts' || (p.tlsa?.has(host.toLowerCase()) ?? false);
}

/** "MTA-STS policy of example.com (enforce)" / "DANE (TLSA _25._tcp.mx.example.com)": how a failure names the policy. */
export function policyLabel(p: RouteTlsPolicy, host: string, port = 25): string {
  return p.kind === 'mta-sts' ? `MTA-STS policy of ${p.domain} (${p.mode})` : `DANE (TLSA _${port}._tcp.${daneBase(p, host)})`;
}

/** DANE: the name a host's TLSA records are at (its CNAME expansion, or the host itself). */
export function daneBase(p: RouteTlsPolicy, host: string): string {
  const h = host.toLowerCase();
  return p.daneAliases?.get(h)?.base ?? h;
}

/** DANE-TA name check (RFC 7672 §3.2.2): the MX host name and, for an alias, its expanded name. */
export function daneNames(p: RouteTlsPolicy, host: string): string[] {
  const h = host.toLowerCase();
  const a = p.daneAliases?.get(h);
  return a ? [h, a.expanded] : [h];
}
