/* Generated from schemas/listener_domains.schema.json by scripts/gen-types.mjs. Do not edit: run npm run gen:types. */

/**
 * An IPv4 or IPv6 network ("10.0.0.0/8", "::1/128") or a single address.
 */
export type Cidr = string
/**
 * Relay to anywhere when the envelope sender's domain is this domain and the client address is in one of these networks.
 */
export type CidrList = Cidr[]
/**
 * Accept out-of-band bounce reports (RFC 3464) addressed to this domain and log them as OOB records.
 */
export type ReportDisposition = (boolean | ("Ignore" | "LogThenDrop" | "LogThenRelay"))
/**
 * Accept feedback (ARF, RFC 5965) reports addressed to this domain and log them as Feedback records.
 */
export type ReportDisposition1 = (boolean | ("Ignore" | "LogThenDrop" | "LogThenRelay"))
/**
 * Accepted for KumoMTA compatibility (deprecated there); ignored.
 */
export type Duration = (string | number)

/**
 * KumoMTA's listener_domains format: which domains inbound SMTP accepts mail for, relays for, and logs OOB bounces or ARF reports for. Top-level keys are domain patterns ("example.com", "*.example.com" or "*"); the "listener" table holds per-listener overrides.
 */
export interface ListenerDomainsFile {
[k: string]: ListenerDomain1
}
/**
 * Per-listener overrides: [listener."ip:port"."domain"] (the listener key may also be a listener name); a listener's block for a domain replaces the global block for that domain on that listener.
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
log_arf?: ReportDisposition1
ttl?: Duration
}
/**
 * Options for one domain pattern. Every option defaults to false/empty.
 */
export interface ListenerDomain1 {
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
log_arf?: ReportDisposition1
ttl?: Duration
}
