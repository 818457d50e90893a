import { generateKeyPair } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { dkimZoneLine } from './dns-record.js';

export type KeygenAlgo = 'rsa' | 'ed25519';

export interface GeneratedDkimKey {
  /** PKCS8 PEM private key */
  readonly pem: string;
  /** `sel._domainkey.domain. IN TXT "v=DKIM1; k=...; p=..."` (RSA split into 255-char strings) */
  readonly zoneLine: string;
  readonly privateKey: KeyObject;
}

const genKeyPair = promisify(generateKeyPair);

/** A new DKIM key pair; RSA `bits` from 1024 to 8192 (default 2048). */
export async function generateDkimKey(algo: KeygenAlgo, domain: string, selector: string, bits = 2048): Promise<GeneratedDkimKey> {
  let privateKey: KeyObject;
  if (algo === 'rsa') {
    if (!Number.isInteger(bits) || bits < 1024 || bits > 8192) throw new Error(`--bits must be an integer from 1024 to 8192 (got ${bits})`);
    ({ privateKey } = await genKeyPair('rsa', { modulusLength: bits }));
  } else if (algo === 'ed25519') {
    ({ privateKey } = await genKeyPair('ed25519'));
    /* c8 ignore start -- the type excludes it and the CLI checks --algo before calling */
  } else {
    throw new Error(`--algo must be rsa or ed25519 (got ${String(algo)})`);
  }
  /* c8 ignore stop */
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  return { pem, privateKey, zoneLine: dkimZoneLine(domain, selector, privateKey) };
}
