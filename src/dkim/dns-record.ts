import { createPublicKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

/**
 * The `v=DKIM1; k=...; p=...` TXT value for a key (private or public). RSA publishes the
 * SubjectPublicKeyInfo DER; Ed25519 publishes the raw 32-byte public key (RFC 8463 §4.2).
 */
export function dkimTxtValue(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  const type = pub.asymmetricKeyType;
  if (type === 'rsa') return `v=DKIM1; k=rsa; p=${pub.export({ format: 'der', type: 'spki' }).toString('base64')}`;
  if (type === 'ed25519') {
    const spki = pub.export({ format: 'der', type: 'spki' });
    return `v=DKIM1; k=ed25519; p=${spki.subarray(spki.length - 32).toString('base64')}`;
  }
  /* c8 ignore next 2 -- its one caller (dkim-keygen) only makes RSA and Ed25519 keys */
  throw new Error(`DKIM keys are RSA or Ed25519, not ${type}`);
}

/** Splits a TXT value into DNS character-strings of at most 255 bytes. */
export function splitTxt(value: string, max = 255): string[] {
  const out: string[] = [];
  for (let i = 0; i < value.length; i += max) out.push(value.slice(i, i + max));
  return out;
}

/** A zone-file line: `sel._domainkey.example.com. IN TXT "v=DKIM1; ..." "..."`. */
export function dkimZoneLine(domain: string, selector: string, key: KeyObject): string {
  const strings = splitTxt(dkimTxtValue(key)).map((s) => `"${s}"`).join(' ');
  return `${selector}._domainkey.${domain.replace(/\.$/, '')}. IN TXT ${strings}`;
}
