import { undici } from '../net/undici.js';
import { KeySourceError } from './errors.js';

export interface VaultSpec {
  readonly mount: string;
  readonly path: string;
  readonly key: string;
  readonly address?: string;
  readonly token?: string;
  readonly ttlMs: number;
  readonly describe: string;
}

interface CacheEntry {
  expires: number;
  /** config epoch the value was loaded under (undefined: not tied to one) */
  epoch?: number;
  value?: Buffer;
  pending?: Promise<Buffer>;
}

// Keyed by address + token + namespace + secret + field: a config change that points elsewhere misses the cache.
const cache = new Map<string, CacheEntry>();

/** Drops every cached Vault secret (bump-config-epoch, tests). */
export function forgetVaultCache(): void {
  cache.clear();
}

const REQUEST_TIMEOUT_MS = 10_000;

/**
 * Reads field `key` of a HashiCorp Vault KV v2 secret: `GET {addr}/v1/{mount}/data/{path}` with
 * `X-Vault-Token` (and `X-Vault-Namespace` from VAULT_NAMESPACE, as Vault's own CLI). Cached for `ttlMs`; concurrent loads of the same secret share one request.
 * With `epoch`, a value loaded under another config epoch is stale too, so that a forced reload
 * (bump-config-epoch, `kumo-ts reload`) re-reads Vault, as KumoMTA's `invalidate_with_epoch`.
 */
export async function loadVaultKey(spec: VaultSpec, epoch?: number, now = Date.now()): Promise<Buffer> {
  const address = (spec.address ?? process.env.VAULT_ADDR ?? '').replace(/\/+$/, '');
  const token = spec.token ?? process.env.VAULT_TOKEN ?? '';
  if (!address) throw new KeySourceError('key.vault-config', spec.describe, 'no Vault address (set vault_address or VAULT_ADDR)');
  if (!token) throw new KeySourceError('key.vault-config', spec.describe, 'no Vault token (set vault_token or VAULT_TOKEN)');
  const id = JSON.stringify([address, token, process.env.VAULT_NAMESPACE ?? '', spec.mount, spec.path, spec.key]);
  const hit = cache.get(id);
  if (hit) {
    if (hit.pending) return hit.pending;
    if (hit.value && hit.expires > now && (epoch === undefined || hit.epoch === undefined || hit.epoch >= epoch)) return hit.value;
  }
  const pending = fetchSecret(address, token, spec).then(
    (value) => {
      cache.set(id, { value, expires: Date.now() + spec.ttlMs, ...(epoch !== undefined ? { epoch } : {}) });
      return value;
    },
    (e) => {
      cache.delete(id);
      throw e;
    },
  );
  cache.set(id, { expires: 0, pending });
  return pending;
}

async function fetchSecret(address: string, token: string, spec: VaultSpec): Promise<Buffer> {
  const path = spec.path.split('/').map(encodeURIComponent).join('/');
  const url = `${address}/v1/${spec.mount.split('/').map(encodeURIComponent).join('/')}/data/${path}`;
  // Vault Enterprise namespaces: the same secret path means another secret in another namespace
  const namespace = process.env.VAULT_NAMESPACE?.replace(/^\/+|\/+$/g, '') || undefined;
  const where = `${spec.describe} at ${address}${namespace ? ` in namespace "${namespace}"` : ''}`;
  let status: number;
  let text: string;
  try {
    const res = await undici().request(url, {
      method: 'GET',
      headers: {
        'x-vault-token': token,
        accept: 'application/json',
        ...(namespace ? { 'x-vault-namespace': namespace } : {}),
      },
      headersTimeout: REQUEST_TIMEOUT_MS,
      bodyTimeout: REQUEST_TIMEOUT_MS,
    });
    status = res.statusCode;
    text = await res.body.text();
  } catch (e) {
    throw new KeySourceError('key.vault-http', where, `cannot reach Vault: ${(e as Error).message}`);
  }
  if (status === 401 || status === 403)
    throw new KeySourceError('key.vault-auth', where, `Vault refused the token (HTTP ${status}${vaultErrors(text)})`);
  if (status === 404) {
    const deleted = deletedVersion(text);
    if (deleted) throw new KeySourceError('key.vault-deleted', where, deleted);
    throw new KeySourceError('key.vault-missing', where, 'no such secret (HTTP 404)');
  }
  if (status === 503 && /vault is sealed/i.test(vaultErrors(text)))
    throw new KeySourceError('key.vault-sealed', where, 'Vault is sealed (HTTP 503): it must be unsealed before secrets can be read');
  if (status >= 500) throw new KeySourceError('key.vault-server', where, `Vault failed with HTTP ${status}${vaultErrors(text)}`);
  if (status !== 200) throw new KeySourceError('key.vault-http', where, `Vault answered HTTP ${status}${vaultErrors(text)}`);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new KeySourceError('key.vault-format', where, 'Vault answered with something that is not JSON');
  }
  const data = (body as { data?: { data?: Record<string, unknown> } })?.data?.data;
  if (!data || typeof data !== 'object')
    throw new KeySourceError('key.vault-format', where, 'the answer is not a KV v2 secret (no data.data; is the mount KV version 2?)');
  const value = data[spec.key];
  if (value === undefined || value === null)
    throw new KeySourceError('key.vault-missing', where, `the secret has no field "${spec.key}" (fields: ${Object.keys(data).join(', ') || 'none'})`);
  if (typeof value !== 'string') throw new KeySourceError('key.vault-format', where, `field "${spec.key}" is not a string`);
  if (!value.trim()) throw new KeySourceError('key.empty', where, `field "${spec.key}" is empty`);
  return Buffer.from(value);
}

/**
 * KV v2 answers a read of a deleted or destroyed current version with 404 and the version's
 * metadata (deletion_time set, or destroyed true) but no data: say so, not "no such secret".
 */
function deletedVersion(text: string): string | undefined {
  let meta: { deletion_time?: unknown; destroyed?: unknown; version?: unknown } | undefined;
  try {
    meta = (JSON.parse(text) as { data?: { metadata?: typeof meta } })?.data?.metadata ?? undefined;
  } catch {
    return undefined;
  }
  if (!meta || typeof meta !== 'object') return undefined;
  const version = typeof meta.version === 'number' ? `version ${meta.version}` : 'the current version';
  if (meta.destroyed === true) return `${version} of the secret is destroyed (HTTP 404): write a new version`;
  if (typeof meta.deletion_time === 'string' && meta.deletion_time)
    return `${version} of the secret was deleted at ${meta.deletion_time} (HTTP 404): undelete it or write a new version`;
  return undefined;
}

function vaultErrors(text: string): string {
  try {
    const errs = (JSON.parse(text) as { errors?: unknown }).errors;
    if (Array.isArray(errs) && errs.length) return `: ${errs.map(String).join('; ')}`;
  } catch {
    // not JSON: nothing to add
  }
  return '';
}
