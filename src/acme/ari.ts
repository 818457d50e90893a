import type { X509Certificate } from 'node:crypto';
import { getJson } from './acme-http.js';

/**
 * ACME Renewal Information (RFC 9773): the CA's suggested renewal window for a certificate,
 * fetched from `<renewalInfo>/<certID>`. kumo-ts renews at a random time inside it instead of
 * the fixed fraction of the lifetime, so the CA can spread renewals and pull them forward (say,
 * before a mass revocation).
 */

export class AriError extends Error {
  readonly code = 'ACME_ARI';
}

export interface RenewalWindow {
  /** epoch ms */
  readonly start: number;
  readonly end: number;
  /** when to ask again (from Retry-After; clamped to 1 min .. 1 day) */
  readonly recheckAt: number;
  readonly explanationUrl?: string;
}

interface Tlv {
  tag: number;
  start: number;
  end: number;
}

function tlv(b: Buffer, off: number): Tlv {
  const tag = b[off]!;
  let len = b[off + 1]!;
  let p = off + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n < 1 || n > 4) throw new AriError('certificate: unsupported DER length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[p + i]!;
    p += n;
  }
  if (p + len > b.length) throw new AriError('certificate: truncated DER');
  return { tag, start: p, end: p + len };
}

function children(b: Buffer, t: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let p = t.start; p < t.end; ) {
    const c = tlv(b, p);
    out.push(c);
    p = c.end;
  }
  return out;
}

const AKI_OID = Buffer.from([0x55, 0x1d, 0x23]); // 2.5.29.35

/**
 * The RFC 9773 certificate identifier: base64url(authority key identifier) "."
 * base64url(DER serial number bytes). Undefined when the certificate has no key identifier.
 */
export function ariCertId(cert: X509Certificate): string | undefined {
  const der = cert.raw;
  const tbs = children(der, tlv(der, 0))[0]!;
  const fields = children(der, tbs);
  let i = fields[0]?.tag === 0xa0 ? 1 : 0; // [0] version
  const serial = fields[i++]!;
  if (serial.tag !== 0x02) throw new AriError('certificate: no serial number');
  const extsWrap = fields.find((f) => f.tag === 0xa3);
  if (!extsWrap) return undefined;
  for (const ext of children(der, children(der, extsWrap)[0]!)) {
    const parts = children(der, ext);
    const oid = parts[0]!;
    if (oid.tag !== 0x06 || !der.subarray(oid.start, oid.end).equals(AKI_OID)) continue;
    const value = parts[parts.length - 1]!; // after an optional critical BOOLEAN
    const aki = tlv(der, value.start); // AuthorityKeyIdentifier SEQUENCE
    const keyId = children(der, aki).find((c) => c.tag === 0x80); // [0] keyIdentifier
    if (!keyId) return undefined;
    return `${der.subarray(keyId.start, keyId.end).toString('base64url')}.${der.subarray(serial.start, serial.end).toString('base64url')}`;
  }
  return undefined;
}

function retryAfterMs(h: string | string[] | undefined, now: number): number {
  const v = Array.isArray(h) ? h[0] : h;
  let ms = 6 * 3_600_000;
  if (v && /^\d+$/.test(v.trim())) ms = Number(v.trim()) * 1000;
  else if (v && !Number.isNaN(Date.parse(v))) ms = Date.parse(v) - now;
  return Math.min(86_400_000, Math.max(60_000, ms));
}

/** GET the renewal window; throws AriError when the answer is not a usable window. */
export async function fetchRenewalWindow(renewalInfoUrl: string, certId: string, now = Date.now()): Promise<RenewalWindow> {
  const url = `${renewalInfoUrl.replace(/\/+$/, '')}/${certId}`;
  const r = await getJson(url);
  if (r.status !== 200) throw new AriError(`${url}: HTTP ${r.status}`);
  const w = (r.body as { suggestedWindow?: { start?: unknown; end?: unknown } } | undefined)?.suggestedWindow;
  const start = typeof w?.start === 'string' ? Date.parse(w.start) : NaN;
  const end = typeof w?.end === 'string' ? Date.parse(w.end) : NaN;
  if (Number.isNaN(start) || Number.isNaN(end) || end < start) throw new AriError(`${url}: no valid suggestedWindow`);
  const explanation = (r.body as { explanationURL?: unknown }).explanationURL;
  return { start, end, recheckAt: now + retryAfterMs(r.headers['retry-after'], now), ...(typeof explanation === 'string' ? { explanationUrl: explanation } : {}) };
}

/** A uniformly random time inside the window (RFC 9773 §4.2); a window already past means now. */
export function timeInWindow(w: Pick<RenewalWindow, 'start' | 'end'>, now = Date.now(), random = Math.random): number {
  if (w.end <= now) return now;
  const from = Math.max(w.start, now);
  return from + (w.end - from) * random();
}
