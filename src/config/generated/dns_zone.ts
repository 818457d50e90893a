/* Generated from schemas/dns_zone.schema.json by scripts/gen-types.mjs. Do not edit: run npm run gen:types. */

/**
 * Static DNS answers for dns.mode = "static" (tests and labs): one table per name.
 */
export interface DnsZone {
[k: string]: ZoneRecords
}
/**
 * The records of one name. A name absent from the zone is NXDOMAIN; a type absent from a name is NODATA.
 */
export interface ZoneRecords {
/**
 * MX records as "PRIORITY HOST" strings or {priority, exchange}. An empty list or ["0 ."] is a null MX (RFC 7505).
 */
mx?: (string | {
/**
 * MX preference (lower first).
 */
priority: number
/**
 * Host name of the mail exchanger.
 */
exchange: string
})[]
/**
 * IPv4 addresses.
 */
a?: string[]
/**
 * IPv6 addresses.
 */
aaaa?: string[]
/**
 * TXT records (each one string).
 */
txt?: string[]
/**
 * TLSA records as "USAGE SELECTOR MTYPE HEX".
 */
tlsa?: string[]
/**
 * PTR names (for reverse lookups, keyed by the IP address).
 */
ptr?: string[]
/**
 * Make every lookup of this name fail with this error.
 */
fail?: ("SERVFAIL" | "TIMEOUT" | "REFUSED")
}
