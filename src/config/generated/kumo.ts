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
 * Largest message accepted, advertised in SIZE; larger ones get 552 5.3.4 (default "20MB").
 */
export type ByteSize = (number | string)
/**
 * How long a client may stay silent (between commands, within DATA, during the TLS handshake or the PROXY header) before it is disconnected (default "60s").
 */
export type Duration = (string | number)
/**
 * PEM certificate chain (leaf first) served by default. May also hold the private key (one combined PEM) when private_key is omitted.
 */
export type KeySource = (string | {
/**
 * The data itself, inline.
 */
key_data?: string
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
ttl?: Duration1
})
/**
 * How long a loaded secret is cached (default 5m).
 */
export type Duration1 = (string | number)
/**
 * PEM private key of the default certificate (default: taken from the certificate PEM).
 */
export type KeySource1 = (string | {
/**
 * The data itself, inline.
 */
key_data?: string
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
ttl?: Duration1
})
/**
 * PEM certificate chain (leaf first). May also hold the private key (one combined PEM) when private_key is omitted.
 */
export type KeySource2 = (string | {
/**
 * The data itself, inline.
 */
key_data?: string
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
ttl?: Duration1
})
/**
 * PEM private key of the certificate (default: taken from the certificate PEM).
 */
export type KeySource3 = (string | {
/**
 * The data itself, inline.
 */
key_data?: string
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
ttl?: Duration1
})
/**
 * Log a warning when a certificate expires within this time (default "14 days").
 */
export type Duration2 = (string | number)
/**
 * Credentials file: one "username:hash" per line (# comments), hash = bcrypt ($2a$/$2b$/$2y$) or scrypt in PHC form ($scrypt$ln=15,r=8,p=1$salt$hash). Plaintext passwords are refused. Make a line with `kumo-ts hash-password USER`. Watched and reloaded when it changes.
 */
export type KeySource4 = (string | {
/**
 * The data itself, inline.
 */
key_data?: string
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
ttl?: Duration1
})
/**
 * The window of max_failures (default "10m").
 */
export type Duration3 = (string | number)
/**
 * Peers (e.g. HAProxy) that must start every connection with a PROXY protocol v1 or v2 header; the client address it carries is then used for relay checks, logs and Received. Connections from other peers never have their PROXY header honoured.
 */
export type CidrList1 = Cidr[]
/**
 * Address to listen on (default 127.0.0.1:8000).
 */
export type HostPort1 = string
/**
 * Networks allowed to use the API (default loopback).
 */
export type CidrList2 = Cidr[]
/**
 * How long a write may wait to share an fsync with concurrent writes (default "2ms").
 */
export type Duration4 = (string | number)
/**
 * Rotate a log file after this long (default 1 hour).
 */
export type Duration5 = (string | number)
/**
 * An address and port: "127.0.0.1:2525", "[::1]:25" or "mx.example.com:25".
 */
export type HostPort2 = string
/**
 * Per-lookup timeout (default 5s).
 */
export type Duration6 = (string | number)
/**
 * A rollup domain block whose MX lookup fails is skipped; report that as Ignore, Warn (default) or Error.
 */
export type CheckLevel = ("Ignore" | "Warn" | "Error")
/**
 * A rollup domain block whose domain has a null MX is skipped; report that as Ignore, Warn (default) or Error.
 */
export type CheckLevel1 = ("Ignore" | "Warn" | "Error")
/**
 * A rollup domain block whose domain a provider block also matches: Ignore (default), Warn or Error.
 */
export type CheckLevel2 = ("Ignore" | "Warn" | "Error")
/**
 * Two domain blocks rolling up to the same MX site (both then apply to the whole site): Ignore, Warn (default) or Error.
 */
export type CheckLevel3 = ("Ignore" | "Warn" | "Error")
/**
 * Safety-net poll of the watched files (default 10s).
 */
export type Duration7 = (string | number)

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
trusted_hosts?: CidrList2
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
group_commit_window?: Duration4
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
max_file_age?: Duration5
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
timeout?: Duration6
/**
 * Allow delivery to loopback and unspecified addresses (127.0.0.0/8, ::1, 0.0.0.0, ::) found through MX/A/AAAA lookups. Default false: such destinations are prohibited unless routed explicitly (a queue's mx_list). For tests and labs with static zones.
 */
allow_loopback_destinations?: boolean
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
 * How the shaping files are loaded, and where traffic-shaping automation keeps its state.
 */
shaping?: {
dns_fail?: CheckLevel
null_mx?: CheckLevel1
provider_overlap?: CheckLevel2
aliased_site?: CheckLevel3
/**
 * File keeping automation suspensions and overrides across restarts, relative to the config root (default: shaping-automation.json next to the spool directory).
 */
automation_state?: string
}
/**
 * The config monitor that applies changes live.
 */
monitor?: {
/**
 * Extra glob patterns (relative to the config root) whose files are watched; the config root and the named helper files are always watched.
 */
globs?: string[]
poll_interval?: Duration7
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
 * Greeting text after "220 <hostname> ESMTP" (default "kumo-ts").
 */
banner?: string
relay_hosts?: CidrList
/**
 * RCPT TO commands accepted per message; more get 451 4.5.3 (default 1024).
 */
max_recipients_per_message?: number
/**
 * Messages (MAIL FROM commands) accepted per connection; the next one gets 421 4.7.0 and the connection closes (default 10000).
 */
max_messages_per_connection?: number
max_message_size?: ByteSize
/**
 * Concurrent client connections; more get 421 (default 1000).
 */
max_connections?: number
client_timeout?: Duration
/**
 * Look up the client's PTR name (through kumo-ts's resolver, see [dns]) for the Received header and logs (default false: the address literal is used).
 */
reverse_lookup?: boolean
tls?: ListenerTls
auth?: ListenerAuth
trace_headers?: TraceHeaders
proxy_protocol_from?: CidrList1
/**
 * RISK: keep accepted messages in RAM only until their first transient delivery failure (faster, but a crash or kill loses every message not yet delivered or deferred although it got 250). Default false: every message is on disk before 250.
 */
deferred_spool?: boolean
}
/**
 * TLS for this listener: STARTTLS (default) or implicit TLS. Without it the listener offers neither STARTTLS nor AUTH.
 */
export interface ListenerTls {
certificate: KeySource
private_key?: KeySource1
/**
 * Certificates chosen by the server name the client asks for (SNI): host name (or "*.suffix") to certificate and key. Other names get the default certificate.
 */
sni?: {
[k: string]: TlsIdentity
}
/**
 * Implicit TLS ("SMTPS", port 465 style): the TLS handshake starts at connect and STARTTLS is not offered (default false: STARTTLS).
 */
implicit?: boolean
expiry_warning?: Duration2
}
/**
 * A certificate chain and its private key. The files are watched: a renewed certificate is served to new connections within two seconds; a broken one is refused and the old one stays.
 */
export interface TlsIdentity {
certificate: KeySource2
private_key?: KeySource3
}
/**
 * SMTP AUTH (PLAIN, LOGIN), offered only after TLS is up. Needs tls.
 */
export interface ListenerAuth {
credentials: KeySource4
/**
 * Failed AUTH attempts allowed per client IP within failure_window; further attempts get 421 4.7.0 until the window passes (default 5).
 */
max_failures?: number
failure_window?: Duration3
/**
 * Authenticated sessions may relay to any domain (default true). With false, relaying needs relay_hosts, relay_from_authz or relay_to as without AUTH.
 */
relay?: boolean
}
/**
 * Trace headers added to every accepted message.
 */
export interface TraceHeaders {
/**
 * Add a Received header, with the TLS version and cipher when TLS was used (default true).
 */
received_header?: boolean
/**
 * Add the supplemental header carrying the spool id (default true).
 */
supplemental_header?: boolean
/**
 * Name of the supplemental header (default "X-KumoRef"). Its value is base64 JSON {"_@_":"\\_o<  \\_o<  \\_o<","id":"<spool id>"}.
 */
header_name?: string
}
