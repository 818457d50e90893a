/**
 * Envelope and header addresses of inject requests: `user@domain` (RFC 5321 Mailbox), with a
 * dot-atom or quoted local part, and a host name or an address literal. UTF-8 is allowed
 * (RFC 6531: such mail is relayed only to SMTPUTF8 peers); controls, spaces and angle brackets are not.
 */

const ATEXT = /^[\p{L}\p{N}!#$%&'*+\/=?^_`{|}~-]+$/u;
const LABEL = /^[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?$/u;

/** Why `s` is not a usable address, or undefined when it is one. */
export function addressProblem(s: string): string | undefined {
  if (s.length > 320) return 'is longer than 320 characters';
  if (/[\x00-\x1f\x7f]/.test(s)) return 'contains a control character';
  const at = s.lastIndexOf('@');
  if (at <= 0 || at === s.length - 1) return 'is not of the form user@domain';
  const local = s.slice(0, at);
  const domain = s.slice(at + 1);
  if (local.startsWith('"')) {
    if (!/^"(?:[^"\\]|\\.)*"$/u.test(local)) return 'has a malformed quoted local part';
  } else if (!local.split('.').every((atom) => ATEXT.test(atom))) {
    return `has an invalid local part "${local}"`;
  }
  if (domain.startsWith('[')) {
    if (!/^\[(?:\d{1,3}(?:\.\d{1,3}){3}|IPv6:[0-9a-fA-F:.]+)\]$/.test(domain)) return `has an invalid address literal "${domain}"`;
    return undefined;
  }
  const labels = domain.split('.');
  if (domain.length > 253 || !labels.every((l) => LABEL.test(l))) return `has an invalid domain "${domain}"`;
  return undefined;
}

export function isAddress(s: string): boolean {
  return addressProblem(s) === undefined;
}
