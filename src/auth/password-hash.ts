import { randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import type { ScryptOptions } from 'node:crypto';
import bcrypt from 'bcryptjs';

/**
 * Password hashes kept in the AUTH credentials file. Two kinds are accepted, never plaintext:
 *
 * - bcrypt: `$2a$`, `$2b$` or `$2y$` + cost + salt/hash (what `htpasswd -B` writes);
 * - scrypt in PHC string form: `$scrypt$ln=<log2 N>,r=<r>,p=<p>$<salt>$<hash>` with salt and
 *   hash in base64 (padding optional). `kumo-ts hash-password` writes ln=15, r=8, p=1, a
 *   16-byte salt and a 32-byte hash. The form `scrypt$N$r$p$salt$hash` (N itself) is read too.
 */
export type HashKind = 'bcrypt' | 'scrypt';

export class PasswordHashError extends Error {
  readonly code = 'auth.bad-hash';
  constructor(message: string) {
    super(message);
    this.name = 'PasswordHashError';
  }
}

interface ScryptParams {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

const BCRYPT_RE = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/;
const PHC_RE = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,3}),p=(\d{1,3})\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;
const PLAIN_RE = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;

/** The kind of a stored hash, or undefined if it is not one we accept (e.g. a plaintext password). */
export function hashKind(stored: string): HashKind | undefined {
  if (BCRYPT_RE.test(stored)) return 'bcrypt';
  if (parseScrypt(stored)) return 'scrypt';
  return undefined;
}

function parseScrypt(stored: string): ScryptParams | undefined {
  let m = PHC_RE.exec(stored);
  let N: number;
  if (m) N = 2 ** Number(m[1]);
  else {
    m = PLAIN_RE.exec(stored);
    if (!m) return undefined;
    N = Number(m[1]);
  }
  const r = Number(m[2]);
  const p = Number(m[3]);
  const salt = Buffer.from(m[4]!, 'base64');
  const hash = Buffer.from(m[5]!, 'base64');
  // N must be a power of two > 1; refuse absurd parameters that would exhaust memory
  if (N < 2 || (N & (N - 1)) !== 0 || N > 2 ** 22 || r < 1 || p < 1 || 128 * N * r > 1024 ** 3 || salt.length < 8 || hash.length < 16) return undefined;
  return { N, r, p, salt, hash };
}

function scrypt(password: string, salt: Buffer, len: number, o: ScryptOptions): Promise<Buffer> {
  return new Promise((res, rej) => scryptCb(password, salt, len, o, (err, key) => (err ? rej(err) : res(key))));
}

/**
 * Checks `password` against a stored hash (asynchronously: scrypt runs on the libuv pool,
 * bcryptjs yields between rounds). Throws PasswordHashError for an unusable hash.
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  if (BCRYPT_RE.test(stored)) return bcrypt.compare(password, stored);
  const s = parseScrypt(stored);
  if (!s) throw new PasswordHashError('not a bcrypt or scrypt hash');
  const got = await scrypt(password, s.salt, s.hash.length, { N: s.N, r: s.r, p: s.p, maxmem: 256 * s.N * s.r + 1024 * 1024 });
  return timingSafeEqual(got, s.hash);
}

/** Hashes a password for the credentials file (scrypt by default, or bcrypt). */
export async function hashPassword(password: string, opts: { kind?: HashKind; cost?: number } = {}): Promise<string> {
  if ((opts.kind ?? 'scrypt') === 'bcrypt') return bcrypt.hash(password, opts.cost ?? 12);
  const ln = opts.cost ?? 15;
  if (ln < 10 || ln > 20) throw new PasswordHashError('scrypt cost (log2 N) must be 10..20');
  const N = 2 ** ln;
  const salt = randomBytes(16);
  const hash = await scrypt(password, salt, 32, { N, r: 8, p: 1, maxmem: 256 * N * 8 + 1024 * 1024 });
  const b64 = (b: Buffer) => b.toString('base64').replace(/=+$/, '');
  return `$scrypt$ln=${ln},r=8,p=1$${b64(salt)}$${b64(hash)}`;
}
