import { request } from 'undici';
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

// Keyed by address + token + secret + field: a config change that points elsewhere misses the cache.
const cache = new Map<string, CacheEntry>();

/** Drops every cached Vault secret (bump-config-epoch, tests). */
export function forgetVaultCache(): void {
  cache.clear();
}

const REQUEST_TIMEOUT_MS = 10_000;

/**
 * Reads field `key` of a HashiCorp Vault KV v2 secret: `GET {addr}/v1/{mount}/data/{path}` with
 * `X-Vault-Token`. Cached for `ttlMs`; concurrent loads of the same secret share one request.
 * With `epoch`, a value loaded under another config epoch is stale too, so that a forced reload
 * (bump-config-epoch, `kumo-ts reload`) re-reads Vault, as KumoMTA's `invalidate_with_epoch`.
 */
export async function loadVaultKey(spec: VaultSpec, epoch?: number, now = Date.now()): Promise<Buffer> {
  const address = (spec.address ?? process.env.VAULT_ADDR ?? '').replace(/\/+$/, '');
  const token = spec.token ?? process.env.VAULT_TOKEN ?? '';
  if (!address) throw new KeySourceError('key.vault-config', spec.describe, 'no Vault address (set vault_address or VAULT_ADDR)');
  if (!token) throw new KeySourceError('key.vault-config', spec.describe, 'no Vault token (set vault_token or VAULT_TOKEN)');
  const id = JSON.stringify([address, token, spec.mount, spec.path, spec.key]);
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
  const where = `${spec.describe} at ${address}`;
  let status: number;
  let text: string;
  try {
    const res = await request(url, {
      method: 'GET',
      headers: {
        'x-vault-token': token,
        accept: 'application/json',
        ...(process.env.VAULT_NAMESPACE ? { 'x-vault-namespace': process.env.VAULT_NAMESPACE } : {}),
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
  if (status === 404) throw new KeySourceError('key.vault-missing', where, 'no such secret (HTTP 404)');
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

function vaultErrors(text: string): string {
  try {
    const errs = (JSON.parse(text) as { errors?: unknown }).errors;
    if (Array.isArray(errs) && errs.length) return `: ${errs.map(String).join('; ')}`;
  } catch {
    // not JSON: nothing to add
  }
  return '';
}
