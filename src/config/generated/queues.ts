/* Generated from schemas/queues.schema.json by scripts/gen-types.mjs. Do not edit: run npm run gen:types. */

/**
 * A smarthost: "host", "host:port", "[ip]" or "[ip]:port", or {name, addr, port} (addr may carry the port, "10.0.0.1:2025", as in KumoMTA).
 */
export type MxEntry = (string | {
/**
 * Host name (used in logs and as the TLS server name).
 */
name: string
/**
 * IP address to connect to instead of resolving name, optionally with a port ("10.0.0.1", "10.0.0.1:2025", "[::1]:2025").
 */
addr?: string
/**
 * Port (default 25, or the source's remote_port).
 */
port?: number
})
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
 * When to shrink idle queued messages in memory (KumoMTA). Accepted for KumoMTA compatibility; not acted on yet (kumo-ts keeps queued messages on disk, not in memory).
 */
export type ShrinkPolicyList = ShrinkPolicy[]
/**
 * Settings for a destination domain ("example.com", "*.example.com" or "default"); sub-tables are tenants.
 */
export type DomainQueue = (DomainQueueSettings & DomainQueueTables)
/**
 * Settings for one tenant at this domain; sub-tables are campaigns.
 * 
 * This interface was referenced by `DomainQueueTables`'s JSON-Schema definition
 * via the `patternProperty` "^(?!(egress_pool|max_age|max_message_rate|max_retry_interval|mx_list|overall_max_message_rate|protocol|provider_name|reap_interval|refresh_interval|refresh_strategy|retry_interval|routing_domain|shrink_policy|strategy|tenants|timerwheel_tick_interval)$)".
 */
export type TenantQueue = (TenantQueueSettings & TenantQueueTables)

/**
 * Queue settings in KumoMTA's queues.toml format. Settings apply in this order, later winning: [queue.default], [queue.'domain'], [tenant.'t'], [queue.'domain'.'t'], [queue.'domain'.'t'.'campaign']. Several files merge in order. Keys that kumo-ts does not act on yet are accepted and reported as warnings (key.not-implemented).
 */
export interface Queues {
/**
 * Header holding a JSON delivery schedule (KumoMTA import_scheduling_header), e.g. "X-Schedule". Read and removed at reception (JSON: first_attempt and expires as RFC 3339 date-times; dow, tz, start and end, all four or none, a delivery window such as {"dow":"Mon,Wed","tz":"America/Phoenix","start":"09:00:00","end":"17:00:00"}); an invalid header refuses the message with 550 5.6.0 naming the fault.
 */
scheduling_header?: string
/**
 * Header naming the message's tenant, e.g. "X-Tenant".
 */
tenant_header?: string
/**
 * Header naming the message's campaign, e.g. "X-Campaign".
 */
campaign_header?: string
/**
 * Remove the tenant header after reading it (default true).
 */
remove_tenant_header?: boolean
/**
 * Remove the campaign header after reading it (default true).
 */
remove_campaign_header?: boolean
/**
 * Tenant of messages without a tenant header; must be defined under [tenant].
 */
default_tenant?: string
/**
 * Tenants by name.
 */
tenant?: {
[k: string]: Tenant
}
/**
 * Queue settings by destination domain; "default" applies to every queue.
 */
queue?: {
[k: string]: DomainQueue
}
}
/**
 * One tenant's settings (they override [queue.'domain'] and are overridden by [queue.'domain'.'tenant']).
 */
export interface Tenant {
/**
 * Egress pool (sources.toml) the traffic is sent from (default "unspecified": one source, the kernel picks the address).
 */
egress_pool?: string
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
retry_interval?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
max_retry_interval?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
max_age?: (string | number)
/**
 * A rate "[local:]N/[k]period[,max_burst=B]" with period s, m, h or d, e.g. "100/min", "10/5m", "1,000/h". local: keeps it in this process even in cluster mode.
 */
max_message_rate?: string
/**
 * Route by the MX records of this domain instead of the recipient domain, or to an address literal ("[10.0.0.1]", "[::1]"; like an mx_list of that address); the scheduled queue name gets "!routing_domain".
 */
routing_domain?: string
/**
 * Smarthosts to deliver to, in order, instead of MX resolution (kumo-ts shorthand for protocol.smtp.mx_list). Explicitly routed, so loopback addresses are allowed.
 * 
 * @minItems 1
 */
mx_list?: [MxEntry, ...(MxEntry)[]]
protocol?: Protocol
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
reap_interval?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
refresh_interval?: (string | number)
/**
 * When KumoMTA re-reads the queue config. Accepted for KumoMTA compatibility; not acted on yet: kumo-ts always follows the config epoch.
 */
refresh_strategy?: ("Ttl" | "Epoch")
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
timerwheel_tick_interval?: (string | number)
/**
 * KumoMTA's scheduled-queue data structure. Accepted for KumoMTA compatibility; not acted on yet.
 */
strategy?: ("TimerWheel" | "SkipList" | "SingletonTimerWheel" | "SingletonTimerWheelV2")
/**
 * Provider name for metrics rollups (KumoMTA). Accepted for KumoMTA compatibility; not acted on yet.
 */
provider_name?: string
shrink_policy?: ShrinkPolicyList
/**
 * Only these SMTP AUTH identities may select this tenant with the tenant header.
 */
require_authz?: string[]
/**
 * A rate "[local:]N/[k]period[,max_burst=B]" with period s, m, h or d, e.g. "100/min", "10/5m", "1,000/h". local: keeps it in this process even in cluster mode.
 */
overall_max_message_rate?: string
/**
 * Per-campaign settings of this tenant ([tenant.'t'.campaigns.'c'], KumoMTA queue helper); KumoMTA uses only their overall_max_message_rate.
 */
campaigns?: {
[k: string]: TenantCampaign
}
}
/**
 * Delivery protocol (KumoMTA make_queue_config protocol): {smtp = {mx_list = [...]}}, {maildir_path = "..."}, {http = {url = "..."}} or {amqp = {url = "...", routing_key = "..."}}; custom_lua and xfer are accepted for KumoMTA compatibility but not acted on yet (such a queue delivers by SMTP). Default: SMTP to the MX hosts.
 */
export interface Protocol {
/**
 * SMTP delivery options.
 */
smtp?: {
/**
 * Smarthosts to deliver to, in order, instead of MX resolution.
 * 
 * @minItems 1
 */
mx_list?: [MxEntry, ...(MxEntry)[]]
/**
 * Treat the mx_list hosts as a DNSSEC-secure selection for DANE. Accepted for KumoMTA compatibility; not acted on yet: DANE applies to MX routes only, so an mx_list route gets no DANE and no MTA-STS (as KumoMTA without this key).
 */
treat_mx_list_as_secure?: boolean
}
/**
 * Deliver into this maildir instead (labs, tests). {{ domain_part }}, {{ local_part }}, {{ email }}, {{ tenant }}, {{ campaign }}, {{ queue }} are expanded. Relative to the working directory.
 */
maildir_path?: string
/**
 * Mode of the maildir directories created (default 0o775 minus umask).
 */
dir_mode?: number
/**
 * Mode of the message files (default 0o664 minus umask).
 */
file_mode?: number
/**
 * Deliver with a Lua constructor (KumoMTA). Accepted for KumoMTA compatibility; not acted on yet: kumo-ts has no Lua; the queue delivers by SMTP.
 */
custom_lua?: {
/**
 * Name of the Lua event that builds the delivery implementation.
 */
constructor: string
/**
 * Messages per batch (KumoMTA default 1).
 */
batch_size?: number
/**
 * Smallest batch to send (KumoMTA default 1).
 */
min_batch_size?: number
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
max_batch_latency?: (string | number)
}
/**
 * Transfer the messages to another KumoMTA node (KumoMTA xfer). Accepted for KumoMTA compatibility; not acted on yet: the queue delivers by SMTP.
 */
xfer?: {
/**
 * HTTP URL prefix of the receiving node, e.g. "http://127.0.0.1:8000".
 */
target: string
}
/**
 * Deliver each message by an HTTP request instead of SMTP (kumo-ts; KumoMTA does this with custom_lua). 2xx = Delivery; 429, 5xx, timeouts and connection failures = TransientFailure (retried as usual); other 4xx = Bounce. Shaped per destination like SMTP (connection_limit, max_message_rate, ...), the site being "http:<scheme>://<host>:<port>".
 */
http?: {
/**
 * http:// or https:// URL the messages are sent to.
 */
url: string
/**
 * HTTP method (default POST).
 */
method?: ("POST" | "PUT")
/**
 * Extra request headers, name = value.
 */
headers?: {
[k: string]: string
}
/**
 * "raw" (default): the message as spooled (RFC 5322, content-type message/rfc822), envelope in X-Kumo-Envelope-From / X-Kumo-Envelope-To headers; "json": {id, sender, recipients, queue, tenant, campaign, content} (content_base64 instead of content when the message is not UTF-8).
 */
body?: ("raw" | "json")
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
timeout?: (string | number)
/**
 * Authorization: Basic (username + password) or Bearer (bearer); the secret comes from a key source.
 */
auth?: {
/**
 * Basic auth user name (with password).
 */
username?: string
password?: KeySource
bearer?: KeySource
}
}
/**
 * Publish each message to an AMQP 0-9-1 broker (RabbitMQ) instead of SMTP (kumo-ts; KumoMTA does this with custom_lua). Persistent, mandatory messages on a confirm channel: a message is delivered (Delivery record) only once the broker confirmed it; a nack, a lost connection or channel, no confirm within timeout, or a refused connection = TransientFailure (retried as usual). Shaped per broker like an SMTP site (connection_limit = AMQP connections, max_message_rate, ...), the site being "amqp:<scheme>://<user>@<host>:<port>/<vhost>".
 */
amqp?: {
/**
 * amqp:// or amqps:// URL of the broker, with the virtual host as its path (e.g. "amqp://kumo@rabbit.internal:5672/mail"). A password may be in the URL, or come from auth.password.
 */
url: string
/**
 * Exchange to publish to (default "": the default exchange, where the routing key is the name of the queue that receives the message). It must exist: publishing to a missing exchange is a transient failure.
 */
exchange?: string
/**
 * Routing key; {id}, {queue}, {domain} (recipient domain), {tenant}, {campaign} and {sender} are replaced by the message's values (empty when it has none).
 */
routing_key: string
/**
 * "raw" (default): the message as spooled (content type message/rfc822), the envelope in headers x-kumo-id, x-kumo-sender, x-kumo-recipients, x-kumo-queue, x-kumo-tenant, x-kumo-campaign; "json": {id, sender, recipients, queue, tenant, campaign, content} (content_base64 instead of content when the message is not UTF-8), content type application/json, the same headers.
 */
body?: ("raw" | "json")
/**
 * Extra AMQP message headers, name = value (names starting x-kumo- are kumo-ts's own).
 */
headers?: {
[k: string]: string
}
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
timeout?: (string | number)
/**
 * A message the broker returns as unroutable (no queue bound for its routing key): "retry" (default) = TransientFailure, retried until max_age (nothing is lost while a binding is missing); "bounce" = Bounce (550 5.4.4).
 */
unroutable?: ("retry" | "bounce")
/**
 * Broker credentials (PLAIN), instead of putting them in the URL; the password comes from a key source.
 */
auth?: {
/**
 * User name.
 */
username: string
password: KeySource
}
}
}
/**
 * One memory-reduction step.
 */
export interface ShrinkPolicy {
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
interval: (string | number)
/**
 * What to drop from memory.
 */
policy: ("ShrinkDataAndMeta" | "ShrinkData" | "NoShrink")
}
/**
 * One campaign of a tenant ([tenant.'t'.campaigns.'c']). KumoMTA's queue helper accepts queue keys here but applies none of them; only overall_max_message_rate.
 */
export interface TenantCampaign {
/**
 * A rate "[local:]N/[k]period[,max_burst=B]" with period s, m, h or d, e.g. "100/min", "10/5m", "1,000/h". local: keeps it in this process even in cluster mode.
 */
overall_max_message_rate?: string
/**
 * Accepted by KumoMTA's queue helper here, but it applies no queue key of [tenant.'t'.campaigns.'c']; not acted on yet.
 */
egress_pool?: string
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
retry_interval?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
max_retry_interval?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
max_age?: (string | number)
/**
 * A rate "[local:]N/[k]period[,max_burst=B]" with period s, m, h or d, e.g. "100/min", "10/5m", "1,000/h". local: keeps it in this process even in cluster mode.
 */
max_message_rate?: string
/**
 * Accepted by KumoMTA's queue helper here, but it applies no queue key of [tenant.'t'.campaigns.'c']; not acted on yet.
 */
routing_domain?: string
/**
 * Accepted by KumoMTA's queue helper here, but it applies no queue key of [tenant.'t'.campaigns.'c']; not acted on yet.
 * 
 * @minItems 1
 */
mx_list?: [MxEntry, ...(MxEntry)[]]
protocol?: Protocol
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
reap_interval?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
refresh_interval?: (string | number)
/**
 * Accepted by KumoMTA's queue helper here, but it applies no queue key of [tenant.'t'.campaigns.'c']; not acted on yet.
 */
refresh_strategy?: ("Ttl" | "Epoch")
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
timerwheel_tick_interval?: (string | number)
/**
 * Accepted by KumoMTA's queue helper here, but it applies no queue key of [tenant.'t'.campaigns.'c']; not acted on yet.
 */
strategy?: ("TimerWheel" | "SkipList" | "SingletonTimerWheel" | "SingletonTimerWheelV2")
/**
 * Accepted by KumoMTA's queue helper here, but it applies no queue key of [tenant.'t'.campaigns.'c']; not acted on yet.
 */
provider_name?: string
shrink_policy?: ShrinkPolicyList
}
/**
 * The settings of this table.
 */
export interface DomainQueueSettings {
/**
 * Egress pool (sources.toml) the traffic is sent from (default "unspecified": one source, the kernel picks the address).
 */
egress_pool?: string
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
retry_interval?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
max_retry_interval?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
max_age?: (string | number)
/**
 * A rate "[local:]N/[k]period[,max_burst=B]" with period s, m, h or d, e.g. "100/min", "10/5m", "1,000/h". local: keeps it in this process even in cluster mode.
 */
max_message_rate?: string
/**
 * Route by the MX records of this domain instead of the recipient domain, or to an address literal ("[10.0.0.1]", "[::1]"; like an mx_list of that address); the scheduled queue name gets "!routing_domain".
 */
routing_domain?: string
/**
 * Smarthosts to deliver to, in order, instead of MX resolution (kumo-ts shorthand for protocol.smtp.mx_list). Explicitly routed, so loopback addresses are allowed.
 * 
 * @minItems 1
 */
mx_list?: [MxEntry, ...(MxEntry)[]]
protocol?: Protocol
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
reap_interval?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
refresh_interval?: (string | number)
/**
 * When KumoMTA re-reads the queue config. Accepted for KumoMTA compatibility; not acted on yet: kumo-ts always follows the config epoch.
 */
refresh_strategy?: ("Ttl" | "Epoch")
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
timerwheel_tick_interval?: (string | number)
/**
 * KumoMTA's scheduled-queue data structure. Accepted for KumoMTA compatibility; not acted on yet.
 */
strategy?: ("TimerWheel" | "SkipList" | "SingletonTimerWheel" | "SingletonTimerWheelV2")
/**
 * Provider name for metrics rollups (KumoMTA). Accepted for KumoMTA compatibility; not acted on yet.
 */
provider_name?: string
shrink_policy?: ShrinkPolicyList
/**
 * A rate "[local:]N/[k]period[,max_burst=B]" with period s, m, h or d, e.g. "100/min", "10/5m", "1,000/h". local: keeps it in this process even in cluster mode.
 */
overall_max_message_rate?: string
/**
 * Tenant sub-tables spelled as KumoMTA's queue helper stores them ([queue.'domain'.tenants.'t']); the same as [queue.'domain'.'t'].
 */
tenants?: {
[k: string]: TenantQueue
}
[k: string]: unknown
}
/**
 * The settings of this table.
 */
export interface TenantQueueSettings {
/**
 * Egress pool (sources.toml) the traffic is sent from (default "unspecified": one source, the kernel picks the address).
 */
egress_pool?: string
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
retry_interval?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
max_retry_interval?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
max_age?: (string | number)
/**
 * A rate "[local:]N/[k]period[,max_burst=B]" with period s, m, h or d, e.g. "100/min", "10/5m", "1,000/h". local: keeps it in this process even in cluster mode.
 */
max_message_rate?: string
/**
 * Route by the MX records of this domain instead of the recipient domain, or to an address literal ("[10.0.0.1]", "[::1]"; like an mx_list of that address); the scheduled queue name gets "!routing_domain".
 */
routing_domain?: string
/**
 * Smarthosts to deliver to, in order, instead of MX resolution (kumo-ts shorthand for protocol.smtp.mx_list). Explicitly routed, so loopback addresses are allowed.
 * 
 * @minItems 1
 */
mx_list?: [MxEntry, ...(MxEntry)[]]
protocol?: Protocol
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
reap_interval?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
refresh_interval?: (string | number)
/**
 * When KumoMTA re-reads the queue config. Accepted for KumoMTA compatibility; not acted on yet: kumo-ts always follows the config epoch.
 */
refresh_strategy?: ("Ttl" | "Epoch")
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
timerwheel_tick_interval?: (string | number)
/**
 * KumoMTA's scheduled-queue data structure. Accepted for KumoMTA compatibility; not acted on yet.
 */
strategy?: ("TimerWheel" | "SkipList" | "SingletonTimerWheel" | "SingletonTimerWheelV2")
/**
 * Provider name for metrics rollups (KumoMTA). Accepted for KumoMTA compatibility; not acted on yet.
 */
provider_name?: string
shrink_policy?: ShrinkPolicyList
/**
 * A rate "[local:]N/[k]period[,max_burst=B]" with period s, m, h or d, e.g. "100/min", "10/5m", "1,000/h". local: keeps it in this process even in cluster mode.
 */
overall_max_message_rate?: string
/**
 * Campaign sub-tables spelled as KumoMTA's queue helper stores them ([queue.'domain'.'t'.campaigns.'c']); the same as [queue.'domain'.'t'.'c'].
 */
campaigns?: {
[k: string]: CampaignQueue
}
[k: string]: unknown
}
/**
 * Settings for one campaign of a tenant at this domain.
 * 
 * This interface was referenced by `TenantQueueTables`'s JSON-Schema definition
 * via the `patternProperty` "^(?!(campaigns|egress_pool|max_age|max_message_rate|max_retry_interval|mx_list|overall_max_message_rate|protocol|provider_name|reap_interval|refresh_interval|refresh_strategy|retry_interval|routing_domain|shrink_policy|strategy|timerwheel_tick_interval)$)".
 */
export interface CampaignQueue {
/**
 * Egress pool (sources.toml) the traffic is sent from (default "unspecified": one source, the kernel picks the address).
 */
egress_pool?: string
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
retry_interval?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
max_retry_interval?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
max_age?: (string | number)
/**
 * A rate "[local:]N/[k]period[,max_burst=B]" with period s, m, h or d, e.g. "100/min", "10/5m", "1,000/h". local: keeps it in this process even in cluster mode.
 */
max_message_rate?: string
/**
 * Route by the MX records of this domain instead of the recipient domain, or to an address literal ("[10.0.0.1]", "[::1]"; like an mx_list of that address); the scheduled queue name gets "!routing_domain".
 */
routing_domain?: string
/**
 * Smarthosts to deliver to, in order, instead of MX resolution (kumo-ts shorthand for protocol.smtp.mx_list). Explicitly routed, so loopback addresses are allowed.
 * 
 * @minItems 1
 */
mx_list?: [MxEntry, ...(MxEntry)[]]
protocol?: Protocol
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
reap_interval?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
refresh_interval?: (string | number)
/**
 * When KumoMTA re-reads the queue config. Accepted for KumoMTA compatibility; not acted on yet: kumo-ts always follows the config epoch.
 */
refresh_strategy?: ("Ttl" | "Epoch")
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
timerwheel_tick_interval?: (string | number)
/**
 * KumoMTA's scheduled-queue data structure. Accepted for KumoMTA compatibility; not acted on yet.
 */
strategy?: ("TimerWheel" | "SkipList" | "SingletonTimerWheel" | "SingletonTimerWheelV2")
/**
 * Provider name for metrics rollups (KumoMTA). Accepted for KumoMTA compatibility; not acted on yet.
 */
provider_name?: string
shrink_policy?: ShrinkPolicyList
/**
 * A rate "[local:]N/[k]period[,max_burst=B]" with period s, m, h or d, e.g. "100/min", "10/5m", "1,000/h". local: keeps it in this process even in cluster mode.
 */
overall_max_message_rate?: string
}
/**
 * Campaign sub-tables by campaign name.
 */
export interface TenantQueueTables {
[k: string]: CampaignQueue
}
/**
 * Tenant sub-tables by tenant name.
 */
export interface DomainQueueTables {
[k: string]: TenantQueue
}
