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
  return p.kind === 'mta-sts' ? `MTA-STS policy of ${p.domain} (${p.mode})` : `DANE (TLSA _${port}._tcp.${host})`;
}
