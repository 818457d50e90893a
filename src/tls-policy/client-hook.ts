import type { TLSSocket } from 'node:tls';
import type { Route } from '../dns/route.js';
import { trustedCas } from './mta-sts-fetch.js';
import { policyAllows } from './mta-sts-policy.js';
import { peerChain, verifyDane } from './dane-verify.js';
import { daneNames, governs, policyLabel } from './route-policy.js';
import type { RouteTlsPolicy, TlsRptResultType } from './route-policy.js';

/** The nodemailer TLS settings a policy imposes on one host (merged over the enable_tls ones). */
export interface PolicyTlsOptions {
  readonly requireTLS: boolean;
  readonly ignoreTLS: boolean;
  readonly tls: { rejectUnauthorized: false; ca?: string[] };
}

function hostPolicy(route: Route, host: string): RouteTlsPolicy | undefined {
  const p = route.tlsPolicy;
  return p && governs(p, host) ? p : undefined;
}

/**
 * MTA-STS enforce and DANE: STARTTLS required (never plain text, whatever enable_tls says).
 * MTA-STS testing: enable_tls as configured. Certificates are always checked by
 * `checkPolicyTls` after the handshake (the handshake itself accepts any, so a testing policy
 * can count what it would have refused, and DANE can authenticate what PKIX does not know).
 */
export function policyTlsOptions(route: Route, host: string, base: { requireTLS: boolean; ignoreTLS: boolean }): PolicyTlsOptions | undefined {
  const p = hostPolicy(route, host);
  if (!p) return undefined;
  const strict = p.mode !== 'testing';
  return {
    requireTLS: strict || base.requireTLS,
    ignoreTLS: strict ? false : base.ignoreTLS,
    tls: { rejectUnauthorized: false, ...(p.kind === 'mta-sts' && p.extraCa ? { ca: trustedCas(p.extraCa) } : {}) },
  };
}

/** Node's verification error codes → RFC 8460 result types. */
function pkixType(code: string | undefined): TlsRptResultType {
  if (!code) return 'validation-failure';
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return 'certificate-host-mismatch';
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') return 'certificate-expired';
  if (/SELF_SIGNED|UNABLE_TO_GET_ISSUER|UNABLE_TO_VERIFY|CERT_UNTRUSTED|CERT_REJECTED|INVALID_CA/.test(code)) return 'certificate-not-trusted';
  return 'validation-failure';
}

export interface PolicyPeer {
  readonly name: string;
  readonly addr: string;
  readonly port: number;
}

/**
 * After EHLO (and STARTTLS): whether the session meets the host's policy. Counts the outcome
 * for TLS-RPT and returns the reason to refuse the session (enforce, DANE), or undefined to go
 * on (met, testing, or no policy for this host).
 */
export function checkPolicyTls(route: Route, peer: PolicyPeer, secure: boolean, sock: TLSSocket | undefined, localAddress?: string): string | undefined {
  const p = hostPolicy(route, peer.name);
  if (!p) return undefined;
  const host = peer.name.toLowerCase();
  let type: TlsRptResultType | undefined;
  let text = '';
  if (!secure || !sock || typeof sock.getPeerCertificate !== 'function') {
    type = 'starttls-not-supported';
    text = 'the session is not encrypted';
  } else if (p.kind === 'mta-sts') {
    if (!sock.authorized) {
      type = pkixType(String(sock.authorizationError ?? ''));
      text = `the certificate of ${host} is not valid: ${String(sock.authorizationError ?? 'unverified')}`;
    } else if (!policyAllows({ mx: p.mx ?? [] }, host)) {
      type = 'validation-failure';
      text = `${host} matches none of the policy's mx patterns (${(p.mx ?? []).join(', ')})`;
    }
  } else {
    const recs = p.tlsa!.get(host)!;
    // only unusable records: TLS required, not authenticated (RFC 7672 §3.1.3)
    if (recs.length) {
      const res = verifyDane(recs, peerChain(sock), daneNames(p, host));
      if (!res.ok) {
        type = 'tlsa-invalid';
        text = res.reason;
      }
    }
  }
  p.record?.({ ok: !type, type, mxHost: host, receivingIp: peer.addr, sendingIp: localAddress, text: type ? text : undefined });
  if (!type || p.mode === 'testing') return undefined;
  return `${policyLabel(p, host, peer.port)}: ${text}; not delivering to ${host}`;
}

/**
 * A session that failed before it was set up: when a policy governs the host, counts a
 * STARTTLS or handshake failure and names the policy in the reply text. TCP failures are no
 * TLS session and are not counted.
 */
export function policyConnectFailure(route: Route, peer: PolicyPeer, command: string | undefined, message: string, localAddress?: string): string | undefined {
  const p = hostPolicy(route, peer.name);
  if (!p) return undefined;
  const host = peer.name.toLowerCase();
  const tlsStep = command === 'STARTTLS' || /TLS|certificate|handshake/i.test(message);
  if (!tlsStep) return undefined;
  const type: TlsRptResultType = command === 'STARTTLS' && /upgrading connection/i.test(message) ? 'starttls-not-supported' : p.kind === 'dane' ? 'validation-failure' : 'validation-failure';
  p.record?.({ ok: false, type, mxHost: host, receivingIp: peer.addr, sendingIp: localAddress, text: message });
  return `${policyLabel(p, host, peer.port)}: ${type === 'starttls-not-supported' ? `${host} does not offer STARTTLS, which the policy requires` : message}`;
}
