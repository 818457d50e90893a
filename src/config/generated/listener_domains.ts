/* Generated from schemas/listener_domains.schema.json by scripts/gen-types.mjs. Do not edit: run npm run gen:types. */

/**
 * A list of networks in CIDR notation.
 */
export type CidrList = string[]
/**
 * true (= "LogThenRelay", as in KumoMTA), false (= "Ignore"), or one of "Ignore", "LogThenDrop", "LogThenRelay".
 */
export type ReportDisposition = (boolean | ("Ignore" | "LogThenDrop" | "LogThenRelay"))

/**
 * KumoMTA's listener_domains format: which domains inbound SMTP accepts mail for, relays for, and logs OOB bounces or ARF reports for. Top-level keys are domain patterns ("example.com", "*.example.com" or "*"); the "listener" table holds per-listener overrides.
 */
export interface ListenerDomainsFile {
[k: string]: ListenerDomain
}
/**
 * Per-listener domain blocks, by listener key ("ip:port" or listener name).
 * 
 * This interface was referenced by `ListenerDomainsFile`'s JSON-Schema definition
 * via the `patternProperty` "^listener$".
 */
export interface ListenerOverrides {
/**
 * Domain blocks that apply only to this listener.
 */
[k: string]: {
[k: string]: ListenerDomain
}
}
/**
 * Options for one domain pattern. Every option defaults to false/empty.
 */
export interface ListenerDomain {
/**
 * Accept and relay mail addressed to this domain from anyone (inbound domains).
 */
relay_to?: boolean
relay_from?: CidrList
/**
 * Relay to anywhere when the envelope sender's domain is this domain and the client authenticated (SMTP AUTH) as one of these users.
 */
relay_from_authz?: string[]
log_oob?: ReportDisposition
log_arf?: ReportDisposition
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
ttl?: (string | number)
}
