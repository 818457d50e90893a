/* Generated from schemas/queues.schema.json by scripts/gen-types.mjs. Do not edit: run npm run gen:types. */

/**
 * A smarthost: "host", "host:port", "[ip]" or "[ip]:port", or {name, addr, port}.
 */
export type MxEntry = (string | {
/**
 * Host name (used in logs and as the TLS server name).
 */
name: string
/**
 * IP address to connect to instead of resolving name.
 */
addr?: string
/**
 * Port (default 25, or the source's remote_port).
 */
port?: number
})
/**
 * A smarthost: "host", "host:port", "[ip]" or "[ip]:port", or {name, addr, port}.
 */
export type MxEntry1 = (string | {
/**
 * Host name (used in logs and as the TLS server name).
 */
name: string
/**
 * IP address to connect to instead of resolving name.
 */
addr?: string
/**
 * Port (default 25, or the source's remote_port).
 */
port?: number
})
/**
 * Settings for a destination domain ("example.com", "*.example.com" or "default"); sub-tables are tenants.
 */
export type DomainQueue = (DomainQueueSettings & DomainQueueTables)
/**
 * A smarthost: "host", "host:port", "[ip]" or "[ip]:port", or {name, addr, port}.
 */
export type MxEntry2 = (string | {
/**
 * Host name (used in logs and as the TLS server name).
 */
name: string
/**
 * IP address to connect to instead of resolving name.
 */
addr?: string
/**
 * Port (default 25, or the source's remote_port).
 */
port?: number
})
/**
 * A smarthost: "host", "host:port", "[ip]" or "[ip]:port", or {name, addr, port}.
 */
export type MxEntry3 = (string | {
/**
 * Host name (used in logs and as the TLS server name).
 */
name: string
/**
 * IP address to connect to instead of resolving name.
 */
addr?: string
/**
 * Port (default 25, or the source's remote_port).
 */
port?: number
})
/**
 * Settings for one tenant at this domain; sub-tables are campaigns.
 * 
 * This interface was referenced by `DomainQueueTables`'s JSON-Schema definition
 * via the `patternProperty` "^(?!(egress_pool|max_age|max_message_rate|max_retry_interval|mx_list|protocol|retry_interval|routing_domain)$)".
 */
export type TenantQueue = (TenantQueueSettings & TenantQueueTables)
/**
 * A smarthost: "host", "host:port", "[ip]" or "[ip]:port", or {name, addr, port}.
 */
export type MxEntry4 = (string | {
/**
 * Host name (used in logs and as the TLS server name).
 */
name: string
/**
 * IP address to connect to instead of resolving name.
 */
addr?: string
/**
 * Port (default 25, or the source's remote_port).
 */
port?: number
})
/**
 * A smarthost: "host", "host:port", "[ip]" or "[ip]:port", or {name, addr, port}.
 */
export type MxEntry5 = (string | {
/**
 * Host name (used in logs and as the TLS server name).
 */
name: string
/**
 * IP address to connect to instead of resolving name.
 */
addr?: string
/**
 * Port (default 25, or the source's remote_port).
 */
port?: number
})
/**
 * A smarthost: "host", "host:port", "[ip]" or "[ip]:port", or {name, addr, port}.
 */
export type MxEntry6 = (string | {
/**
 * Host name (used in logs and as the TLS server name).
 */
name: string
/**
 * IP address to connect to instead of resolving name.
 */
addr?: string
/**
 * Port (default 25, or the source's remote_port).
 */
port?: number
})
/**
 * A smarthost: "host", "host:port", "[ip]" or "[ip]:port", or {name, addr, port}.
 */
export type MxEntry7 = (string | {
/**
 * Host name (used in logs and as the TLS server name).
 */
name: string
/**
 * IP address to connect to instead of resolving name.
 */
addr?: string
/**
 * Port (default 25, or the source's remote_port).
 */
port?: number
})

/**
 * Queue settings in KumoMTA's queues.toml format. Settings apply in this order, later winning: [queue.default], [queue.'domain'], [tenant.'t'], [queue.'domain'.'t'], [queue.'domain'.'t'.'campaign']. Several files merge in order.
 */
export interface Queues {
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
 * Route by the MX records of this domain instead of the recipient domain; the scheduled queue name gets "!routing_domain".
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
 * Only these SMTP AUTH identities may select this tenant with the tenant header.
 */
require_authz?: string[]
}
/**
 * Delivery protocol (KumoMTA make_queue_config protocol): {smtp = {mx_list = [...]}} or {maildir_path = "..."}. Default: SMTP to the MX hosts.
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
mx_list?: [MxEntry1, ...(MxEntry1)[]]
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
 * Route by the MX records of this domain instead of the recipient domain; the scheduled queue name gets "!routing_domain".
 */
routing_domain?: string
/**
 * Smarthosts to deliver to, in order, instead of MX resolution (kumo-ts shorthand for protocol.smtp.mx_list). Explicitly routed, so loopback addresses are allowed.
 * 
 * @minItems 1
 */
mx_list?: [MxEntry2, ...(MxEntry2)[]]
protocol?: Protocol1
[k: string]: unknown
}
/**
 * Delivery protocol (KumoMTA make_queue_config protocol): {smtp = {mx_list = [...]}} or {maildir_path = "..."}. Default: SMTP to the MX hosts.
 */
export interface Protocol1 {
/**
 * SMTP delivery options.
 */
smtp?: {
/**
 * Smarthosts to deliver to, in order, instead of MX resolution.
 * 
 * @minItems 1
 */
mx_list?: [MxEntry3, ...(MxEntry3)[]]
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
}
/**
 * Tenant sub-tables by tenant name.
 */
export interface DomainQueueTables {
[k: string]: TenantQueue
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
 * Route by the MX records of this domain instead of the recipient domain; the scheduled queue name gets "!routing_domain".
 */
routing_domain?: string
/**
 * Smarthosts to deliver to, in order, instead of MX resolution (kumo-ts shorthand for protocol.smtp.mx_list). Explicitly routed, so loopback addresses are allowed.
 * 
 * @minItems 1
 */
mx_list?: [MxEntry4, ...(MxEntry4)[]]
protocol?: Protocol2
[k: string]: unknown
}
/**
 * Delivery protocol (KumoMTA make_queue_config protocol): {smtp = {mx_list = [...]}} or {maildir_path = "..."}. Default: SMTP to the MX hosts.
 */
export interface Protocol2 {
/**
 * SMTP delivery options.
 */
smtp?: {
/**
 * Smarthosts to deliver to, in order, instead of MX resolution.
 * 
 * @minItems 1
 */
mx_list?: [MxEntry5, ...(MxEntry5)[]]
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
}
/**
 * Campaign sub-tables by campaign name.
 */
export interface TenantQueueTables {
[k: string]: CampaignQueue
}
/**
 * Settings for one campaign of a tenant at this domain.
 * 
 * This interface was referenced by `TenantQueueTables`'s JSON-Schema definition
 * via the `patternProperty` "^(?!(egress_pool|max_age|max_message_rate|max_retry_interval|mx_list|protocol|retry_interval|routing_domain)$)".
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
 * Route by the MX records of this domain instead of the recipient domain; the scheduled queue name gets "!routing_domain".
 */
routing_domain?: string
/**
 * Smarthosts to deliver to, in order, instead of MX resolution (kumo-ts shorthand for protocol.smtp.mx_list). Explicitly routed, so loopback addresses are allowed.
 * 
 * @minItems 1
 */
mx_list?: [MxEntry6, ...(MxEntry6)[]]
protocol?: Protocol3
}
/**
 * Delivery protocol (KumoMTA make_queue_config protocol): {smtp = {mx_list = [...]}} or {maildir_path = "..."}. Default: SMTP to the MX hosts.
 */
export interface Protocol3 {
/**
 * SMTP delivery options.
 */
smtp?: {
/**
 * Smarthosts to deliver to, in order, instead of MX resolution.
 * 
 * @minItems 1
 */
mx_list?: [MxEntry7, ...(MxEntry7)[]]
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
}
