import { readFileSync } from 'node:fs';
import type { KeySourceSpec } from '../keys/key-source.js';
import { parseCredentials } from '../auth/credentials.js';
import type { IdentitySpec } from '../tls/cert-store.js';
import { buildTlsIdentity, TlsIdentityError } from '../tls/identity.js';

/**
 * Compile-time checks of a listener's secrets, so that `kumo-ts validate` and a config reload
 * catch a missing file, a certificate that does not parse or a key that does not match. Only
 * file and inline sources are read here (Vault is checked when the listener loads it).
 */
export interface SourceProblem {
  readonly code: string;
  readonly message: string;
  /**
   * 'error' for a file that is not there; 'warning' for content that does not load right now
   * (a certificate being renewed may be caught between its two files, and refusing an
   * unrelated config change for that would be worse: the listener itself keeps the last good
   * certificate and reports the problem).
   */
  readonly severity: 'error' | 'warning';
}

function readSync(spec: KeySourceSpec): Buffer | undefined | SourceProblem {
  if (spec.kind === 'inline') return Buffer.from(spec.data);
  if (spec.kind !== 'file') return undefined;
  try {
    return readFileSync(spec.path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { code: 'file.missing', severity: 'error', message: `${spec.describe}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}` };
  }
}

const isProblem = (v: unknown): v is SourceProblem => !!v && typeof v === 'object' && 'code' in v && !Buffer.isBuffer(v);

export function checkIdentitySourcesSync(spec: IdentitySpec): SourceProblem | undefined {
  const cert = readSync(spec.certificate);
  if (isProblem(cert)) return cert;
  const key = spec.privateKey ? readSync(spec.privateKey) : undefined;
  if (isProblem(key)) return key;
  if (cert === undefined || (spec.privateKey && key === undefined)) return undefined;
  try {
    buildTlsIdentity(cert, key, spec.certificate.describe);
    return undefined;
  } catch (e) {
    if (e instanceof TlsIdentityError) return { code: `value.${e.code.replace('.', '-')}`, severity: 'warning', message: e.message };
    /* c8 ignore start -- buildTlsIdentity turns every bad input into a TlsIdentityError; anything else is a bug, rethrown */
    throw e;
  }
  /* c8 ignore stop */
}

export function checkCredentialsSync(spec: KeySourceSpec): SourceProblem | undefined {
  const data = readSync(spec);
  if (isProblem(data)) return data;
  if (data === undefined) return undefined;
  const { problems } = parseCredentials(data.toString('utf8'), spec.kind === 'file' ? spec.path : spec.describe);
  return problems.length ? { code: 'value.credentials', severity: 'warning', message: problems.join('; ') } : undefined;
}
