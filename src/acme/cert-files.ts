import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileDurable } from '../fs/durable-write.js';
import { generateSelfSigned } from '../tls/self-signed.js';
import { ariCertId } from './ari.js';

/** Where ACME state lives: `<spool.path>/../acme/` (the spool's parent holds tls/ as well). */
export function acmeDirOf(dataDir: string): string {
  return join(dataDir, 'acme');
}

export const ACCOUNT_KEY_FILE = 'account.key';

/** What a stored certificate file holds. */
export interface StoredCert {
  readonly notBefore: number;
  readonly notAfter: number;
  readonly names: readonly string[];
  readonly issuer: string;
  readonly fingerprint256: string;
  /** a self-signed stand-in written before the first order succeeded */
  readonly placeholder: boolean;
  /** RFC 9773 certificate identifier (undefined without an authority key identifier) */
  readonly ariCertId?: string;
}

const CERT_RE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
const KEY_RE = /-----BEGIN ((?:RSA |EC )?PRIVATE KEY)-----[\s\S]+?-----END \1-----/;

function namesOf(x: X509Certificate): string[] {
  return (x.subjectAltName ?? '').split(/,\s*/).filter((s) => s.startsWith('DNS:')).map((s) => s.slice(4).toLowerCase());
}

/** Reads and checks a certificate file (chain + key); undefined when absent or unusable. */
export async function readStoredCert(path: string): Promise<StoredCert | undefined> {
  let pem: string;
  try {
    pem = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  return parseStoredCert(pem);
}

/** Checks a certificate file's content (chain + key, one PEM); undefined when unusable. */
export function parseStoredCert(pem: string): StoredCert | undefined {
  const leaf = pem.match(CERT_RE)?.[0];
  const key = pem.match(KEY_RE)?.[0];
  if (!leaf || !key) return undefined;
  try {
    const x = new X509Certificate(leaf);
    if (!x.checkPrivateKey(createPrivateKey(key))) return undefined;
    let certId: string | undefined;
    try {
      certId = ariCertId(x);
    } catch {
      /* c8 ignore next 2 -- ariCertId throws only on DER that X509Certificate has already refused */
      certId = undefined;
    }
    return {
      ariCertId: certId,
      notBefore: Date.parse(x.validFrom),
      notAfter: Date.parse(x.validTo),
      names: namesOf(x),
      issuer: x.issuer,
      fingerprint256: x.fingerprint256,
      placeholder: x.issuer === x.subject,
    };
  } catch {
    return undefined;
  }
}

/** Writes an issued chain with its key (one PEM, key first as the listener's loader expects either order). */
export async function writeIssuedCert(path: string, keyPem: string, chainPem: string): Promise<void> {
  await writeFileDurable(path, `${keyPem.trim()}\n${chainPem.trim()}\n`);
}

/**
 * A short-lived self-signed stand-in for the first start, so a listener naming an ACME
 * certificate can bind before the CA has answered; replaced by the issued one through the
 * listener's live certificate reload.
 */
export async function writePlaceholder(path: string, hostname: string): Promise<void> {
  const { cert, key } = await generateSelfSigned(hostname.replace(/^\*\./, 'wildcard.'), 7);
  await writeFileDurable(path, key + cert);
}
