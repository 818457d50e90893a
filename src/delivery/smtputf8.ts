import { domainToASCII } from 'node:url';

/** The envelope as it goes on the wire, and whether it needs the peer's SMTPUTF8 (RFC 6531). */
export interface WireEnvelope {
  readonly from: string;
  readonly to: readonly string[];
  /** wire form → the caller's form of each recipient (only those that differ) */
  readonly original: ReadonlyMap<string, string>;
  readonly needsSmtpUtf8: boolean;
}

const NON_ASCII = /[^\x00-\x7f]/;

/**
 * An address with an ASCII local part and a Unicode domain goes as A-labels
 * ("a@xn--bcher-kva.example"), which any server takes; one with a non-ASCII local part (or a
 * domain that is not valid IDNA) can only go to a server that offers SMTPUTF8.
 */
function wireAddress(address: string): { wire: string; utf8: boolean } {
  if (!NON_ASCII.test(address)) return { wire: address, utf8: false };
  const at = address.lastIndexOf('@');
  const local = at >= 0 ? address.slice(0, at) : address;
  const domain = at >= 0 ? address.slice(at + 1) : '';
  if (NON_ASCII.test(local)) return { wire: address, utf8: true };
  const ascii = domain ? domainToASCII(domain) : '';
  return ascii ? { wire: `${local}@${ascii}`, utf8: false } : { wire: address, utf8: true };
}

export function wireEnvelope(from: string, to: readonly string[]): WireEnvelope {
  const f = wireAddress(from);
  const ws = to.map(wireAddress);
  // one address needs SMTPUTF8: the whole envelope goes as given, under SMTPUTF8
  if (f.utf8 || ws.some((w) => w.utf8)) return { from, to, original: new Map(), needsSmtpUtf8: true };
  const original = new Map<string, string>();
  ws.forEach((w, i) => {
    if (w.wire !== to[i]) original.set(w.wire, to[i]!);
  });
  return { from: f.wire, to: ws.map((w) => w.wire), original, needsSmtpUtf8: false };
}
