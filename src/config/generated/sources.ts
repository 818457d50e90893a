/* Generated from schemas/sources.schema.json by scripts/gen-types.mjs. Do not edit: run npm run gen:types. */

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
 * How long a loaded secret is cached (default 5m).
 */
ttl?: (string | number)
})

/**
 * Egress sources and pools in KumoMTA's sources.toml format. Several files merge in order (later keys win). Without any, the pool "unspecified" holds the source "unspecified" (the kernel picks the local address).
 */
export interface Sources {
/**
 * Egress sources by name. The name appears in log records and in shaping's sources."name" blocks.
 */
source?: {
[k: string]: Source
}
/**
 * Egress pools by name: each maps source names to their entry ([pool."name"."source"], weight default 1). Queues pick a pool with egress_pool.
 */
pool?: {
[k: string]: Pool
}
}
/**
 * One egress source: where outbound connections come from.
 */
export interface Source {
/**
 * Accepted for compatibility with KumoMTA's make_egress_source; must equal the table name if given.
 */
name?: string
/**
 * Local IP address to bind outbound connections to. Omit to let the kernel choose.
 */
source_address?: string
/**
 * Name sent with EHLO from this source (default: the node hostname).
 */
ehlo_domain?: string
/**
 * Connect to this port instead of the path's smtp_port (default 25); an mx_list entry with a port of its own keeps it. Useful when egress addresses are mapped by port, and for labs and tests with several receivers on one host.
 */
remote_port?: number
/**
 * An address and port: "127.0.0.1:2525", "[::1]:25" or "mx.example.com:25".
 */
ha_proxy_server?: string
/**
 * The source address HAProxy should use for connections of this source (an IP address of the HAProxy host).
 */
ha_proxy_source_address?: string
/**
 * An address and port: "127.0.0.1:2525", "[::1]:25" or "mx.example.com:25".
 */
socks5_proxy_server?: string
/**
 * The address the SOCKS5 proxy sends from, for log records. Standard SOCKS5 cannot ask the proxy for a source address, so the proxy must be set up to use it. Requires socks5_proxy_server.
 */
socks5_proxy_source_address?: string
/**
 * User name for SOCKS5 username/password authentication (RFC 1929, 1 to 255 bytes). With socks5_proxy_password, kumo-ts offers the proxy username/password authentication besides none; a proxy that rejects them fails the connection attempt (a transient failure naming the proxy). Requires socks5_proxy_server and socks5_proxy_password.
 */
socks5_proxy_username?: string
socks5_proxy_password?: KeySource
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
ttl?: (string | number)
suspend_when_unplumbed?: SuspendOnFailure
suspend_when_proxy_unhealthy?: SuspendOnFailure
}
/**
 * An auto-suspend rule: when trigger fires, the source is skipped in pool selection for duration.
 */
export interface SuspendOnFailure {
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
duration: (string | number)
/**
 * "Immediate" (the default: one failure suspends) or {Threshold = "N/period"} (N failures within the period; accepted for KumoMTA compatibility, not acted on yet: one failure suspends).
 */
trigger?: ("Immediate" | {
/**
 * A rate "[local:]N/[k]period[,max_burst=B]" with period s, m, h or d, e.g. "100/min", "10/5m", "1,000/h". local: keeps it in this process even in cluster mode.
 */
Threshold: string
})
}
/**
 * The sources of one pool, by source name.
 */
export interface Pool {
[k: string]: PoolEntry
}
/**
 * One source of a pool.
 */
export interface PoolEntry {
/**
 * Relative share of the pool's traffic (default 1; 0 takes the source out of rotation). Selection is smooth weighted round robin.
 */
weight?: number
}
