/* Generated from schemas/kumo.schema.json by scripts/gen-types.mjs. Do not edit: run npm run gen:types. */

/**
 * Address and port to listen on, e.g. "127.0.0.1:2525".
 */
export type HostPort = string
/**
 * An IPv4 or IPv6 network ("10.0.0.0/8", "::1/128") or a single address.
 */
export type Cidr = string
/**
 * Clients allowed to relay to any domain (default loopback only).
 */
export type CidrList = Cidr[]
/**
 * Address to listen on (default 127.0.0.1:8000).
 */
export type HostPort1 = string
/**
 * Networks allowed to use the API (default loopback).
 */
export type CidrList1 = Cidr[]
/**
 * How long a write may wait to share an fsync with concurrent writes (default "2ms").
 */
export type Duration = (string | number)
/**
 * Rotate a log file after this long (default 1 hour).
 */
export type Duration1 = (string | number)
/**
 * An address and port: "127.0.0.1:2525", "[::1]:25" or "mx.example.com:25".
 */
export type HostPort2 = string
/**
 * Per-lookup timeout (default 5s).
 */
export type Duration2 = (string | number)
/**
 * Safety-net poll of the watched files (default 10s).
 */
export type Duration3 = (string | number)

/**
 * The main kumo-ts config file (kumo.toml, kumo.json or kumo.yaml): listeners, HTTP, spool, logs, DNS, Redis, the helper files and the config monitor.
 */
export interface KumoMain {
/**
 * This node's host name, used in banners, Received headers and EHLO. Defaults to the machine's host name.
 */
hostname?: string
/**
 * Helper files, relative to the config root. Each kind takes one path or a list. Without an entry, <kind>.toml/.json/.yaml in the config root is used if present.
 */
files?: {
/**
 * KumoMTA-style listener_domains files (relay_to, relay_from, log_oob, log_arf).
 */
listener_domains?: (string | string[])
/**
 * Egress sources and pools (KumoMTA sources.toml format).
 */
sources?: (string | string[])
/**
 * Queue settings (KumoMTA queues.toml format).
 */
queues?: (string | string[])
/**
 * DKIM signing (KumoMTA dkim.toml format).
 */
dkim?: (string | string[])
/**
 * Traffic-shaping files, layered in order (later wins). "builtin" names the shaping.toml shipped with kumo-ts. Default: builtin, then shaping.toml in the config root if present.
 */
shaping?: (string | string[])
}
/**
 * SMTP listeners by name.
 */
listener?: {
[k: string]: Listener
}
/**
 * The HTTP API listener.
 */
http?: {
listen?: HostPort1
trusted_hosts?: CidrList1
/**
 * Set false to run without the HTTP API (default true).
 */
enabled?: boolean
}
/**
 * The durable message spool.
 */
spool?: {
/**
 * Directory of the embedded spool (default ./data/spool), relative to the working directory.
 */
path?: string
group_commit_window?: Duration
}
/**
 * Log records (JSON lines).
 */
logs?: {
/**
 * Directory of the log files (default ./data/logs).
 */
path?: string
/**
 * Rotate a log file after this many bytes (default 100 MB).
 */
max_file_size?: number
max_file_age?: Duration1
/**
 * Gzip rotated log files (default true).
 */
compress?: boolean
}
/**
 * How DNS lookups are made.
 */
dns?: {
/**
 * system: the machine's resolver; servers: the name_servers listed; static: answers from zone_file only (tests, labs).
 */
mode?: ("system" | "servers" | "static")
/**
 * Name servers for mode "servers" (host or host:port).
 */
name_servers?: HostPort2[]
/**
 * Static zone file (TOML, JSON or YAML) for mode "static", relative to the config root.
 */
zone_file?: string
timeout?: Duration2
}
/**
 * Cluster mode: share throttles and connection limits between nodes through Redis.
 */
redis?: {
/**
 * Redis URL, e.g. redis://127.0.0.1:6379.
 */
url: string
}
/**
 * The config monitor that applies changes live.
 */
monitor?: {
/**
 * Extra glob patterns (relative to the config root) whose files are watched; the config root and the named helper files are always watched.
 */
globs?: string[]
poll_interval?: Duration3
}
}
/**
 * One SMTP listener.
 */
export interface Listener {
listen: HostPort
/**
 * Name in the banner and Received header (default: the node hostname).
 */
hostname?: string
/**
 * Greeting text after 220 (default "<hostname> ESMTP kumo-ts").
 */
banner?: string
relay_hosts?: CidrList
}
