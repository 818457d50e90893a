/* Generated from schemas/shaping.schema.json by scripts/gen-types.mjs. Do not edit: run npm run gen:types. */

/**
 * Suspend (this source → site), SuspendTenant / SuspendCampaign (the tenant or campaign to this domain), Bounce / BounceTenant / BounceCampaign (bounce instead of delivering), {SetConfig = {name, value}} (override a setting on this path), {SetDomainConfig = {name, value}} (override a setting for the domain, every source).
 */
export type AutomationAction = (("Suspend" | "SuspendTenant" | "SuspendCampaign" | "Bounce" | "BounceTenant" | "BounceCampaign") | {
SetConfig: ConfigValue
} | {
SetDomainConfig: ConfigValue
})
/**
 * Outbound TLS policy.
 */
export type TlsMode = ("Opportunistic" | "OpportunisticInsecure" | "Required" | "RequiredInsecure" | "Disabled")
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
 * A list of networks in CIDR notation.
 */
export type CidrList = string[]
/**
 * One match rule: {MXSuffix = ".google.com"}, {DomainSuffix = ".example"} or {HostName = "mx.example.com"}.
 */
export type ProviderMatch = ({
/**
 * Matches MX host names ending with this suffix (case-insensitive).
 */
MXSuffix: string
} | {
/**
 * Matches destination domains ending with this suffix, without DNS.
 */
DomainSuffix: string
} | {
/**
 * Matches an MX host with exactly this name.
 */
HostName: string
})

/**
 * A traffic-shaping file (KumoMTA shaping.toml format): ["default"], one block per destination domain (applied to its MX site unless mx_rollup = false), [provider."name"] blocks matched by MX or domain suffix, and automation rules. Files are layered in order; later files win.
 */
export interface ShapingFile {
[k: string]: DomainBlock
}
/**
 * Settings applied to every destination first.
 * 
 * This interface was referenced by `ShapingFile`'s JSON-Schema definition
 * via the `patternProperty` "^default$".
 */
export interface DefaultBlock {
/**
 * Discard what earlier shaping files said for this block and start again from this one. Default false.
 */
replace_base?: boolean
/**
 * Automation rules: when a delivery response on a path this block applies to matches, act (suspend, override settings, bounce) for a while.
 */
automation?: AutomationRule[]
/**
 * Settings for one egress source (by name) to every destination.
 */
sources?: {
[k: string]: SourceBlock
}
/**
 * Most concurrent connections from one egress source to this site (per node unless Redis is configured). An integer, or a string "N" / "local:N" ("1,000" allowed); local: keeps the count in this process even in cluster mode. Default 32.
 */
connection_limit?: (number | string)
/**
 * Extra named connection limits that cut across source × site: every path naming the same limit shares it (e.g. a global cap). Map of limit name to limit; merged entry by entry across layers.
 */
additional_connection_limits?: {
[k: string]: (number | string)
}
/**
 * A rate "[local:]N/[k]period[,max_burst=B]" with period s, m, h or d, e.g. "100/min", "10/5m", "1,000/h". local: keeps it in this process even in cluster mode.
 */
max_connection_rate?: string
/**
 * A rate "[local:]N/[k]period[,max_burst=B]" with period s, m, h or d, e.g. "100/min", "10/5m", "1,000/h". local: keeps it in this process even in cluster mode.
 */
max_message_rate?: string
/**
 * Extra named message-rate throttles shared by every path naming them. Map of name to throttle; merged entry by entry across layers.
 */
additional_message_rate_throttles?: {
/**
 * A rate "[local:]N/[k]period[,max_burst=B]" with period s, m, h or d, e.g. "100/min", "10/5m", "1,000/h". local: keeps it in this process even in cluster mode.
 */
[k: string]: string
}
/**
 * A rate "[local:]N/[k]period[,max_burst=B]" with period s, m, h or d, e.g. "100/min", "10/5m", "1,000/h". local: keeps it in this process even in cluster mode.
 */
source_selection_rate?: string
/**
 * Extra named source-selection throttles shared by every path naming them. Map of name to throttle.
 */
additional_source_selection_rates?: {
/**
 * A rate "[local:]N/[k]period[,max_burst=B]" with period s, m, h or d, e.g. "100/min", "10/5m", "1,000/h". local: keeps it in this process even in cluster mode.
 */
[k: string]: string
}
/**
 * Messages sent over one connection before it is closed and a new one opened. Default 1024.
 */
max_deliveries_per_connection?: number
/**
 * Most messages held in the ready queue of this path; more wait in the scheduled queue. Default 1024.
 */
max_ready?: number
/**
 * Most RCPT TO commands in one transaction; larger recipient lists are sent in several transactions. Default 100. Accepted for KumoMTA compatibility; not acted on yet (the recipients of a message are not split into batches yet).
 */
max_recipients_per_batch?: number
/**
 * Connection failures in a row after which the ready queue is delayed (its messages go back to the scheduled queue for a retry). Default 100.
 */
consecutive_connection_failures_before_delay?: number
/**
 * Most addresses kept for one MX host when planning connections. Default 10. Accepted for KumoMTA compatibility; not acted on yet (every address of a host is tried).
 */
max_mx_addresses_per_host?: number
/**
 * Most addresses kept in the connection plan of a site, in MX preference order. Default 50. Accepted for KumoMTA compatibility; not acted on yet (every MX host is tried).
 */
max_mx_plan_size?: number
/**
 * Destination port for hosts without one of their own (mx_list "host:port" keeps its port; the egress source's remote_port wins over it, as in KumoMTA). Default 25.
 */
smtp_port?: number
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
connect_timeout?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
banner_timeout?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
ehlo_timeout?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
mail_from_timeout?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
rcpt_to_timeout?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
data_timeout?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
data_dot_timeout?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
rset_timeout?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
idle_timeout?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
starttls_timeout?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
tls_handshake_timeout?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
auth_timeout?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
system_shutdown_timeout?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
dispatcher_progress_watchdog_timeout?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
refresh_interval?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
remember_broken_tls?: (string | number)
enable_tls?: TlsMode
/**
 * Apply the destination's MTA-STS policy (RFC 8461): enforce makes TLS Required. Default true. The policy is fetched over HTTPS, cached and persisted ([tls_policy], src/tls-policy/); testing mode delivers and counts failures for TLS-RPT.
 */
enable_mta_sts?: boolean
/**
 * Use DANE TLSA records (RFC 7672; needs a DNSSEC-validating resolver): when present, TLS is required and verified against them. Default false. Needs a validating resolver whose AD bit is trusted: [tls_policy] dane_resolvers, or dns.name_servers in dns.mode "servers"; without one DANE never applies. DANE wins over MTA-STS.
 */
enable_dane?: boolean
/**
 * Prefer OpenSSL over rustls (KumoMTA). Default false. Accepted for KumoMTA compatibility; not acted on yet (TLS is always Node's OpenSSL).
 */
tls_prefer_openssl?: boolean
/**
 * In the Opportunistic modes, when the TLS handshake (or the EHLO after it) fails, connect to the same address again at once without STARTTLS instead of moving on to the next host; the failure is remembered for remember_broken_tls (15 minutes when that is not set). Default false.
 */
opportunistic_tls_reconnect_on_failed_handshake?: boolean
/**
 * Use PIPELINING when the server offers it. Default true. Accepted for KumoMTA compatibility; not acted on yet (not configurable yet: PIPELINING is used when the server offers it).
 */
enable_pipelining?: boolean
/**
 * Send RSET between transactions on a reused connection. Default true. Accepted for KumoMTA compatibility; not acted on yet (not configurable yet).
 */
enable_rset?: boolean
/**
 * Send 8-bit content even when the server does not offer 8BITMIME. Default false. Accepted for KumoMTA compatibility; not acted on yet (not configurable yet).
 */
ignore_8bit_checks?: boolean
/**
 * After a transport error mid-transaction, retry the message on the next MX host at once. Default false. Accepted for KumoMTA compatibility; not acted on yet (not configurable yet).
 */
try_next_host_on_transport_error?: boolean
/**
 * Speak LMTP instead of SMTP to the destination. Default false. Accepted for KumoMTA compatibility; not acted on yet (delivery always speaks SMTP).
 */
use_lmtp?: boolean
/**
 * Open new connections eagerly up to connection_limit instead of one at a time. Default false. Accepted for KumoMTA compatibility; not acted on yet (not configurable yet: connections open as the backlog needs them).
 */
aggressive_connection_opening?: boolean
/**
 * Send AUTH PLAIN over a connection without TLS (the credentials then cross the network in clear text). Default false: the connection fails (TransientFailure naming this key) and the credentials are never sent.
 */
allow_smtp_auth_plain_without_tls?: boolean
/**
 * Send AUTH PLAIN over TLS whose certificate was not verified (enable_tls OpportunisticInsecure or RequiredInsecure). Default false: the connection fails (TransientFailure naming this key) and the credentials are never sent.
 */
allow_smtp_auth_plain_without_valid_certificate?: boolean
/**
 * Deprecated KumoMTA key, accepted and ignored (use automation or the admin API to suspend).
 */
suspended?: boolean
/**
 * What to do after an error while delivering on an open connection: close the session, reconnect to the same host, or go on to the next MX host (default ConnectNextHost). Accepted for KumoMTA compatibility; not acted on yet (not configurable yet: after an error the next host of the route is tried).
 */
reconnect_strategy?: ("TerminateSession" | "ReconnectSameHost" | "ConnectNextHost")
/**
 * When KumoMTA re-reads the egress path config (Ttl or Epoch). Accepted for KumoMTA compatibility; not acted on yet (kumo-ts always follows the config epoch).
 */
refresh_strategy?: ("Ttl" | "Epoch")
/**
 * How many idle connections wake when a message enters the ready queue: all (Aggressive, default) or one (Relaxed). Accepted for KumoMTA compatibility; not acted on yet (KumoMTA dispatcher internals).
 */
dispatcher_wakeup_strategy?: ("Aggressive" | "Relaxed")
/**
 * How eagerly the ready-queue maintainer wakes to open connections (Aggressive, default, or Relaxed). Accepted for KumoMTA compatibility; not acted on yet (KumoMTA dispatcher internals).
 */
maintainer_wakeup_strategy?: ("Aggressive" | "Relaxed")
/**
 * What to release from memory for messages entering the ready queue when memory is low. Default ShrinkDataAndMeta. Accepted for KumoMTA compatibility; not acted on yet (queued messages are kept on disk, not in memory).
 */
low_memory_reduction_policy?: ("ShrinkDataAndMeta" | "ShrinkData" | "NoShrink")
/**
 * What to release from memory for messages entering the ready queue when memory is exhausted. Default ShrinkDataAndMeta. Accepted for KumoMTA compatibility; not acted on yet (queued messages are kept on disk, not in memory).
 */
no_memory_reduction_policy?: ("ShrinkDataAndMeta" | "ShrinkData" | "NoShrink")
/**
 * KumoMTA thread pool that processes the ready queue. Accepted for KumoMTA compatibility; not acted on yet (KumoMTA thread pools).
 */
readyq_pool_name?: string
/**
 * Which address records of the MX hosts are used. Default Ipv4AndIpv6. Accepted for KumoMTA compatibility; not acted on yet (both A and AAAA addresses are tried).
 */
ip_lookup_strategy?: ("Ipv4AndIpv6" | "Ipv4Only" | "Ipv6Only" | "Ipv6ThenIpv4" | "Ipv4ThenIpv6")
/**
 * Name sent in EHLO on this path; wins over the egress source's ehlo_domain (as in KumoMTA). Default: the egress source's ehlo_domain, else the node hostname.
 */
ehlo_domain?: string
/**
 * Provider name used in metrics and logs for this path (set automatically when a provider block matches). Accepted for KumoMTA compatibility; not acted on yet (the provider name comes from the matching [provider] block).
 */
provider_name?: string
/**
 * When set, every connection on this path authenticates with AUTH PLAIN as this user after EHLO (and STARTTLS), e.g. to a smarthost that requires it; only over TLS with a verified certificate unless allow_smtp_auth_plain_without_tls / allow_smtp_auth_plain_without_valid_certificate allow it. A refused login is a TransientFailure.
 */
smtp_auth_plain_username?: string
smtp_auth_plain_password?: KeySource
tls_certificate?: KeySource
tls_private_key?: KeySource
/**
 * OpenSSL cipher list for TLS 1.2 and below (OpenSSL syntax). Accepted for KumoMTA compatibility; not acted on yet (the default cipher list of Node is used).
 */
openssl_cipher_list?: string
/**
 * OpenSSL TLS 1.3 cipher suites, colon separated. Accepted for KumoMTA compatibility; not acted on yet (the default TLS 1.3 suites of Node are used).
 */
openssl_cipher_suites?: string
/**
 * OpenSSL option names joined by "|", e.g. "NO_TLSV1|NO_TLSV1_1". Accepted for KumoMTA compatibility; not acted on yet (the default OpenSSL options are used).
 */
openssl_options?: string
/**
 * rustls cipher suite names (KumoMTA). Accepted for KumoMTA compatibility; not acted on yet (kumo-ts has no rustls).
 */
rustls_cipher_suites?: string[]
prohibited_hosts?: CidrList
skip_hosts?: CidrList
}
/**
 * When a delivery response matches regex and/or bounce_classification (and the trigger fires), apply the actions for duration.
 */
export interface AutomationRule {
/**
 * kumo-ts extension: the bounce classification(s) the response must have, as the epoch's bounce classifier rules give them (e.g. "QuotaIssues" or ["SpamBlock", "PolicyRelated"]). With regex as well, both must match; one of the two is required.
 */
bounce_classification?: (string | [string, ...(string)[]])
/**
 * Regular expression(s) tested against the response line "CODE [ENHANCED ]TEXT"; any match counts.
 */
regex?: (string | [string, ...(string)[]])
/**
 * One action or a list. Suspend (this source → site), SuspendTenant / SuspendCampaign (the tenant or campaign to this domain), Bounce / BounceTenant / BounceCampaign (bounce instead of delivering), {SetConfig = {name, value}}, {SetDomainConfig = {name, value}}.
 */
action: (("Suspend" | "SuspendTenant" | "SuspendCampaign" | "Bounce" | "BounceTenant" | "BounceCampaign") | {
SetConfig: ConfigValue
} | {
SetDomainConfig: ConfigValue
} | [AutomationAction, ...(AutomationAction)[]])
/**
 * "Immediate" (default): act on the first match; {Threshold = "N/period"}: act once N matches were seen within the period on the same path.
 */
trigger?: ("Immediate" | {
/**
 * A rate "[local:]N/[k]period[,max_burst=B]" with period s, m, h or d, e.g. "100/min", "10/5m", "1,000/h". local: keeps it in this process even in cluster mode.
 */
Threshold: string
})
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
duration: (string | number)
/**
 * Also test responses kumo-ts made up itself (connection failures, timeouts). Default false.
 */
match_internal?: boolean
}
/**
 * A setting name and the value it takes while the override lasts.
 */
export interface ConfigValue {
/**
 * An egress-path setting name, e.g. "max_message_rate".
 */
name: ("connection_limit" | "additional_connection_limits" | "max_connection_rate" | "max_message_rate" | "additional_message_rate_throttles" | "source_selection_rate" | "additional_source_selection_rates" | "max_deliveries_per_connection" | "max_ready" | "max_recipients_per_batch" | "consecutive_connection_failures_before_delay" | "max_mx_addresses_per_host" | "max_mx_plan_size" | "smtp_port" | "connect_timeout" | "banner_timeout" | "ehlo_timeout" | "mail_from_timeout" | "rcpt_to_timeout" | "data_timeout" | "data_dot_timeout" | "rset_timeout" | "idle_timeout" | "starttls_timeout" | "tls_handshake_timeout" | "auth_timeout" | "system_shutdown_timeout" | "dispatcher_progress_watchdog_timeout" | "refresh_interval" | "remember_broken_tls" | "enable_tls" | "enable_mta_sts" | "enable_dane" | "tls_prefer_openssl" | "opportunistic_tls_reconnect_on_failed_handshake" | "enable_pipelining" | "enable_rset" | "ignore_8bit_checks" | "try_next_host_on_transport_error" | "use_lmtp" | "aggressive_connection_opening" | "allow_smtp_auth_plain_without_tls" | "allow_smtp_auth_plain_without_valid_certificate" | "suspended" | "reconnect_strategy" | "refresh_strategy" | "dispatcher_wakeup_strategy" | "maintainer_wakeup_strategy" | "low_memory_reduction_policy" | "no_memory_reduction_policy" | "readyq_pool_name" | "ip_lookup_strategy" | "ehlo_domain" | "provider_name" | "openssl_cipher_list" | "openssl_cipher_suites" | "openssl_options" | "rustls_cipher_suites" | "prohibited_hosts" | "skip_hosts")
/**
 * Its value, written as in a block.
 */
value: (string | number | boolean | unknown[] | {

})
}
/**
 * Settings for one egress source.
 */
export interface SourceBlock {
/**
 * Most concurrent connections from one egress source to this site (per node unless Redis is configured). An integer, or a string "N" / "local:N" ("1,000" allowed); local: keeps the count in this process even in cluster mode. Default 32.
 */
connection_limit?: (number | string)
/**
 * Extra named connection limits that cut across source × site: every path naming the same limit shares it (e.g. a global cap). Map of limit name to limit; merged entry by entry across layers.
 */
additional_connection_limits?: {
[k: string]: (number | string)
}
/**
 * A rate "[local:]N/[k]period[,max_burst=B]" with period s, m, h or d, e.g. "100/min", "10/5m", "1,000/h". local: keeps it in this process even in cluster mode.
 */
max_connection_rate?: string
/**
 * A rate "[local:]N/[k]period[,max_burst=B]" with period s, m, h or d, e.g. "100/min", "10/5m", "1,000/h". local: keeps it in this process even in cluster mode.
 */
max_message_rate?: string
/**
 * Extra named message-rate throttles shared by every path naming them. Map of name to throttle; merged entry by entry across layers.
 */
additional_message_rate_throttles?: {
/**
 * A rate "[local:]N/[k]period[,max_burst=B]" with period s, m, h or d, e.g. "100/min", "10/5m", "1,000/h". local: keeps it in this process even in cluster mode.
 */
[k: string]: string
}
/**
 * A rate "[local:]N/[k]period[,max_burst=B]" with period s, m, h or d, e.g. "100/min", "10/5m", "1,000/h". local: keeps it in this process even in cluster mode.
 */
source_selection_rate?: string
/**
 * Extra named source-selection throttles shared by every path naming them. Map of name to throttle.
 */
additional_source_selection_rates?: {
/**
 * A rate "[local:]N/[k]period[,max_burst=B]" with period s, m, h or d, e.g. "100/min", "10/5m", "1,000/h". local: keeps it in this process even in cluster mode.
 */
[k: string]: string
}
/**
 * Messages sent over one connection before it is closed and a new one opened. Default 1024.
 */
max_deliveries_per_connection?: number
/**
 * Most messages held in the ready queue of this path; more wait in the scheduled queue. Default 1024.
 */
max_ready?: number
/**
 * Most RCPT TO commands in one transaction; larger recipient lists are sent in several transactions. Default 100. Accepted for KumoMTA compatibility; not acted on yet (the recipients of a message are not split into batches yet).
 */
max_recipients_per_batch?: number
/**
 * Connection failures in a row after which the ready queue is delayed (its messages go back to the scheduled queue for a retry). Default 100.
 */
consecutive_connection_failures_before_delay?: number
/**
 * Most addresses kept for one MX host when planning connections. Default 10. Accepted for KumoMTA compatibility; not acted on yet (every address of a host is tried).
 */
max_mx_addresses_per_host?: number
/**
 * Most addresses kept in the connection plan of a site, in MX preference order. Default 50. Accepted for KumoMTA compatibility; not acted on yet (every MX host is tried).
 */
max_mx_plan_size?: number
/**
 * Destination port for hosts without one of their own (mx_list "host:port" keeps its port; the egress source's remote_port wins over it, as in KumoMTA). Default 25.
 */
smtp_port?: number
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
connect_timeout?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
banner_timeout?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
ehlo_timeout?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
mail_from_timeout?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
rcpt_to_timeout?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
data_timeout?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
data_dot_timeout?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
rset_timeout?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
idle_timeout?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
starttls_timeout?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
tls_handshake_timeout?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
auth_timeout?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
system_shutdown_timeout?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
dispatcher_progress_watchdog_timeout?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
refresh_interval?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
remember_broken_tls?: (string | number)
enable_tls?: TlsMode
/**
 * Apply the destination's MTA-STS policy (RFC 8461): enforce makes TLS Required. Default true. The policy is fetched over HTTPS, cached and persisted ([tls_policy], src/tls-policy/); testing mode delivers and counts failures for TLS-RPT.
 */
enable_mta_sts?: boolean
/**
 * Use DANE TLSA records (RFC 7672; needs a DNSSEC-validating resolver): when present, TLS is required and verified against them. Default false. Needs a validating resolver whose AD bit is trusted: [tls_policy] dane_resolvers, or dns.name_servers in dns.mode "servers"; without one DANE never applies. DANE wins over MTA-STS.
 */
enable_dane?: boolean
/**
 * Prefer OpenSSL over rustls (KumoMTA). Default false. Accepted for KumoMTA compatibility; not acted on yet (TLS is always Node's OpenSSL).
 */
tls_prefer_openssl?: boolean
/**
 * In the Opportunistic modes, when the TLS handshake (or the EHLO after it) fails, connect to the same address again at once without STARTTLS instead of moving on to the next host; the failure is remembered for remember_broken_tls (15 minutes when that is not set). Default false.
 */
opportunistic_tls_reconnect_on_failed_handshake?: boolean
/**
 * Use PIPELINING when the server offers it. Default true. Accepted for KumoMTA compatibility; not acted on yet (not configurable yet: PIPELINING is used when the server offers it).
 */
enable_pipelining?: boolean
/**
 * Send RSET between transactions on a reused connection. Default true. Accepted for KumoMTA compatibility; not acted on yet (not configurable yet).
 */
enable_rset?: boolean
/**
 * Send 8-bit content even when the server does not offer 8BITMIME. Default false. Accepted for KumoMTA compatibility; not acted on yet (not configurable yet).
 */
ignore_8bit_checks?: boolean
/**
 * After a transport error mid-transaction, retry the message on the next MX host at once. Default false. Accepted for KumoMTA compatibility; not acted on yet (not configurable yet).
 */
try_next_host_on_transport_error?: boolean
/**
 * Speak LMTP instead of SMTP to the destination. Default false. Accepted for KumoMTA compatibility; not acted on yet (delivery always speaks SMTP).
 */
use_lmtp?: boolean
/**
 * Open new connections eagerly up to connection_limit instead of one at a time. Default false. Accepted for KumoMTA compatibility; not acted on yet (not configurable yet: connections open as the backlog needs them).
 */
aggressive_connection_opening?: boolean
/**
 * Send AUTH PLAIN over a connection without TLS (the credentials then cross the network in clear text). Default false: the connection fails (TransientFailure naming this key) and the credentials are never sent.
 */
allow_smtp_auth_plain_without_tls?: boolean
/**
 * Send AUTH PLAIN over TLS whose certificate was not verified (enable_tls OpportunisticInsecure or RequiredInsecure). Default false: the connection fails (TransientFailure naming this key) and the credentials are never sent.
 */
allow_smtp_auth_plain_without_valid_certificate?: boolean
/**
 * Deprecated KumoMTA key, accepted and ignored (use automation or the admin API to suspend).
 */
suspended?: boolean
/**
 * What to do after an error while delivering on an open connection: close the session, reconnect to the same host, or go on to the next MX host (default ConnectNextHost). Accepted for KumoMTA compatibility; not acted on yet (not configurable yet: after an error the next host of the route is tried).
 */
reconnect_strategy?: ("TerminateSession" | "ReconnectSameHost" | "ConnectNextHost")
/**
 * When KumoMTA re-reads the egress path config (Ttl or Epoch). Accepted for KumoMTA compatibility; not acted on yet (kumo-ts always follows the config epoch).
 */
refresh_strategy?: ("Ttl" | "Epoch")
/**
 * How many idle connections wake when a message enters the ready queue: all (Aggressive, default) or one (Relaxed). Accepted for KumoMTA compatibility; not acted on yet (KumoMTA dispatcher internals).
 */
dispatcher_wakeup_strategy?: ("Aggressive" | "Relaxed")
/**
 * How eagerly the ready-queue maintainer wakes to open connections (Aggressive, default, or Relaxed). Accepted for KumoMTA compatibility; not acted on yet (KumoMTA dispatcher internals).
 */
maintainer_wakeup_strategy?: ("Aggressive" | "Relaxed")
/**
 * What to release from memory for messages entering the ready queue when memory is low. Default ShrinkDataAndMeta. Accepted for KumoMTA compatibility; not acted on yet (queued messages are kept on disk, not in memory).
 */
low_memory_reduction_policy?: ("ShrinkDataAndMeta" | "ShrinkData" | "NoShrink")
/**
 * What to release from memory for messages entering the ready queue when memory is exhausted. Default ShrinkDataAndMeta. Accepted for KumoMTA compatibility; not acted on yet (queued messages are kept on disk, not in memory).
 */
no_memory_reduction_policy?: ("ShrinkDataAndMeta" | "ShrinkData" | "NoShrink")
/**
 * KumoMTA thread pool that processes the ready queue. Accepted for KumoMTA compatibility; not acted on yet (KumoMTA thread pools).
 */
readyq_pool_name?: string
/**
 * Which address records of the MX hosts are used. Default Ipv4AndIpv6. Accepted for KumoMTA compatibility; not acted on yet (both A and AAAA addresses are tried).
 */
ip_lookup_strategy?: ("Ipv4AndIpv6" | "Ipv4Only" | "Ipv6Only" | "Ipv6ThenIpv4" | "Ipv4ThenIpv6")
/**
 * Name sent in EHLO on this path; wins over the egress source's ehlo_domain (as in KumoMTA). Default: the egress source's ehlo_domain, else the node hostname.
 */
ehlo_domain?: string
/**
 * Provider name used in metrics and logs for this path (set automatically when a provider block matches). Accepted for KumoMTA compatibility; not acted on yet (the provider name comes from the matching [provider] block).
 */
provider_name?: string
/**
 * When set, every connection on this path authenticates with AUTH PLAIN as this user after EHLO (and STARTTLS), e.g. to a smarthost that requires it; only over TLS with a verified certificate unless allow_smtp_auth_plain_without_tls / allow_smtp_auth_plain_without_valid_certificate allow it. A refused login is a TransientFailure.
 */
smtp_auth_plain_username?: string
smtp_auth_plain_password?: KeySource
tls_certificate?: KeySource
tls_private_key?: KeySource
/**
 * OpenSSL cipher list for TLS 1.2 and below (OpenSSL syntax). Accepted for KumoMTA compatibility; not acted on yet (the default cipher list of Node is used).
 */
openssl_cipher_list?: string
/**
 * OpenSSL TLS 1.3 cipher suites, colon separated. Accepted for KumoMTA compatibility; not acted on yet (the default TLS 1.3 suites of Node are used).
 */
openssl_cipher_suites?: string
/**
 * OpenSSL option names joined by "|", e.g. "NO_TLSV1|NO_TLSV1_1". Accepted for KumoMTA compatibility; not acted on yet (the default OpenSSL options are used).
 */
openssl_options?: string
/**
 * rustls cipher suite names (KumoMTA). Accepted for KumoMTA compatibility; not acted on yet (kumo-ts has no rustls).
 */
rustls_cipher_suites?: string[]
prohibited_hosts?: CidrList
skip_hosts?: CidrList
}
/**
 * A mailbox provider: the domains it hosts, settings for them, and limits shared by all its sites.
 */
export interface ProviderBlock {
/**
 * Which domains belong to the provider: a domain matches when a DomainSuffix rule matches it, or when every one of its MX hosts matches some MXSuffix or HostName rule.
 */
match?: ProviderMatch[]
/**
 * Connections from one egress source to all sites of this provider together ("local:N" keeps it in process).
 */
provider_connection_limit?: (number | string)
/**
 * A rate "[local:]N/[k]period[,max_burst=B]" with period s, m, h or d, e.g. "100/min", "10/5m", "1,000/h". local: keeps it in this process even in cluster mode.
 */
provider_max_message_rate?: string
/**
 * A rate "[local:]N/[k]period[,max_burst=B]" with period s, m, h or d, e.g. "100/min", "10/5m", "1,000/h". local: keeps it in this process even in cluster mode.
 */
provider_source_selection_rate?: string
/**
 * Discard what earlier shaping files said for this block and start again from this one. Default false.
 */
replace_base?: boolean
/**
 * Automation rules: when a delivery response on a path this block applies to matches, act (suspend, override settings, bounce) for a while.
 */
automation?: AutomationRule[]
/**
 * Settings for one egress source to this provider.
 */
sources?: {
[k: string]: ProviderSourceBlock
}
/**
 * Most concurrent connections from one egress source to this site (per node unless Redis is configured). An integer, or a string "N" / "local:N" ("1,000" allowed); local: keeps the count in this process even in cluster mode. Default 32.
 */
connection_limit?: (number | string)
/**
 * Extra named connection limits that cut across source × site: every path naming the same limit shares it (e.g. a global cap). Map of limit name to limit; merged entry by entry across layers.
 */
additional_connection_limits?: {
[k: string]: (number | string)
}
/**
 * A rate "[local:]N/[k]period[,max_burst=B]" with period s, m, h or d, e.g. "100/min", "10/5m", "1,000/h". local: keeps it in this process even in cluster mode.
 */
max_connection_rate?: string
/**
 * A rate "[local:]N/[k]period[,max_burst=B]" with period s, m, h or d, e.g. "100/min", "10/5m", "1,000/h". local: keeps it in this process even in cluster mode.
 */
max_message_rate?: string
/**
 * Extra named message-rate throttles shared by every path naming them. Map of name to throttle; merged entry by entry across layers.
 */
additional_message_rate_throttles?: {
/**
 * A rate "[local:]N/[k]period[,max_burst=B]" with period s, m, h or d, e.g. "100/min", "10/5m", "1,000/h". local: keeps it in this process even in cluster mode.
 */
[k: string]: string
}
/**
 * A rate "[local:]N/[k]period[,max_burst=B]" with period s, m, h or d, e.g. "100/min", "10/5m", "1,000/h". local: keeps it in this process even in cluster mode.
 */
source_selection_rate?: string
/**
 * Extra named source-selection throttles shared by every path naming them. Map of name to throttle.
 */
additional_source_selection_rates?: {
/**
 * A rate "[local:]N/[k]period[,max_burst=B]" with period s, m, h or d, e.g. "100/min", "10/5m", "1,000/h". local: keeps it in this process even in cluster mode.
 */
[k: string]: string
}
/**
 * Messages sent over one connection before it is closed and a new one opened. Default 1024.
 */
max_deliveries_per_connection?: number
/**
 * Most messages held in the ready queue of this path; more wait in the scheduled queue. Default 1024.
 */
max_ready?: number
/**
 * Most RCPT TO commands in one transaction; larger recipient lists are sent in several transactions. Default 100. Accepted for KumoMTA compatibility; not acted on yet (the recipients of a message are not split into batches yet).
 */
max_recipients_per_batch?: number
/**
 * Connection failures in a row after which the ready queue is delayed (its messages go back to the scheduled queue for a retry). Default 100.
 */
consecutive_connection_failures_before_delay?: number
/**
 * Most addresses kept for one MX host when planning connections. Default 10. Accepted for KumoMTA compatibility; not acted on yet (every address of a host is tried).
 */
max_mx_addresses_per_host?: number
/**
 * Most addresses kept in the connection plan of a site, in MX preference order. Default 50. Accepted for KumoMTA compatibility; not acted on yet (every MX host is tried).
 */
max_mx_plan_size?: number
/**
 * Destination port for hosts without one of their own (mx_list "host:port" keeps its port; the egress source's remote_port wins over it, as in KumoMTA). Default 25.
 */
smtp_port?: number
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
connect_timeout?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
banner_timeout?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
ehlo_timeout?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
mail_from_timeout?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
rcpt_to_timeout?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
data_timeout?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
data_dot_timeout?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
rset_timeout?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
idle_timeout?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
starttls_timeout?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
tls_handshake_timeout?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
auth_timeout?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
system_shutdown_timeout?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
dispatcher_progress_watchdog_timeout?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
refresh_interval?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
remember_broken_tls?: (string | number)
enable_tls?: TlsMode
/**
 * Apply the destination's MTA-STS policy (RFC 8461): enforce makes TLS Required. Default true. The policy is fetched over HTTPS, cached and persisted ([tls_policy], src/tls-policy/); testing mode delivers and counts failures for TLS-RPT.
 */
enable_mta_sts?: boolean
/**
 * Use DANE TLSA records (RFC 7672; needs a DNSSEC-validating resolver): when present, TLS is required and verified against them. Default false. Needs a validating resolver whose AD bit is trusted: [tls_policy] dane_resolvers, or dns.name_servers in dns.mode "servers"; without one DANE never applies. DANE wins over MTA-STS.
 */
enable_dane?: boolean
/**
 * Prefer OpenSSL over rustls (KumoMTA). Default false. Accepted for KumoMTA compatibility; not acted on yet (TLS is always Node's OpenSSL).
 */
tls_prefer_openssl?: boolean
/**
 * In the Opportunistic modes, when the TLS handshake (or the EHLO after it) fails, connect to the same address again at once without STARTTLS instead of moving on to the next host; the failure is remembered for remember_broken_tls (15 minutes when that is not set). Default false.
 */
opportunistic_tls_reconnect_on_failed_handshake?: boolean
/**
 * Use PIPELINING when the server offers it. Default true. Accepted for KumoMTA compatibility; not acted on yet (not configurable yet: PIPELINING is used when the server offers it).
 */
enable_pipelining?: boolean
/**
 * Send RSET between transactions on a reused connection. Default true. Accepted for KumoMTA compatibility; not acted on yet (not configurable yet).
 */
enable_rset?: boolean
/**
 * Send 8-bit content even when the server does not offer 8BITMIME. Default false. Accepted for KumoMTA compatibility; not acted on yet (not configurable yet).
 */
ignore_8bit_checks?: boolean
/**
 * After a transport error mid-transaction, retry the message on the next MX host at once. Default false. Accepted for KumoMTA compatibility; not acted on yet (not configurable yet).
 */
try_next_host_on_transport_error?: boolean
/**
 * Speak LMTP instead of SMTP to the destination. Default false. Accepted for KumoMTA compatibility; not acted on yet (delivery always speaks SMTP).
 */
use_lmtp?: boolean
/**
 * Open new connections eagerly up to connection_limit instead of one at a time. Default false. Accepted for KumoMTA compatibility; not acted on yet (not configurable yet: connections open as the backlog needs them).
 */
aggressive_connection_opening?: boolean
/**
 * Send AUTH PLAIN over a connection without TLS (the credentials then cross the network in clear text). Default false: the connection fails (TransientFailure naming this key) and the credentials are never sent.
 */
allow_smtp_auth_plain_without_tls?: boolean
/**
 * Send AUTH PLAIN over TLS whose certificate was not verified (enable_tls OpportunisticInsecure or RequiredInsecure). Default false: the connection fails (TransientFailure naming this key) and the credentials are never sent.
 */
allow_smtp_auth_plain_without_valid_certificate?: boolean
/**
 * Deprecated KumoMTA key, accepted and ignored (use automation or the admin API to suspend).
 */
suspended?: boolean
/**
 * What to do after an error while delivering on an open connection: close the session, reconnect to the same host, or go on to the next MX host (default ConnectNextHost). Accepted for KumoMTA compatibility; not acted on yet (not configurable yet: after an error the next host of the route is tried).
 */
reconnect_strategy?: ("TerminateSession" | "ReconnectSameHost" | "ConnectNextHost")
/**
 * When KumoMTA re-reads the egress path config (Ttl or Epoch). Accepted for KumoMTA compatibility; not acted on yet (kumo-ts always follows the config epoch).
 */
refresh_strategy?: ("Ttl" | "Epoch")
/**
 * How many idle connections wake when a message enters the ready queue: all (Aggressive, default) or one (Relaxed). Accepted for KumoMTA compatibility; not acted on yet (KumoMTA dispatcher internals).
 */
dispatcher_wakeup_strategy?: ("Aggressive" | "Relaxed")
/**
 * How eagerly the ready-queue maintainer wakes to open connections (Aggressive, default, or Relaxed). Accepted for KumoMTA compatibility; not acted on yet (KumoMTA dispatcher internals).
 */
maintainer_wakeup_strategy?: ("Aggressive" | "Relaxed")
/**
 * What to release from memory for messages entering the ready queue when memory is low. Default ShrinkDataAndMeta. Accepted for KumoMTA compatibility; not acted on yet (queued messages are kept on disk, not in memory).
 */
low_memory_reduction_policy?: ("ShrinkDataAndMeta" | "ShrinkData" | "NoShrink")
/**
 * What to release from memory for messages entering the ready queue when memory is exhausted. Default ShrinkDataAndMeta. Accepted for KumoMTA compatibility; not acted on yet (queued messages are kept on disk, not in memory).
 */
no_memory_reduction_policy?: ("ShrinkDataAndMeta" | "ShrinkData" | "NoShrink")
/**
 * KumoMTA thread pool that processes the ready queue. Accepted for KumoMTA compatibility; not acted on yet (KumoMTA thread pools).
 */
readyq_pool_name?: string
/**
 * Which address records of the MX hosts are used. Default Ipv4AndIpv6. Accepted for KumoMTA compatibility; not acted on yet (both A and AAAA addresses are tried).
 */
ip_lookup_strategy?: ("Ipv4AndIpv6" | "Ipv4Only" | "Ipv6Only" | "Ipv6ThenIpv4" | "Ipv4ThenIpv6")
/**
 * Name sent in EHLO on this path; wins over the egress source's ehlo_domain (as in KumoMTA). Default: the egress source's ehlo_domain, else the node hostname.
 */
ehlo_domain?: string
/**
 * Provider name used in metrics and logs for this path (set automatically when a provider block matches). Accepted for KumoMTA compatibility; not acted on yet (the provider name comes from the matching [provider] block).
 */
provider_name?: string
/**
 * When set, every connection on this path authenticates with AUTH PLAIN as this user after EHLO (and STARTTLS), e.g. to a smarthost that requires it; only over TLS with a verified certificate unless allow_smtp_auth_plain_without_tls / allow_smtp_auth_plain_without_valid_certificate allow it. A refused login is a TransientFailure.
 */
smtp_auth_plain_username?: string
smtp_auth_plain_password?: KeySource
tls_certificate?: KeySource
tls_private_key?: KeySource
/**
 * OpenSSL cipher list for TLS 1.2 and below (OpenSSL syntax). Accepted for KumoMTA compatibility; not acted on yet (the default cipher list of Node is used).
 */
openssl_cipher_list?: string
/**
 * OpenSSL TLS 1.3 cipher suites, colon separated. Accepted for KumoMTA compatibility; not acted on yet (the default TLS 1.3 suites of Node are used).
 */
openssl_cipher_suites?: string
/**
 * OpenSSL option names joined by "|", e.g. "NO_TLSV1|NO_TLSV1_1". Accepted for KumoMTA compatibility; not acted on yet (the default OpenSSL options are used).
 */
openssl_options?: string
/**
 * rustls cipher suite names (KumoMTA). Accepted for KumoMTA compatibility; not acted on yet (kumo-ts has no rustls).
 */
rustls_cipher_suites?: string[]
prohibited_hosts?: CidrList
skip_hosts?: CidrList
}
/**
 * Settings for one egress source to a provider.
 */
export interface ProviderSourceBlock {
/**
 * A rate "[local:]N/[k]period[,max_burst=B]" with period s, m, h or d, e.g. "100/min", "10/5m", "1,000/h". local: keeps it in this process even in cluster mode.
 */
provider_source_selection_rate?: string
/**
 * Most concurrent connections from one egress source to this site (per node unless Redis is configured). An integer, or a string "N" / "local:N" ("1,000" allowed); local: keeps the count in this process even in cluster mode. Default 32.
 */
connection_limit?: (number | string)
/**
 * Extra named connection limits that cut across source × site: every path naming the same limit shares it (e.g. a global cap). Map of limit name to limit; merged entry by entry across layers.
 */
additional_connection_limits?: {
[k: string]: (number | string)
}
/**
 * A rate "[local:]N/[k]period[,max_burst=B]" with period s, m, h or d, e.g. "100/min", "10/5m", "1,000/h". local: keeps it in this process even in cluster mode.
 */
max_connection_rate?: string
/**
 * A rate "[local:]N/[k]period[,max_burst=B]" with period s, m, h or d, e.g. "100/min", "10/5m", "1,000/h". local: keeps it in this process even in cluster mode.
 */
max_message_rate?: string
/**
 * Extra named message-rate throttles shared by every path naming them. Map of name to throttle; merged entry by entry across layers.
 */
additional_message_rate_throttles?: {
/**
 * A rate "[local:]N/[k]period[,max_burst=B]" with period s, m, h or d, e.g. "100/min", "10/5m", "1,000/h". local: keeps it in this process even in cluster mode.
 */
[k: string]: string
}
/**
 * A rate "[local:]N/[k]period[,max_burst=B]" with period s, m, h or d, e.g. "100/min", "10/5m", "1,000/h". local: keeps it in this process even in cluster mode.
 */
source_selection_rate?: string
/**
 * Extra named source-selection throttles shared by every path naming them. Map of name to throttle.
 */
additional_source_selection_rates?: {
/**
 * A rate "[local:]N/[k]period[,max_burst=B]" with period s, m, h or d, e.g. "100/min", "10/5m", "1,000/h". local: keeps it in this process even in cluster mode.
 */
[k: string]: string
}
/**
 * Messages sent over one connection before it is closed and a new one opened. Default 1024.
 */
max_deliveries_per_connection?: number
/**
 * Most messages held in the ready queue of this path; more wait in the scheduled queue. Default 1024.
 */
max_ready?: number
/**
 * Most RCPT TO commands in one transaction; larger recipient lists are sent in several transactions. Default 100. Accepted for KumoMTA compatibility; not acted on yet (the recipients of a message are not split into batches yet).
 */
max_recipients_per_batch?: number
/**
 * Connection failures in a row after which the ready queue is delayed (its messages go back to the scheduled queue for a retry). Default 100.
 */
consecutive_connection_failures_before_delay?: number
/**
 * Most addresses kept for one MX host when planning connections. Default 10. Accepted for KumoMTA compatibility; not acted on yet (every address of a host is tried).
 */
max_mx_addresses_per_host?: number
/**
 * Most addresses kept in the connection plan of a site, in MX preference order. Default 50. Accepted for KumoMTA compatibility; not acted on yet (every MX host is tried).
 */
max_mx_plan_size?: number
/**
 * Destination port for hosts without one of their own (mx_list "host:port" keeps its port; the egress source's remote_port wins over it, as in KumoMTA). Default 25.
 */
smtp_port?: number
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
connect_timeout?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
banner_timeout?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
ehlo_timeout?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
mail_from_timeout?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
rcpt_to_timeout?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
data_timeout?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
data_dot_timeout?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
rset_timeout?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
idle_timeout?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
starttls_timeout?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
tls_handshake_timeout?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
auth_timeout?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
system_shutdown_timeout?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
dispatcher_progress_watchdog_timeout?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
refresh_interval?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
remember_broken_tls?: (string | number)
enable_tls?: TlsMode
/**
 * Apply the destination's MTA-STS policy (RFC 8461): enforce makes TLS Required. Default true. The policy is fetched over HTTPS, cached and persisted ([tls_policy], src/tls-policy/); testing mode delivers and counts failures for TLS-RPT.
 */
enable_mta_sts?: boolean
/**
 * Use DANE TLSA records (RFC 7672; needs a DNSSEC-validating resolver): when present, TLS is required and verified against them. Default false. Needs a validating resolver whose AD bit is trusted: [tls_policy] dane_resolvers, or dns.name_servers in dns.mode "servers"; without one DANE never applies. DANE wins over MTA-STS.
 */
enable_dane?: boolean
/**
 * Prefer OpenSSL over rustls (KumoMTA). Default false. Accepted for KumoMTA compatibility; not acted on yet (TLS is always Node's OpenSSL).
 */
tls_prefer_openssl?: boolean
/**
 * In the Opportunistic modes, when the TLS handshake (or the EHLO after it) fails, connect to the same address again at once without STARTTLS instead of moving on to the next host; the failure is remembered for remember_broken_tls (15 minutes when that is not set). Default false.
 */
opportunistic_tls_reconnect_on_failed_handshake?: boolean
/**
 * Use PIPELINING when the server offers it. Default true. Accepted for KumoMTA compatibility; not acted on yet (not configurable yet: PIPELINING is used when the server offers it).
 */
enable_pipelining?: boolean
/**
 * Send RSET between transactions on a reused connection. Default true. Accepted for KumoMTA compatibility; not acted on yet (not configurable yet).
 */
enable_rset?: boolean
/**
 * Send 8-bit content even when the server does not offer 8BITMIME. Default false. Accepted for KumoMTA compatibility; not acted on yet (not configurable yet).
 */
ignore_8bit_checks?: boolean
/**
 * After a transport error mid-transaction, retry the message on the next MX host at once. Default false. Accepted for KumoMTA compatibility; not acted on yet (not configurable yet).
 */
try_next_host_on_transport_error?: boolean
/**
 * Speak LMTP instead of SMTP to the destination. Default false. Accepted for KumoMTA compatibility; not acted on yet (delivery always speaks SMTP).
 */
use_lmtp?: boolean
/**
 * Open new connections eagerly up to connection_limit instead of one at a time. Default false. Accepted for KumoMTA compatibility; not acted on yet (not configurable yet: connections open as the backlog needs them).
 */
aggressive_connection_opening?: boolean
/**
 * Send AUTH PLAIN over a connection without TLS (the credentials then cross the network in clear text). Default false: the connection fails (TransientFailure naming this key) and the credentials are never sent.
 */
allow_smtp_auth_plain_without_tls?: boolean
/**
 * Send AUTH PLAIN over TLS whose certificate was not verified (enable_tls OpportunisticInsecure or RequiredInsecure). Default false: the connection fails (TransientFailure naming this key) and the credentials are never sent.
 */
allow_smtp_auth_plain_without_valid_certificate?: boolean
/**
 * Deprecated KumoMTA key, accepted and ignored (use automation or the admin API to suspend).
 */
suspended?: boolean
/**
 * What to do after an error while delivering on an open connection: close the session, reconnect to the same host, or go on to the next MX host (default ConnectNextHost). Accepted for KumoMTA compatibility; not acted on yet (not configurable yet: after an error the next host of the route is tried).
 */
reconnect_strategy?: ("TerminateSession" | "ReconnectSameHost" | "ConnectNextHost")
/**
 * When KumoMTA re-reads the egress path config (Ttl or Epoch). Accepted for KumoMTA compatibility; not acted on yet (kumo-ts always follows the config epoch).
 */
refresh_strategy?: ("Ttl" | "Epoch")
/**
 * How many idle connections wake when a message enters the ready queue: all (Aggressive, default) or one (Relaxed). Accepted for KumoMTA compatibility; not acted on yet (KumoMTA dispatcher internals).
 */
dispatcher_wakeup_strategy?: ("Aggressive" | "Relaxed")
/**
 * How eagerly the ready-queue maintainer wakes to open connections (Aggressive, default, or Relaxed). Accepted for KumoMTA compatibility; not acted on yet (KumoMTA dispatcher internals).
 */
maintainer_wakeup_strategy?: ("Aggressive" | "Relaxed")
/**
 * What to release from memory for messages entering the ready queue when memory is low. Default ShrinkDataAndMeta. Accepted for KumoMTA compatibility; not acted on yet (queued messages are kept on disk, not in memory).
 */
low_memory_reduction_policy?: ("ShrinkDataAndMeta" | "ShrinkData" | "NoShrink")
/**
 * What to release from memory for messages entering the ready queue when memory is exhausted. Default ShrinkDataAndMeta. Accepted for KumoMTA compatibility; not acted on yet (queued messages are kept on disk, not in memory).
 */
no_memory_reduction_policy?: ("ShrinkDataAndMeta" | "ShrinkData" | "NoShrink")
/**
 * KumoMTA thread pool that processes the ready queue. Accepted for KumoMTA compatibility; not acted on yet (KumoMTA thread pools).
 */
readyq_pool_name?: string
/**
 * Which address records of the MX hosts are used. Default Ipv4AndIpv6. Accepted for KumoMTA compatibility; not acted on yet (both A and AAAA addresses are tried).
 */
ip_lookup_strategy?: ("Ipv4AndIpv6" | "Ipv4Only" | "Ipv6Only" | "Ipv6ThenIpv4" | "Ipv4ThenIpv6")
/**
 * Name sent in EHLO on this path; wins over the egress source's ehlo_domain (as in KumoMTA). Default: the egress source's ehlo_domain, else the node hostname.
 */
ehlo_domain?: string
/**
 * Provider name used in metrics and logs for this path (set automatically when a provider block matches). Accepted for KumoMTA compatibility; not acted on yet (the provider name comes from the matching [provider] block).
 */
provider_name?: string
/**
 * When set, every connection on this path authenticates with AUTH PLAIN as this user after EHLO (and STARTTLS), e.g. to a smarthost that requires it; only over TLS with a verified certificate unless allow_smtp_auth_plain_without_tls / allow_smtp_auth_plain_without_valid_certificate allow it. A refused login is a TransientFailure.
 */
smtp_auth_plain_username?: string
smtp_auth_plain_password?: KeySource
tls_certificate?: KeySource
tls_private_key?: KeySource
/**
 * OpenSSL cipher list for TLS 1.2 and below (OpenSSL syntax). Accepted for KumoMTA compatibility; not acted on yet (the default cipher list of Node is used).
 */
openssl_cipher_list?: string
/**
 * OpenSSL TLS 1.3 cipher suites, colon separated. Accepted for KumoMTA compatibility; not acted on yet (the default TLS 1.3 suites of Node are used).
 */
openssl_cipher_suites?: string
/**
 * OpenSSL option names joined by "|", e.g. "NO_TLSV1|NO_TLSV1_1". Accepted for KumoMTA compatibility; not acted on yet (the default OpenSSL options are used).
 */
openssl_options?: string
/**
 * rustls cipher suite names (KumoMTA). Accepted for KumoMTA compatibility; not acted on yet (kumo-ts has no rustls).
 */
rustls_cipher_suites?: string[]
prohibited_hosts?: CidrList
skip_hosts?: CidrList
}
/**
 * Settings for one destination domain. With mx_rollup (default) they apply to the domain's MX site, i.e. to every domain hosted by the same MX hosts.
 */
export interface DomainBlock {
/**
 * true (default): resolve the domain's MX at load time and apply the block to that site (all domains sharing those MX hosts). false: apply to this exact domain only, after the site block.
 */
mx_rollup?: boolean
/**
 * Discard what earlier shaping files said for this block and start again from this one. Default false.
 */
replace_base?: boolean
/**
 * Automation rules: when a delivery response on a path this block applies to matches, act (suspend, override settings, bounce) for a while.
 */
automation?: AutomationRule[]
/**
 * Settings for one egress source (by name) to this site or domain; they win over the block's own settings.
 */
sources?: {
[k: string]: SourceBlock
}
/**
 * Most concurrent connections from one egress source to this site (per node unless Redis is configured). An integer, or a string "N" / "local:N" ("1,000" allowed); local: keeps the count in this process even in cluster mode. Default 32.
 */
connection_limit?: (number | string)
/**
 * Extra named connection limits that cut across source × site: every path naming the same limit shares it (e.g. a global cap). Map of limit name to limit; merged entry by entry across layers.
 */
additional_connection_limits?: {
[k: string]: (number | string)
}
/**
 * A rate "[local:]N/[k]period[,max_burst=B]" with period s, m, h or d, e.g. "100/min", "10/5m", "1,000/h". local: keeps it in this process even in cluster mode.
 */
max_connection_rate?: string
/**
 * A rate "[local:]N/[k]period[,max_burst=B]" with period s, m, h or d, e.g. "100/min", "10/5m", "1,000/h". local: keeps it in this process even in cluster mode.
 */
max_message_rate?: string
/**
 * Extra named message-rate throttles shared by every path naming them. Map of name to throttle; merged entry by entry across layers.
 */
additional_message_rate_throttles?: {
/**
 * A rate "[local:]N/[k]period[,max_burst=B]" with period s, m, h or d, e.g. "100/min", "10/5m", "1,000/h". local: keeps it in this process even in cluster mode.
 */
[k: string]: string
}
/**
 * A rate "[local:]N/[k]period[,max_burst=B]" with period s, m, h or d, e.g. "100/min", "10/5m", "1,000/h". local: keeps it in this process even in cluster mode.
 */
source_selection_rate?: string
/**
 * Extra named source-selection throttles shared by every path naming them. Map of name to throttle.
 */
additional_source_selection_rates?: {
/**
 * A rate "[local:]N/[k]period[,max_burst=B]" with period s, m, h or d, e.g. "100/min", "10/5m", "1,000/h". local: keeps it in this process even in cluster mode.
 */
[k: string]: string
}
/**
 * Messages sent over one connection before it is closed and a new one opened. Default 1024.
 */
max_deliveries_per_connection?: number
/**
 * Most messages held in the ready queue of this path; more wait in the scheduled queue. Default 1024.
 */
max_ready?: number
/**
 * Most RCPT TO commands in one transaction; larger recipient lists are sent in several transactions. Default 100. Accepted for KumoMTA compatibility; not acted on yet (the recipients of a message are not split into batches yet).
 */
max_recipients_per_batch?: number
/**
 * Connection failures in a row after which the ready queue is delayed (its messages go back to the scheduled queue for a retry). Default 100.
 */
consecutive_connection_failures_before_delay?: number
/**
 * Most addresses kept for one MX host when planning connections. Default 10. Accepted for KumoMTA compatibility; not acted on yet (every address of a host is tried).
 */
max_mx_addresses_per_host?: number
/**
 * Most addresses kept in the connection plan of a site, in MX preference order. Default 50. Accepted for KumoMTA compatibility; not acted on yet (every MX host is tried).
 */
max_mx_plan_size?: number
/**
 * Destination port for hosts without one of their own (mx_list "host:port" keeps its port; the egress source's remote_port wins over it, as in KumoMTA). Default 25.
 */
smtp_port?: number
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
connect_timeout?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
banner_timeout?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
ehlo_timeout?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
mail_from_timeout?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
rcpt_to_timeout?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
data_timeout?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
data_dot_timeout?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
rset_timeout?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
idle_timeout?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
starttls_timeout?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
tls_handshake_timeout?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
auth_timeout?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
system_shutdown_timeout?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
dispatcher_progress_watchdog_timeout?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
refresh_interval?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
remember_broken_tls?: (string | number)
enable_tls?: TlsMode
/**
 * Apply the destination's MTA-STS policy (RFC 8461): enforce makes TLS Required. Default true. The policy is fetched over HTTPS, cached and persisted ([tls_policy], src/tls-policy/); testing mode delivers and counts failures for TLS-RPT.
 */
enable_mta_sts?: boolean
/**
 * Use DANE TLSA records (RFC 7672; needs a DNSSEC-validating resolver): when present, TLS is required and verified against them. Default false. Needs a validating resolver whose AD bit is trusted: [tls_policy] dane_resolvers, or dns.name_servers in dns.mode "servers"; without one DANE never applies. DANE wins over MTA-STS.
 */
enable_dane?: boolean
/**
 * Prefer OpenSSL over rustls (KumoMTA). Default false. Accepted for KumoMTA compatibility; not acted on yet (TLS is always Node's OpenSSL).
 */
tls_prefer_openssl?: boolean
/**
 * In the Opportunistic modes, when the TLS handshake (or the EHLO after it) fails, connect to the same address again at once without STARTTLS instead of moving on to the next host; the failure is remembered for remember_broken_tls (15 minutes when that is not set). Default false.
 */
opportunistic_tls_reconnect_on_failed_handshake?: boolean
/**
 * Use PIPELINING when the server offers it. Default true. Accepted for KumoMTA compatibility; not acted on yet (not configurable yet: PIPELINING is used when the server offers it).
 */
enable_pipelining?: boolean
/**
 * Send RSET between transactions on a reused connection. Default true. Accepted for KumoMTA compatibility; not acted on yet (not configurable yet).
 */
enable_rset?: boolean
/**
 * Send 8-bit content even when the server does not offer 8BITMIME. Default false. Accepted for KumoMTA compatibility; not acted on yet (not configurable yet).
 */
ignore_8bit_checks?: boolean
/**
 * After a transport error mid-transaction, retry the message on the next MX host at once. Default false. Accepted for KumoMTA compatibility; not acted on yet (not configurable yet).
 */
try_next_host_on_transport_error?: boolean
/**
 * Speak LMTP instead of SMTP to the destination. Default false. Accepted for KumoMTA compatibility; not acted on yet (delivery always speaks SMTP).
 */
use_lmtp?: boolean
/**
 * Open new connections eagerly up to connection_limit instead of one at a time. Default false. Accepted for KumoMTA compatibility; not acted on yet (not configurable yet: connections open as the backlog needs them).
 */
aggressive_connection_opening?: boolean
/**
 * Send AUTH PLAIN over a connection without TLS (the credentials then cross the network in clear text). Default false: the connection fails (TransientFailure naming this key) and the credentials are never sent.
 */
allow_smtp_auth_plain_without_tls?: boolean
/**
 * Send AUTH PLAIN over TLS whose certificate was not verified (enable_tls OpportunisticInsecure or RequiredInsecure). Default false: the connection fails (TransientFailure naming this key) and the credentials are never sent.
 */
allow_smtp_auth_plain_without_valid_certificate?: boolean
/**
 * Deprecated KumoMTA key, accepted and ignored (use automation or the admin API to suspend).
 */
suspended?: boolean
/**
 * What to do after an error while delivering on an open connection: close the session, reconnect to the same host, or go on to the next MX host (default ConnectNextHost). Accepted for KumoMTA compatibility; not acted on yet (not configurable yet: after an error the next host of the route is tried).
 */
reconnect_strategy?: ("TerminateSession" | "ReconnectSameHost" | "ConnectNextHost")
/**
 * When KumoMTA re-reads the egress path config (Ttl or Epoch). Accepted for KumoMTA compatibility; not acted on yet (kumo-ts always follows the config epoch).
 */
refresh_strategy?: ("Ttl" | "Epoch")
/**
 * How many idle connections wake when a message enters the ready queue: all (Aggressive, default) or one (Relaxed). Accepted for KumoMTA compatibility; not acted on yet (KumoMTA dispatcher internals).
 */
dispatcher_wakeup_strategy?: ("Aggressive" | "Relaxed")
/**
 * How eagerly the ready-queue maintainer wakes to open connections (Aggressive, default, or Relaxed). Accepted for KumoMTA compatibility; not acted on yet (KumoMTA dispatcher internals).
 */
maintainer_wakeup_strategy?: ("Aggressive" | "Relaxed")
/**
 * What to release from memory for messages entering the ready queue when memory is low. Default ShrinkDataAndMeta. Accepted for KumoMTA compatibility; not acted on yet (queued messages are kept on disk, not in memory).
 */
low_memory_reduction_policy?: ("ShrinkDataAndMeta" | "ShrinkData" | "NoShrink")
/**
 * What to release from memory for messages entering the ready queue when memory is exhausted. Default ShrinkDataAndMeta. Accepted for KumoMTA compatibility; not acted on yet (queued messages are kept on disk, not in memory).
 */
no_memory_reduction_policy?: ("ShrinkDataAndMeta" | "ShrinkData" | "NoShrink")
/**
 * KumoMTA thread pool that processes the ready queue. Accepted for KumoMTA compatibility; not acted on yet (KumoMTA thread pools).
 */
readyq_pool_name?: string
/**
 * Which address records of the MX hosts are used. Default Ipv4AndIpv6. Accepted for KumoMTA compatibility; not acted on yet (both A and AAAA addresses are tried).
 */
ip_lookup_strategy?: ("Ipv4AndIpv6" | "Ipv4Only" | "Ipv6Only" | "Ipv6ThenIpv4" | "Ipv4ThenIpv6")
/**
 * Name sent in EHLO on this path; wins over the egress source's ehlo_domain (as in KumoMTA). Default: the egress source's ehlo_domain, else the node hostname.
 */
ehlo_domain?: string
/**
 * Provider name used in metrics and logs for this path (set automatically when a provider block matches). Accepted for KumoMTA compatibility; not acted on yet (the provider name comes from the matching [provider] block).
 */
provider_name?: string
/**
 * When set, every connection on this path authenticates with AUTH PLAIN as this user after EHLO (and STARTTLS), e.g. to a smarthost that requires it; only over TLS with a verified certificate unless allow_smtp_auth_plain_without_tls / allow_smtp_auth_plain_without_valid_certificate allow it. A refused login is a TransientFailure.
 */
smtp_auth_plain_username?: string
smtp_auth_plain_password?: KeySource
tls_certificate?: KeySource
tls_private_key?: KeySource
/**
 * OpenSSL cipher list for TLS 1.2 and below (OpenSSL syntax). Accepted for KumoMTA compatibility; not acted on yet (the default cipher list of Node is used).
 */
openssl_cipher_list?: string
/**
 * OpenSSL TLS 1.3 cipher suites, colon separated. Accepted for KumoMTA compatibility; not acted on yet (the default TLS 1.3 suites of Node are used).
 */
openssl_cipher_suites?: string
/**
 * OpenSSL option names joined by "|", e.g. "NO_TLSV1|NO_TLSV1_1". Accepted for KumoMTA compatibility; not acted on yet (the default OpenSSL options are used).
 */
openssl_options?: string
/**
 * rustls cipher suite names (KumoMTA). Accepted for KumoMTA compatibility; not acted on yet (kumo-ts has no rustls).
 */
rustls_cipher_suites?: string[]
prohibited_hosts?: CidrList
skip_hosts?: CidrList
}
