import { createHash, createPrivateKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { fileKeySource, loadKey, vaultKeySource } from '../keys/key-source.js';
import type { KeySourceSpec } from '../keys/key-source.js';
import type { DkimKeyRef } from './config.js';

/** The key source of a block for one signing domain (templates use `<domain>/<selector>.key`). */
export function keySourceFor(ref: DkimKeyRef, domain: string, selector: string): KeySourceSpec {
  switch (ref.kind) {
    case 'source':
      return ref.spec;
    case 'file-dir':
      return fileKeySource(`${ref.dir}/${domain}/${selector}.key`);
    case 'vault-prefix':
      return vaultKeySource({ ...ref, path: `${ref.prefix}/${domain}/${selector}.key` });
  }
}

// Parsed keys by content digest: loadKey decides freshness (files are re-read, Vault has a TTL);
// this only saves re-parsing the same PEM for every message. Bounded, oldest out first.
const parsed = new Map<string, KeyObject>();
const MAX_PARSED = 1000;

/** A private key that is not PEM/DER we can parse. */
export class DkimKeyParseError extends Error {
  readonly code = 'dkim.key-parse';
}

export async function loadPrivateKey(spec: KeySourceSpec, epoch?: number): Promise<KeyObject> {
  const data = await loadKey(spec, epoch === undefined ? {} : { epoch });
  const id = createHash('sha256').update(data).digest('base64');
  const hit = parsed.get(id);
  if (hit) return hit;
  let key: KeyObject;
  try {
    key = parsePrivateKey(data);
  } catch (e) {
    throw new DkimKeyParseError(`${spec.describe}: not a usable private key (${(e as Error).message})`);
  }
  if (parsed.size >= MAX_PARSED) parsed.delete(parsed.keys().next().value!);
  parsed.set(id, key);
  return key;
}

/** PEM (PKCS8 or PKCS1), or a raw 32-byte Ed25519 seed in base64 (as some tools print). */
function parsePrivateKey(data: Buffer): KeyObject {
  const text = data.toString('utf8').trim();
  if (text.includes('-----BEGIN')) return createPrivateKey({ key: text, format: 'pem' });
  const raw = Buffer.from(text, 'base64');
  if (raw.length === 32) {
    const pkcs8 = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), raw]);
    return createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
  }
  if (raw.length > 32) return createPrivateKey({ key: raw, format: 'der', type: 'pkcs8' });
  throw new Error('expected a PEM private key');
}
