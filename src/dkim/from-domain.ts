import { domainToASCII } from 'node:url';
import type { ParsedHeader } from './mailauth-internals.js';

/**
 * The domain of the first mailbox in the (first) From header, lower-cased and in ASCII (IDNA),
 * or undefined when there is no usable From address.
 */
export function fromHeaderDomain(headers: readonly ParsedHeader[]): string | undefined {
  const from = headers.find((h) => h.key === 'from');
  if (!from) return undefined;
  const raw = from.line.toString('utf8');
  return addressDomain(raw.slice(raw.indexOf(':') + 1));
}

/** Domain of the first address in an address-list header value. */
export function addressDomain(value: string): string | undefined {
  let v = value.replace(/\r?\n/g, '');
  v = v.replace(/"(?:[^"\\]|\\.)*"/g, '""'); // quoted display names may hold @ < > ,
  for (let prev = ''; prev !== v;) {
    prev = v;
    v = v.replace(/\([^()]*\)/g, ' '); // comments, innermost first
  }
  let addr: string;
  const angle = /<([^>]*)>/.exec(v);
  if (angle) addr = angle[1];
  else {
    // group syntax "name: a@b, c@d;"
    const colon = v.indexOf(':');
    if (colon >= 0 && (v.indexOf('@') < 0 || colon < v.indexOf('@'))) v = v.slice(colon + 1);
    addr = v.split(',')[0].replace(/;\s*$/, '');
  }
  addr = addr.trim();
  const at = addr.lastIndexOf('@');
  if (at < 0) return undefined;
  const domain = domainToASCII(addr.slice(at + 1).trim().replace(/\.$/, '').toLowerCase());
  return domain && /^[a-z0-9_.-]+$/.test(domain) ? domain : undefined;
}
