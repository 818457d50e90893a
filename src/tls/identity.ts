import { X509Certificate, createPrivateKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import type { SecureContext } from 'node:tls';

export type TlsIdentityErrorCode = 'tls.no-certificate' | 'tls.bad-certificate' | 'tls.no-key' | 'tls.bad-key' | 'tls.key-mismatch' | 'tls.context';

/** A certificate/key pair that cannot be served; `code` is stable. */
export class TlsIdentityError extends Error {
  constructor(readonly code: TlsIdentityErrorCode, message: string) {
    super(message);
    this.name = 'TlsIdentityError';
  }
}

/** A validated certificate chain + key, ready to serve. */
export interface TlsIdentity {
  readonly context: SecureContext;
  readonly leaf: X509Certificate;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly subject: string;
  /** SHA-256 fingerprint of the leaf, "AB:CD:..." */
  readonly fingerprint256: string;
  readonly dnsNames: readonly string[];
}

export const MIN_TLS_VERSION = 'TLSv1.2' as const;

const CERT_RE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
const KEY_RE = /-----BEGIN ((?:RSA |EC |ENCRYPTED )?PRIVATE KEY)-----[\s\S]+?-----END \1-----/;

/**
 * Parses and checks a PEM certificate chain (leaf first) and its private key; when `keyPem` is
 * undefined the key is taken from the certificate PEM (one combined file). Throws
 * TlsIdentityError when the certificate or key does not parse or the key does not belong to
 * the leaf certificate. The secure context allows TLS 1.2 and later only.
 */
export function buildTlsIdentity(certPem: Buffer | string, keyPem: Buffer | string | undefined, what = 'certificate'): TlsIdentity {
  const certText = certPem.toString();
  const chain = certText.match(CERT_RE) ?? [];
  if (!chain.length) throw new TlsIdentityError('tls.no-certificate', `${what}: no PEM certificate found`);
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(chain[0]!);
    for (const c of chain.slice(1)) new X509Certificate(c);
  } catch (e) {
    throw new TlsIdentityError('tls.bad-certificate', `${what}: the certificate does not parse (${(e as Error).message})`);
  }
  const keyText = keyPem === undefined ? certText.match(KEY_RE)?.[0] : keyPem.toString();
  if (!keyText || !KEY_RE.test(keyText))
    throw new TlsIdentityError('tls.no-key', keyPem === undefined
      ? `${what}: no private key given and none found in the certificate PEM`
      : `${what}: no PEM private key found in the key file`);
  let key: KeyObject;
  try {
    key = createPrivateKey(keyText);
  } catch (e) {
    throw new TlsIdentityError('tls.bad-key', `${what}: the private key does not parse (${(e as Error).message})`);
  }
  if (!leaf.checkPrivateKey(key))
    throw new TlsIdentityError('tls.key-mismatch', `${what}: the private key does not match the certificate (${leaf.subject.replace(/\n/g, ', ')}, sha256 ${leaf.fingerprint256})`);
  let context: SecureContext;
  try {
    context = createSecureContext({ cert: chain.join('\n'), key: keyText, minVersion: MIN_TLS_VERSION, honorCipherOrder: true });
  } catch (e) {
    throw new TlsIdentityError('tls.context', `${what}: cannot build a TLS context (${(e as Error).message})`);
  }
  return {
    context,
    leaf,
    notBefore: new Date(leaf.validFrom),
    notAfter: new Date(leaf.validTo),
    subject: leaf.subject.replace(/\n/g, ', '),
    fingerprint256: leaf.fingerprint256,
    dnsNames: (leaf.subjectAltName ?? '')
      .split(/,\s*/)
      .filter((s) => s.startsWith('DNS:'))
      .map((s) => s.slice(4)),
  };
}
