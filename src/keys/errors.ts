export type KeySourceErrorCode =
  | 'key.file' // the file cannot be read
  | 'key.empty' // the source holds no data
  | 'key.vault-config' // no Vault address or token
  | 'key.vault-auth' // Vault refused the token (401/403)
  | 'key.vault-missing' // no such secret, or no such field in it
  | 'key.vault-deleted' // the secret's current version is deleted or destroyed (KV v2)
  | 'key.vault-sealed' // Vault is sealed (503 "Vault is sealed")
  | 'key.vault-server' // Vault answered with another 5xx status
  | 'key.vault-http' // network error, timeout or another HTTP status
  | 'key.vault-format'; // the answer is not a KV v2 secret

/** A secret that could not be loaded; `code` is stable, `source` names where it came from. */
export class KeySourceError extends Error {
  constructor(readonly code: KeySourceErrorCode, readonly source: string, message: string) {
    super(`${source}: ${message}`);
    this.name = 'KeySourceError';
  }
}
