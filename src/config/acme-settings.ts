import { join } from 'node:path';
import type { KumoMain } from './generated/kumo.js';
import type { Reporter } from './report.js';
import type { SourceFile } from './source-file.js';
import { parseDuration, parseHostPort } from './values.js';
import type { HostPort } from './values.js';
import { acmeKeySource, compileKeySource, fileKeySource } from '../keys/key-source.js';
import type { KeySourceSpec } from '../keys/key-source.js';
import { ACCOUNT_KEY_FILE, acmeDirOf } from '../acme/cert-files.js';

export type AcmeChallenge = 'http-01' | 'tls-alpn-01' | 'dns-01';

export interface AcmeCertSettings {
  readonly name: string;
  /** lower case; the first is the common name */
  readonly names: readonly string[];
  readonly keyType: 'ecdsa' | 'rsa';
  readonly challenge: AcmeChallenge;
  /** the file kumo-ts keeps it in (chain + key) */
  readonly file: KeySourceSpec & { kind: 'file' };
}

export interface AcmeSettings {
  readonly directory: string;
  readonly contact: readonly string[];
  readonly termsOfServiceAgreed: boolean;
  /** configured, or the file kumo-ts creates on first use */
  readonly accountKey: KeySourceSpec;
  /** true when accountKey is kumo-ts's own file (created when missing) */
  readonly accountKeyManaged: boolean;
  readonly ca?: KeySourceSpec;
  readonly http01Listen?: HostPort;
  readonly tlsAlpn01Listen?: HostPort;
  readonly dns01Hook?: readonly string[];
  readonly renewBefore: number;
  readonly retryIntervalMs: number;
  readonly maxRetryIntervalMs: number;
  readonly expiryWarningMs: number;
  readonly dir: string;
  readonly certs: ReadonlyMap<string, AcmeCertSettings>;
}

export const LETS_ENCRYPT_DIRECTORY = 'https://acme-v02.api.letsencrypt.org/directory';
const HOST = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** `[acme]` of the main file; undefined when absent. */
export function compileAcme(file: SourceFile, raw: KumoMain['acme'], root: string, dataDir: string, r: Reporter): AcmeSettings | undefined {
  if (!raw) return undefined;
  const dir = acmeDirOf(dataDir);
  const dur = (k: string, v: string | number | undefined, dflt: number) =>
    v === undefined ? dflt : (r.parse(file, ['acme', k], 'value.duration', () => parseDuration(v)) ?? dflt);
  const hp = (k: 'http01_listen' | 'tls_alpn01_listen') => (raw[k] === undefined ? undefined : r.parse(file, ['acme', k], 'value.host-port', () => parseHostPort(raw[k]!)));
  const http01Listen = hp('http01_listen');
  const tlsAlpn01Listen = hp('tls_alpn01_listen');
  const directory = raw.directory ?? LETS_ENCRYPT_DIRECTORY;
  if (!/^https?:\/\//.test(directory)) r.error(file, ['acme', 'directory'], 'value.url', `acme.directory: "${directory}" is not an http(s) URL`);
  const certs = new Map<string, AcmeCertSettings>();
  for (const [name, c] of Object.entries(raw.cert ?? {})) {
    const at = (...k: (string | number)[]) => ['acme', 'cert', name, ...k];
    const names = c.names.map((n) => n.toLowerCase().replace(/\.$/, ''));
    let ok = true;
    names.forEach((n, i) => {
      if (!HOST.test(n)) {
        r.error(file, at('names', i), 'value.hostname', `acme.cert.${name}: "${c.names[i]}" is not a host name (or *.domain)`);
        ok = false;
      }
    });
    const wildcard = names.some((n) => n.startsWith('*.'));
    const challenge: AcmeChallenge = c.challenge ?? (wildcard || (!http01Listen && !tlsAlpn01Listen) ? 'dns-01' : http01Listen ? 'http-01' : 'tls-alpn-01');
    const need: Record<AcmeChallenge, [boolean, string]> = {
      'http-01': [!!http01Listen, 'acme.http01_listen'],
      'tls-alpn-01': [!!tlsAlpn01Listen, 'acme.tls_alpn01_listen'],
      'dns-01': [!!raw.dns01_hook, 'acme.dns01_hook'],
    };
    if (!need[challenge][0]) {
      r.error(file, c.challenge ? at('challenge') : at(), 'value.acme-challenge', `acme.cert.${name}: the ${challenge} challenge needs ${need[challenge][1]}`, c.challenge ? 'value' : 'key');
      ok = false;
    }
    if (wildcard && challenge !== 'dns-01') {
      r.error(file, at('names'), 'value.acme-challenge', `acme.cert.${name}: a wildcard name can only be validated with dns-01 (set dns01_hook)`);
      ok = false;
    }
    if (!ok) continue;
    const spec = acmeKeySource(dir, name) as KeySourceSpec & { kind: 'file' };
    certs.set(name, { name, names, keyType: c.key_type ?? 'ecdsa', challenge, file: spec });
  }
  const configuredKey = raw.account_key === undefined ? undefined : compileKeySource(file, ['acme', 'account_key'], raw.account_key, root, r);
  const renewBefore = raw.renew_before ?? 1 / 3;
  return {
    directory,
    contact: raw.contact === undefined ? [] : [raw.contact].flat(),
    termsOfServiceAgreed: raw.terms_of_service_agreed ?? true,
    accountKey: configuredKey ?? fileKeySource(join(dir, ACCOUNT_KEY_FILE)),
    accountKeyManaged: !configuredKey,
    ca: raw.ca === undefined ? undefined : compileKeySource(file, ['acme', 'ca'], raw.ca, root, r),
    http01Listen,
    tlsAlpn01Listen,
    dns01Hook: raw.dns01_hook,
    renewBefore,
    retryIntervalMs: dur('retry_interval', raw.retry_interval, 60_000),
    maxRetryIntervalMs: dur('max_retry_interval', raw.max_retry_interval, 3_600_000),
    expiryWarningMs: dur('expiry_warning', raw.expiry_warning, 14 * 86_400_000),
    dir,
    certs,
  };
}
