// A throwaway certificate authority for tests: a CA certificate and leaf certificates it signs
// (selfsigned on WebCrypto, no openssl binary). Nothing here is trusted outside the test.
import { generate } from 'selfsigned';

export interface Pem {
  readonly cert: string;
  readonly key: string;
}

const DAY = 86_400_000;

export async function makeCa(name = 'kumo-ts test CA'): Promise<Pem> {
  const now = Date.now();
  const r = await generate([{ name: 'commonName', value: name }], {
    keyType: 'rsa',
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate: new Date(now - 3_600_000),
    notAfterDate: new Date(now + 30 * DAY),
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  return { cert: r.cert, key: r.private };
}

/**
 * A server certificate for `names` signed by `ca` (cert is leaf then CA, as a server sends it).
 * `clientOnly`: its extended key usage is clientAuth only (not valid for a server).
 */
export async function issue(ca: Pem, names: string[], opts: { expired?: boolean; clientOnly?: boolean } = {}): Promise<Pem & { leaf: string }> {
  const now = Date.now();
  const r = await generate([{ name: 'commonName', value: names[0] }], {
    keyType: 'rsa',
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate: new Date(now - (opts.expired ? 10 * DAY : 3_600_000)),
    notAfterDate: new Date(opts.expired ? now - DAY : now + 30 * DAY),
    ca: { cert: ca.cert, key: ca.key },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      opts.clientOnly ? { name: 'extKeyUsage', clientAuth: true } : { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: names.map((n) => ({ type: 2, value: n })) },
    ],
  } as never);
  return { cert: `${r.cert.trim()}\n${ca.cert.trim()}\n`, leaf: r.cert, key: r.private };
}
