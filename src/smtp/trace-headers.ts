/** Trace headers added at reception: Received (RFC 5321 §4.4) and the supplemental X-KumoRef. */

export interface ReceivedInfo {
  /** HELO/EHLO name given by the client */
  helo?: string;
  /** PTR name of the client, if looked up */
  ptr?: string;
  ip: string;
  /** our host name */
  by: string;
  /** SMTP, ESMTP, ESMTPS, ESMTPA, ESMTPSA */
  protocol: string;
  tlsVersion?: string;
  tlsCipher?: string;
  id: string;
  /** the recipient, named only when the message has exactly one */
  for?: string;
  date: Date;
}

const safe = (s: string) => s.replace(/[^\x21-\x7e]/g, '');

/** RFC 5322 date-time in UTC ("Tue, 21 Nov 2023 14:19:00 +0000"); the last second's text is kept (one per message otherwise). */
let lastDate = { second: NaN, text: '' };
export function rfc5322Date(d: Date): string {
  const second = Math.floor(d.getTime() / 1000);
  if (second !== lastDate.second) lastDate = { second, text: d.toUTCString().replace(/GMT$/, '+0000') };
  return lastDate.text;
}

export function receivedHeader(r: ReceivedInfo): string {
  const ipLit = r.ip.includes(':') ? `IPv6:${r.ip}` : r.ip;
  const from = `from ${safe(r.helo || `[${ipLit}]`)} (${r.ptr ? `${safe(r.ptr)} ` : ''}[${ipLit}])`;
  const tls = r.tlsVersion ? ` (version=${safe(r.tlsVersion)} cipher=${safe(r.tlsCipher ?? 'unknown')})` : '';
  return (
    `Received: ${from}\r\n` +
    `\tby ${safe(r.by)} (kumo-ts) with ${r.protocol}${tls}\r\n` +
    `\tid ${r.id}${r.for ? `\r\n\tfor <${safe(r.for)}>` : ''};\r\n` +
    `\t${rfc5322Date(r.date)}\r\n`
  );
}

const DUCKS = '\\_o<  \\_o<  \\_o<';

/**
 * The supplemental header: base64 of a small JSON object naming the spool id (KumoMTA's
 * X-KumoRef shape, with its "_@_" marker), so an OOB bounce or FBL report quoting the message
 * can be tied back to it.
 */
export function supplementalHeader(name: string, id: string): string {
  return `${name}: ${Buffer.from(JSON.stringify({ '_@_': DUCKS, id })).toString('base64')}\r\n`;
}

/** Decodes a supplemental header value; undefined if it is not one of ours. */
export function decodeSupplemental(value: string): { id: string } | undefined {
  try {
    const o = JSON.parse(Buffer.from(value.trim(), 'base64').toString('utf8')) as Record<string, unknown>;
    return o['_@_'] === DUCKS && typeof o.id === 'string' ? { id: o.id } : undefined;
  } catch {
    return undefined;
  }
}
