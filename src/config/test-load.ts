import { dirname } from 'node:path';
import type { DkimKeyCheck } from '../dkim/config.js';
import { testLoadDkimKeys } from '../dkim/key-check.js';
import { compileKeySource, loadKey } from '../keys/key-source.js';
import type { KeySource, KeySourceSpec } from '../keys/key-source.js';
import { buildTlsIdentity, TlsIdentityError } from '../tls/identity.js';
import type { KumoMain } from './generated/kumo.js';
import { Reporter } from './report.js';
import type { KeyPath, SourceFile } from './source-file.js';

/**
 * Codes of the compile-time certificate checks (src/smtp/listener-checks.ts) that a reload
 * reports as warnings, because a certificate caught mid-renewal must not refuse an unrelated
 * config change. `kumo-ts validate` is a deploy gate, as KumoMTA's `--validate` is: there a
 * certificate or key that does not load is an error.
 */
const TLS_CONTENT_CODES = /^value\.tls-/;

export interface TestLoadInput {
  readonly mainFile?: SourceFile;
  readonly dkimChecks: readonly DkimKeyCheck[];
}

/**
 * What `kumo-ts validate` adds to a compile: every DKIM key is loaded and parsed, every
 * listener certificate (Vault ones too) is loaded, parsed and matched with its key, and a
 * problem with either is an error that names the config position and the key source.
 */
export async function testLoadSecrets(input: TestLoadInput, r: Reporter): Promise<void> {
  for (const i of r.issues) if (i.severity === 'warning' && TLS_CONTENT_CODES.test(i.code)) i.severity = 'error';
  await Promise.all([testLoadDkimKeys(input.dkimChecks, r), input.mainFile ? testLoadVaultCertificates(input.mainFile, r) : undefined]);
}

interface RawIdentity {
  certificate?: KeySource;
  private_key?: KeySource;
}

/** File and inline certificates are read by the listener compiler; Vault ones only here. */
async function testLoadVaultCertificates(file: SourceFile, r: Reporter): Promise<void> {
  const raw = file.data as KumoMain;
  const root = dirname(file.path);
  const jobs: Promise<void>[] = [];
  const check = (id: RawIdentity | undefined, path: KeyPath, name: string) => {
    if (!id || id.certificate === undefined) return;
    const scratch = new Reporter(); // the listener compiler already reported bad forms
    const cert = compileKeySource(file, [...path, 'certificate'], id.certificate, root, scratch);
    const key = id.private_key === undefined ? undefined : compileKeySource(file, [...path, 'private_key'], id.private_key, root, scratch);
    if (!cert || (id.private_key !== undefined && !key)) return;
    if (cert.kind !== 'vault' && key?.kind !== 'vault') return;
    jobs.push(loadIdentity(cert, key).then(
      () => undefined,
      (e: unknown) => {
        const code = e instanceof TlsIdentityError ? `value.${e.code.replace('.', '-')}` : ((e as { code?: string }).code ?? 'value.tls');
        r.error(file, [...path, 'certificate'], code, `listener "${name}" TLS: ${(e as Error).message}`);
      },
    ));
  };
  for (const [name, l] of Object.entries(raw.listener ?? {})) {
    const tls = (l as { tls?: RawIdentity & { sni?: Record<string, RawIdentity> } }).tls;
    if (!tls) continue;
    check(tls, ['listener', name, 'tls'], name);
    for (const [host, id] of Object.entries(tls.sni ?? {})) check(id, ['listener', name, 'tls', 'sni', host], name);
  }
  await Promise.all(jobs);
}

async function loadIdentity(cert: KeySourceSpec, key: KeySourceSpec | undefined): Promise<void> {
  const [c, k] = await Promise.all([loadKey(cert), key ? loadKey(key) : undefined]);
  buildTlsIdentity(c, k, cert.describe);
}
