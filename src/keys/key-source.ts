import { isAbsolute, join, resolve } from 'node:path';
import type { KeySource } from '../config/generated/dkim.js';
import { describePath } from '../config/report.js';
import type { Reporter } from '../config/report.js';
import type { KeyPath, SourceFile } from '../config/source-file.js';
import { parseDuration } from '../config/values.js';
import { KeySourceError } from './errors.js';
import { loadFileKey } from './file-source.js';
import { loadVaultKey } from './vault-source.js';

export type { KeySource } from '../config/generated/dkim.js';
export { KeySourceError } from './errors.js';
export type { KeySourceErrorCode } from './errors.js';

/** Default cache lifetime of a secret read from Vault. */
export const DEFAULT_KEY_TTL_MS = 5 * 60_000;

/**
 * A compiled key source: where a secret (TLS key or certificate, DKIM key, AUTH credentials)
 * comes from. Plain data, so it can live in the frozen snapshot; `describe` names the source in
 * log lines and errors without revealing the secret.
 */
export type KeySourceSpec =
  | {
      readonly kind: 'file';
      /** absolute */
      readonly path: string;
      readonly describe: string;
      /** the [acme.cert.NAME] this file is kept for by kumo-ts (src/acme/); it may not exist yet */
      readonly acme?: string;
    }
  | { readonly kind: 'inline'; readonly data: string; readonly describe: string }
  | {
      readonly kind: 'vault';
      readonly mount: string;
      readonly path: string;
      /** field of the secret's data holding the value */
      readonly key: string;
      /** defaults to VAULT_ADDR at load time */
      readonly address?: string;
      /** defaults to VAULT_TOKEN at load time */
      readonly token?: string;
      readonly ttlMs: number;
      readonly describe: string;
    };

export function describeKeySource(spec: KeySourceSpec): string {
  return spec.describe;
}

export function fileKeySource(path: string, root = process.cwd()): KeySourceSpec {
  const abs = isAbsolute(path) ? path : resolve(root, path);
  return { kind: 'file', path: abs, describe: `file ${abs}` };
}

/** The file kumo-ts keeps the ACME certificate NAME in (chain and key, one PEM). */
export function acmeKeySource(acmeDir: string, name: string): KeySourceSpec {
  const path = join(acmeDir, `${name.replace(/[^A-Za-z0-9._-]/g, '_')}.pem`);
  return { kind: 'file', path, acme: name, describe: `ACME certificate "${name}" (${path})` };
}

export function inlineKeySource(data: string, where = 'inline key_data'): KeySourceSpec {
  return { kind: 'inline', data, describe: where };
}

export interface VaultKeyOptions {
  mount: string;
  path: string;
  key?: string;
  address?: string;
  token?: string;
  ttlMs?: number;
}

export function vaultKeySource(o: VaultKeyOptions): KeySourceSpec {
  const mount = o.mount.replace(/^\/+|\/+$/g, '');
  const path = o.path.replace(/^\/+/, '');
  const key = o.key ?? 'key';
  return {
    kind: 'vault', mount, path, key,
    ...(o.address !== undefined ? { address: o.address } : {}),
    ...(o.token !== undefined ? { token: o.token } : {}),
    ttlMs: o.ttlMs ?? DEFAULT_KEY_TTL_MS,
    describe: `vault ${mount}/${path} (field "${key}")`,
  };
}

/**
 * Compiles a raw key source (a path string, or an object with exactly one of `key_data`,
 * `path` or `vault_mount` + `vault_path`) found at `keyPath` in `file`. Relative paths resolve
 * against the config root. Problems are reported at their position; the result is then undefined.
 */
export interface KeySourceContext {
  /** where ACME certificates are kept (src/acme/cert-files.ts); absent: `acme` is not allowed here */
  readonly acmeDir?: string;
}

export function compileKeySource(file: SourceFile, keyPath: KeyPath, raw: KeySource, root: string, r: Reporter, ctx: KeySourceContext = {}): KeySourceSpec | undefined {
  const at = (p: KeyPath) => `${describePath(p)}: `;
  if (typeof raw === 'object' && raw.acme !== undefined) {
    const others = Object.keys(raw).filter((k) => k !== 'acme');
    if (!ctx.acmeDir) {
      r.error(file, [...keyPath, 'acme'], 'value.key-source', `${at(keyPath)}an ACME certificate can only be a listener's TLS certificate`, 'key');
      return undefined;
    }
    if (others.length) {
      r.error(file, [...keyPath, others[0]!], 'value.key-source', `${at(keyPath)}an ACME key source takes only acme (found ${others.join(', ')})`, 'key');
      return undefined;
    }
    return acmeKeySource(ctx.acmeDir, raw.acme);
  }
  if (typeof raw === 'string') {
    if (!raw.trim()) {
      r.error(file, keyPath, 'value.key-source', `${at(keyPath)}a key file path must not be empty`);
      return undefined;
    }
    return fileKeySource(raw, root);
  }
  const kinds = (['key_data', 'path', 'vault_mount'] as const).filter((k) => raw[k] !== undefined);
  if (kinds.length !== 1) {
    r.error(file, keyPath, 'value.key-source', at(keyPath) + (kinds.length
      ? `a key source takes only one of key_data, path or vault_mount (found ${kinds.join(', ')})`
      : 'a key source needs one of key_data, path, or vault_mount + vault_path'), 'key');
    return undefined;
  }
  const vaultOnly = (['vault_path', 'vault_key', 'vault_address', 'vault_token', 'ttl'] as const).filter((k) => raw[k] !== undefined);
  if (kinds[0] !== 'vault_mount') {
    for (const k of vaultOnly)
      r.error(file, [...keyPath, k], 'value.key-source', `${at(keyPath)}${k} only applies to a Vault key source (with vault_mount)`, 'key');
    if (vaultOnly.length) return undefined;
  }
  if (kinds[0] === 'key_data') {
    if (!raw.key_data!.trim()) {
      r.error(file, [...keyPath, 'key_data'], 'value.key-source', `${at(keyPath)}key_data must not be empty`);
      return undefined;
    }
    return inlineKeySource(raw.key_data!, `inline key_data in ${file.name}`);
  }
  if (kinds[0] === 'path') {
    if (!raw.path!.trim()) {
      r.error(file, [...keyPath, 'path'], 'value.key-source', `${at(keyPath)}path must not be empty`);
      return undefined;
    }
    return fileKeySource(raw.path!, root);
  }
  if (!raw.vault_path) {
    r.error(file, keyPath, 'value.key-source', `${at(keyPath)}a Vault key source needs vault_path (the secret under vault_mount)`, 'key');
    return undefined;
  }
  let ttlMs = DEFAULT_KEY_TTL_MS;
  if (raw.ttl !== undefined) {
    const t = r.parse(file, [...keyPath, 'ttl'], 'value.duration', () => parseDuration(raw.ttl!));
    if (t === undefined) return undefined;
    ttlMs = t;
  }
  return vaultKeySource({
    mount: raw.vault_mount!, path: raw.vault_path, key: raw.vault_key,
    address: raw.vault_address, token: raw.vault_token, ttlMs,
  });
}

export interface LoadKeyOptions {
  /**
   * The config epoch of the caller's snapshot: a Vault secret cached under an older epoch is
   * re-read, so bump-config-epoch / `kumo-ts reload` refresh remote secrets at once.
   */
  epoch?: number;
}

/**
 * Loads the secret. Files are read on every call (so a rotated file is picked up at once);
 * Vault secrets are cached per source for its TTL. Throws KeySourceError.
 */
export async function loadKey(spec: KeySourceSpec, opts: LoadKeyOptions = {}): Promise<Buffer> {
  switch (spec.kind) {
    case 'file':
      return loadFileKey(spec.path, spec.describe);
    case 'inline':
      if (!spec.data.trim()) throw new KeySourceError('key.empty', spec.describe, 'the key data is empty');
      return Buffer.from(spec.data);
    case 'vault':
      return loadVaultKey(spec, opts.epoch);
  }
}

export { forgetVaultCache as forgetCachedKeys } from './vault-source.js';
