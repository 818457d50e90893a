/* Generated from schemas/dkim.schema.json by scripts/gen-types.mjs. Do not edit: run npm run gen:types. */

/**
 * Where a secret (TLS key or certificate, DKIM key, AUTH credentials) comes from: a file path, inline data, or a HashiCorp Vault KV v2 entry.
 */
export type KeySource = (string | {
/**
 * The data itself, inline.
 */
key_data?: string
/**
 * A certificate kumo-ts obtains and renews itself: the NAME of an [acme.cert.NAME] (only for a listener's TLS certificate; the file holds the certificate chain and its key, so omit private_key).
 */
acme?: string
/**
 * Path of a file holding the data (relative to the config root).
 */
path?: string
/**
 * Vault KV v2 mount point, e.g. "secret".
 */
vault_mount?: string
/**
 * Path of the secret under the mount.
 */
vault_path?: string
/**
 * Field of the secret holding the data (default "key").
 */
vault_key?: string
/**
 * Vault address; defaults to VAULT_ADDR.
 */
vault_address?: string
/**
 * Vault token; defaults to VAULT_TOKEN.
 */
vault_token?: string
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
ttl?: (string | number)
})

/**
 * DKIM signing policy in the format of KumoMTA's dkim_sign helper: [base] defaults, [domain."example.com"] blocks chosen by the From header's domain (wildcards allowed), and [signature."name"] extra signatures listed in base.additional_signatures.
 */
export interface Dkim {
base?: DkimBase
/**
 * Signing blocks keyed by sender domain: "example.com", "*.example.com" or "*".
 */
domain?: {
[k: string]: DkimDomain
}
/**
 * Extra signatures, e.g. an ESP domain, applied when listed in base.additional_signatures.
 */
signature?: {
[k: string]: DkimSignature
}
}
/**
 * Defaults for every domain and signature block.
 */
export interface DkimBase {
/**
 * Default selector for blocks that do not set one.
 */
selector?: string
/**
 * Header fields to sign (h=); defaults to base.headers, then the RFC 6376 §5.4.1 set.
 */
headers?: string[]
/**
 * Header canonicalization: "relaxed" (default) or "simple"; KumoMTA's spellings "Relaxed" and "Simple" are the same.
 */
header_canonicalization?: ("relaxed" | "simple" | "Relaxed" | "Simple")
/**
 * Body canonicalization: "relaxed" (default) or "simple"; KumoMTA's spellings "Relaxed" and "Simple" are the same.
 */
body_canonicalization?: ("relaxed" | "simple" | "Relaxed" | "Simple")
/**
 * List every signed header once more in h= than it occurs, so that adding such a header later breaks the signature.
 */
over_sign?: boolean
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
expiration?: (string | number)
/**
 * Signing algorithm: "sha256" (rsa-sha256, default) or "ed25519" (ed25519-sha256).
 */
algo?: ("sha256" | "ed25519")
/**
 * What to do when the key cannot be loaded: "Defer" (default; the message is refused with 451 4.3.0) or "SendUnsigned" (accept it without this signature).
 */
on_key_error?: ("Defer" | "SendUnsigned")
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
ttl?: (string | number)
/**
 * Names of [signature."name"] blocks to add to every message (subject to each block's policy).
 */
additional_signatures?: string[]
/**
 * Directory of key files named <domain>/<selector>.key, relative to the config root (default "dkim").
 */
key_dir?: string
/**
 * When set, keys come from this Vault KV v2 mount instead of files.
 */
vault_mount?: string
/**
 * Vault path prefix for keys: <prefix>/<domain>/<selector>.key (default "dkim").
 */
vault_path_prefix?: string
/**
 * Field of the Vault secret holding the key (default "key").
 */
vault_key?: string
/**
 * Vault address; defaults to VAULT_ADDR.
 */
vault_address?: string
/**
 * Vault token; defaults to VAULT_TOKEN.
 */
vault_token?: string
/**
 * Default domain-block policy (KumoMTA); accepted for compatibility, signing always happens (as in KumoMTA's helper).
 */
policy?: ("Always" | "SignAlways" | "TempFailIfNotInDNS" | "SignOnlyIfInDNS")
}
/**
 * How to sign mail whose From header is in this domain.
 */
export interface DkimDomain {
/**
 * DKIM selector (s=); defaults to base.selector.
 */
selector?: string
/**
 * Header fields to sign (h=); defaults to base.headers, then the RFC 6376 §5.4.1 set.
 */
headers?: string[]
/**
 * Header canonicalization: "relaxed" (default) or "simple"; KumoMTA's spellings "Relaxed" and "Simple" are the same.
 */
header_canonicalization?: ("relaxed" | "simple" | "Relaxed" | "Simple")
/**
 * Body canonicalization: "relaxed" (default) or "simple"; KumoMTA's spellings "Relaxed" and "Simple" are the same.
 */
body_canonicalization?: ("relaxed" | "simple" | "Relaxed" | "Simple")
/**
 * List every signed header once more in h= than it occurs, so that adding such a header later breaks the signature.
 */
over_sign?: boolean
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
expiration?: (string | number)
/**
 * Signing algorithm: "sha256" (rsa-sha256, default) or "ed25519" (ed25519-sha256).
 */
algo?: ("sha256" | "ed25519")
/**
 * Private key file (PKCS8 or PKCS1 PEM), relative to the config root; with base.vault_mount, the Vault path of the key. Default: <key_dir>/<domain>/<selector>.key.
 */
filename?: string
key?: KeySource
/**
 * What to do when the key cannot be loaded: "Defer" (default; the message is refused with 451 4.3.0) or "SendUnsigned" (accept it without this signature).
 */
on_key_error?: ("Defer" | "SendUnsigned")
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
ttl?: (string | number)
/**
 * KumoMTA's DNS-based policy; accepted for compatibility, signing always happens (as in KumoMTA's helper).
 */
policy?: ("Always" | "SignAlways" | "TempFailIfNotInDNS" | "SignOnlyIfInDNS")
}
/**
 * An extra signature with its own signing domain.
 */
export interface DkimSignature {
/**
 * DKIM selector (s=); defaults to base.selector.
 */
selector?: string
/**
 * Header fields to sign (h=); defaults to base.headers, then the RFC 6376 §5.4.1 set.
 */
headers?: string[]
/**
 * Header canonicalization: "relaxed" (default) or "simple"; KumoMTA's spellings "Relaxed" and "Simple" are the same.
 */
header_canonicalization?: ("relaxed" | "simple" | "Relaxed" | "Simple")
/**
 * Body canonicalization: "relaxed" (default) or "simple"; KumoMTA's spellings "Relaxed" and "Simple" are the same.
 */
body_canonicalization?: ("relaxed" | "simple" | "Relaxed" | "Simple")
/**
 * List every signed header once more in h= than it occurs, so that adding such a header later breaks the signature.
 */
over_sign?: boolean
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
expiration?: (string | number)
/**
 * Signing algorithm: "sha256" (rsa-sha256, default) or "ed25519" (ed25519-sha256).
 */
algo?: ("sha256" | "ed25519")
/**
 * Private key file (PKCS8 or PKCS1 PEM), relative to the config root; with base.vault_mount, the Vault path of the key. Default: <key_dir>/<domain>/<selector>.key.
 */
filename?: string
key?: KeySource
/**
 * What to do when the key cannot be loaded: "Defer" (default; the message is refused with 451 4.3.0) or "SendUnsigned" (accept it without this signature).
 */
on_key_error?: ("Defer" | "SendUnsigned")
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
ttl?: (string | number)
/**
 * Signing domain (d=). Omitted: the From header's domain; then a policy "Always" signature is added only to mail whose From domain has a domain block (e.g. an Ed25519 signature next to the block's RSA one).
 */
domain?: string
/**
 * "Always" (default) adds this signature to every message; "OnlyIfMissingDomainBlock" only when no domain block signed it.
 */
policy?: ("Always" | "OnlyIfMissingDomainBlock")
}
