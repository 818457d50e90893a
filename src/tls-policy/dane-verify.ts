import { createHash, X509Certificate } from 'node:crypto';
import type { DetailedPeerCertificate, TLSSocket } from 'node:tls';
import type { TlsaRecord } from '../dns/resolver.js';

/** RFC 7672 §3.1: only DANE-TA(2) and DANE-EE(3), selectors 0/1, matching types 0/1/2 are usable for SMTP. */
export function usableTlsa(r: TlsaRecord): boolean {
  return (r.usage === 2 || r.usage === 3) && (r.selector === 0 || r.selector === 1) && r.matchingType >= 0 && r.matchingType <= 2;
}

/** The certificate data a TLSA record's selector and matching type name. */
export function tlsaAssociation(cert: X509Certificate, selector: number, matchingType: number): Buffer {
  const data = selector === 0 ? cert.raw : (cert.publicKey.export({ type: 'spki', format: 'der' }) as Buffer);
  if (matchingType === 1) return createHash('sha256').update(data).digest();
  if (matchingType === 2) return createHash('sha512').update(data).digest();
  return data;
}

function matches(r: TlsaRecord, cert: X509Certificate): boolean {
  return tlsaAssociation(cert, r.selector, r.matchingType).equals(r.data);
}

/** The chain the server sent, leaf first (node attaches what it could build from it). */
export function peerChain(sock: TLSSocket): X509Certificate[] {
  const out: X509Certificate[] = [];
  let c = sock.getPeerCertificate(true) as DetailedPeerCertificate | undefined;
  const seen = new Set<string>();
  while (c && c.raw && !seen.has(c.fingerprint256)) {
    seen.add(c.fingerprint256);
    out.push(new X509Certificate(c.raw));
    c = c.issuerCertificate;
  }
  return out;
}

export type DaneResult = { ok: true; usage: number } | { ok: false; reason: string };

/**
 * RFC 7672 §3: the peer authenticates when one usable TLSA record matches: DANE-EE(3) the
 * leaf itself (no name or date checks, §3.1.1); DANE-TA(2) a certificate of the presented
 * chain that signs down to the leaf, whose name must then match one of `names` (the MX host,
 * §3.2.2) and whose dates must be current.
 */
export function verifyDane(records: readonly TlsaRecord[], chain: readonly X509Certificate[], names: readonly string[], now = new Date()): DaneResult {
  const usable = records.filter(usableTlsa);
  if (!chain.length) return { ok: false, reason: 'the server presented no certificate' };
  const leaf = chain[0];
  for (const r of usable) if (r.usage === 3 && matches(r, leaf)) return { ok: true, usage: 3 };
  let why = 'no TLSA record matches the certificate chain';
  for (const r of usable.filter((x) => x.usage === 2)) {
    const ta = chain.findIndex((c) => matches(r, c));
    if (ta < 0) continue;
    let signed = true;
    for (let i = 0; i < ta; i++) if (!chain[i].checkIssued(chain[i + 1]) || !chain[i].verify(chain[i + 1].publicKey)) signed = false;
    if (!signed) {
      why = 'the certificate chain does not lead to the TLSA trust anchor';
      continue;
    }
    if (!names.some((n) => leaf.checkHost(n, { wildcards: true, partialWildcards: false }) !== undefined)) {
      why = `the certificate names none of ${names.join(', ')} (DANE-TA name check)`;
      continue;
    }
    if (new Date(leaf.validFrom) > now || new Date(leaf.validTo) < now) {
      why = 'the certificate is outside its validity period (DANE-TA)';
      continue;
    }
    return { ok: true, usage: 2 };
  }
  return { ok: false, reason: why };
}
