import { X509Certificate, createPrivateKey, randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { isIP } from 'node:net';
import { dirname, join } from 'node:path';
import { generate } from 'selfsigned';

/** A generated certificate and its private key, PEM. */
export interface SelfSignedPem {
  readonly cert: string;
  readonly key: string;
}

const DAY_MS = 86_400_000;
/** Opportunistic STARTTLS peers do not verify it, so a long life; renewed at a start inside the last month. */
export const SELF_SIGNED_VALIDITY_DAYS = 3650;
const RENEW_BEFORE_MS = 30 * DAY_MS;

/**
 * A fresh self-signed certificate for `hostname` (CN and subjectAltName; an IP literal gets an
 * IP SAN): RSA 2048 with SHA-256, the key type every SMTP client's TLS stack accepts (KumoMTA
 * generates ECDSA P-256, but @peculiar/x509's ECDSA path breaks on the two @peculiar/asn1
 * versions in our tree). `selfsigned` builds the X.509 structure on WebCrypto (@peculiar/x509):
 * pure JS, no openssl binary, key generation off the event loop, the key never leaves the process.
 */
export async function generateSelfSigned(hostname: string, validityDays = SELF_SIGNED_VALIDITY_DAYS): Promise<SelfSignedPem> {
  const now = Date.now();
  const ip = isIP(hostname) !== 0;
  const r = await generate([{ name: 'commonName', value: hostname }], {
    keyType: 'rsa',
    keySize: 2048,
    algorithm: 'sha256',
    // an hour back: a peer whose clock is a little behind still accepts it
    notBeforeDate: new Date(now - 3_600_000),
    notAfterDate: new Date(now + validityDays * DAY_MS),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [ip ? { type: 7, ip: hostname } : { type: 2, value: hostname }] },
    ],
  });
  return { cert: r.cert, key: r.private };
}

/** Where the certificate generated for a listener host name lives: `<dataDir>/tls/<hostname>.pem`. */
export function selfSignedPath(dataDir: string, hostname: string): string {
  return join(dataDir, 'tls', `${hostname.toLowerCase().replace(/[^a-z0-9._-]/g, '_')}.pem`);
}

export interface SelfSignedFile {
  readonly path: string;
  /** false: an earlier one was still good and is reused */
  readonly generated: boolean;
  readonly notAfter: Date;
  readonly fingerprint256: string;
}

/** Why a stored certificate is not reused; undefined when it is good. */
function unusable(pem: string, hostname: string): string | undefined {
  const cert = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/)?.[0];
  const key = pem.match(/-----BEGIN ((?:RSA |EC )?PRIVATE KEY)-----[\s\S]+?-----END \1-----/)?.[0];
  if (!cert || !key) return 'no certificate and key in it';
  try {
    const x = new X509Certificate(cert);
    if (!x.checkPrivateKey(createPrivateKey(key))) return 'the key does not match';
    const names = isIP(hostname) ? x.checkIP(hostname) : x.checkHost(hostname, { wildcards: false });
    if (!names) return `it is not for ${hostname}`;
    if (new Date(x.validTo).getTime() - Date.now() < RENEW_BEFORE_MS) return `it expires ${new Date(x.validTo).toISOString()}`;
  } catch (e) {
    return `it does not parse (${(e as Error).message})`;
  }
  return undefined;
}

const inFlight = new Map<string, Promise<SelfSignedFile & { replaced?: string }>>();

/**
 * The generated certificate for `hostname` at `path` (key + certificate in one PEM, mode
 * 0600, directory 0700): reused when it is still good for that name for a month, else a new
 * one is written atomically (temp file, fsync, rename) so the certificate store watching the
 * file never reads half of it. `replaced` says why an existing file was not reused.
 */
export function ensureSelfSignedFile(path: string, hostname: string): Promise<SelfSignedFile & { replaced?: string }> {
  let p = inFlight.get(path);
  if (!p) {
    p = ensure(path, hostname).finally(() => inFlight.delete(path));
    inFlight.set(path, p);
  }
  return p;
}

/** A lock file older than this belongs to a process that died while generating (kill -9). */
const LOCK_STALE_MS = 10_000;
const LOCK_WAIT_MS = 30_000;

/**
 * `<path>.lock`, created exclusively: reception workers start together and each would otherwise
 * find no file, generate its own certificate and serve it (clients saw a different certificate
 * per connection, and the file kept whichever was renamed last).
 */
async function lockFile(lock: string): Promise<() => Promise<void>> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      await (await open(lock, 'wx', 0o600)).close();
      return () => unlink(lock).catch(() => undefined);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const st = await stat(lock).catch(() => undefined);
      if (st && Date.now() - st.mtimeMs > LOCK_STALE_MS) {
        await unlink(lock).catch(() => undefined);
        continue;
      }
      if (Date.now() > deadline) throw new Error(`${lock}: another process has been generating this certificate for ${LOCK_WAIT_MS / 1000} s`);
      await sleep(25);
    }
  }
}

async function ensure(path: string, hostname: string): Promise<SelfSignedFile & { replaced?: string }> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const release = await lockFile(`${path}.lock`);
  try {
    return await ensureLocked(path, hostname);
  } finally {
    await release();
  }
}

async function ensureLocked(path: string, hostname: string): Promise<SelfSignedFile & { replaced?: string }> {
  let replaced: string | undefined;
  try {
    const pem = await readFile(path, 'utf8');
    replaced = unusable(pem, hostname);
    if (!replaced) {
      if ((await stat(path)).mode & 0o077) await chmod(path, 0o600);
      const x = new X509Certificate(pem);
      return { path, generated: false, notAfter: new Date(x.validTo), fingerprint256: x.fingerprint256 };
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') replaced = (e as Error).message;
  }
  const { cert, key } = await generateSelfSigned(hostname);
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fh = await open(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(key + cert);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  const x = new X509Certificate(cert);
  return { path, generated: true, notAfter: new Date(x.validTo), fingerprint256: x.fingerprint256, ...(replaced ? { replaced } : {}) };
}
