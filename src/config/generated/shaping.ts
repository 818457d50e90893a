/* Generated from schemas/shaping.schema.json by scripts/gen-types.mjs. Do not edit: run npm run gen:types. */

/**
 * Suspend (this source → site), SuspendTenant / SuspendCampaign (the tenant or campaign to this domain), Bounce / BounceTenant / BounceCampaign (bounce instead of delivering), {SetConfig = {name, value}} (override a setting on this path), {SetDomainConfig = {name, value}} (override a setting for the domain, every source).
 */
export type AutomationAction = (("Suspend" | "SuspendTenant" | "SuspendCampaign" | "Bounce" | "BounceTenant" | "BounceCampaign") | {
SetConfig: ConfigValue2
} | {
SetDomainConfig: ConfigValue3
})
/**
 * N matches per period, e.g. "2/hr".
 */
export type Throttle = string
/**
 * How long the suspension, bounce or override lasts (from the last triggering response).
 */
export type Duration = (string | number)
/**
 * Most new connections per period from one source to this site, e.g. "100/min". No limit by default.
 */
export type Throttle1 = string
/**
 * Most messages per period from one source to this site, e.g. "100/s" (GCRA). No limit by default.
 */
export type Throttle2 = string
/**
 * A rate "[local:]N/[k]period[,max_burst=B]" with period s, m, h or d, e.g. "100/min", "10/5m", "1,000/h". local: keeps it in this process even in cluster mode.
 */
export type Throttle3 = string
/**
 * A rate "[local:]N/[k]period[,max_burst=B]" with period s, m, h or d, e.g. "100/min", "10/5m", "1,000/h". local: keeps it in this process even in cluster mode.
 */
export type Throttle4 = string
/**
 * How long to wait for the TCP connection to open. Default 60s.
 */
export type Duration1 = (string | number)
/**
 * How long to wait for the 220 greeting. Default 60s.
 */
export type Duration2 = (string | number)
/**
 * How long to wait for the EHLO reply. Default 5m.
 */
export type Duration3 = (string | number)
/**
 * How long to wait for the MAIL FROM reply. Default 5m.
 */
export type Duration4 = (string | number)
/**
 * How long to wait for each RCPT TO reply. Default 5m.
 */
export type Duration5 = (string | number)
/**
 * How long to wait for the reply to DATA. Default 5m.
 */
export type Duration6 = (string | number)
/**
 * How long to wait for the reply after the message body (the final dot). Default 5m.
 */
export type Duration7 = (string | number)
/**
 * How long to wait for the RSET reply. Default 5s.
 */
export type Duration8 = (string | number)
/**
 * How long an idle connection stays open waiting for more messages. Default 60s.
 */
export type Duration9 = (string | number)
/**
 * How long to wait for the STARTTLS reply. Default 5s.
 */
export type Duration10 = (string | number)
/**
 * How long the TLS handshake may take after STARTTLS. Default: starttls_timeout.
 */
export type Duration11 = (string | number)
/**
 * How long to wait for the reply to SMTP AUTH. Default 60s.
 */
export type Duration12 = (string | number)
/**
 * How long deliveries on this path may continue after shutdown begins.
 */
export type Duration13 = (string | number)
/**
 * How long a connection may make no progress before it is aborted and its message retried. Default: derived from the other timeouts.
 */
export type Duration14 = (string | number)
/**
 * Accepted for KumoMTA compatibility; kumo-ts re-reads shaping on every decision (each config epoch), so it has no effect.
 */
export type Duration15 = (string | number)
/**
 * After a failed TLS handshake, remember for this long that the site has broken TLS and skip STARTTLS in Opportunistic modes. Off by default.
 */
export type Duration16 = (string | number)
/**
 * Outbound TLS: Opportunistic (default; use STARTTLS when offered, verify the certificate), OpportunisticInsecure (do not verify), Required, RequiredInsecure, or Disabled.
 */
export type TlsMode = ("Opportunistic" | "OpportunisticInsecure" | "Required" | "RequiredInsecure" | "Disabled")
/**
 * Password for AUTH PLAIN: a file path, inline key_data, or a Vault entry.
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
ttl?: Duration17
})
/**
 * How long a loaded secret is cached (default 5m).
 */
export type Duration17 = (string | number)
/**
 * Client certificate (PEM) presented to the destination: a file path, inline key_data, or a Vault entry.
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
ttl?: Duration17
})
/**
 * Private key (PEM) of tls_certificate: a file path, inline key_data, or a Vault entry.
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
ttl?: Duration17
})
/**
 * An IPv4 or IPv6 network ("10.0.0.0/8", "::1/128") or a single address.
 */
export type Cidr = string
/**
 * Networks that must never be delivered to (mail loops): a site whose MX resolves into them fails at once with 550 5.4.4. Default 127.0.0.0/8, 0.0.0.0, ::1, ::.
 */
export type CidrList = Cidr[]
/**
 * Networks removed from the MX address list before connecting (e.g. "::/0" to skip IPv6).
 */
export type CidrList1 = Cidr[]
/**
 * A rate "[local:]N/[k]period[,max_burst=B]" with period s, m, h or d, e.g. "100/min", "10/5m", "1,000/h". local: keeps it in this process even in cluster mode.
 */
export type Throttle5 = string
/**
 * A rate "[local:]N/[k]period[,max_burst=B]" with period s, m, h or d, e.g. "100/min", "10/5m", "1,000/h". local: keeps it in this process even in cluster mode.
 */
export type Throttle6 = string
/**
 * A rate "[local:]N/[k]period[,max_burst=B]" with period s, m, h or d, e.g. "100/min", "10/5m", "1,000/h". local: keeps it in this process even in cluster mode.
 */
export type Throttle7 = string
/**
 * How long to wait for the TCP connection to open. Default 60s.
 */
export type Duration18 = (string | number)
/**
 * How long to wait for the 220 greeting. Default 60s.
 */
export type Duration19 = (string | number)
/**
 * How long to wait for the EHLO reply. Default 5m.
 */
export type Duration20 = (string | number)
/**
 * How long to wait for the MAIL FROM reply. Default 5m.
 */
export type Duration21 = (string | number)
/**
 * How long to wait for each RCPT TO reply. Default 5m.
 */
export type Duration22 = (string | number)
/**
 * How long to wait for the reply to DATA. Default 5m.
 */
export type Duration23 = (string | number)
/**
 * How long to wait for the reply after the message body (the final dot). Default 5m.
 */
export type Duration24 = (string | number)
/**
 * How long to wait for the RSET reply. Default 5s.
 */
export type Duration25 = (string | number)
/**
 * How long an idle connection stays open waiting for more messages. Default 60s.
 */
export type Duration26 = (string | number)
/**
 * How long to wait for the STARTTLS reply. Default 5s.
 */
export type Duration27 = (string | number)
/**
 * How long the TLS handshake may take after STARTTLS. Default: starttls_timeout.
 */
export type Duration28 = (string | number)
/**
 * How long to wait for the reply to SMTP AUTH. Default 60s.
 */
export type Duration29 = (string | number)
/**
 * How long deliveries on this path may continue after shutdown begins.
 */
export type Duration30 = (string | number)
/**
 * How long a connection may make no progress before it is aborted and its message retried. Default: derived from the other timeouts.
 */
export type Duration31 = (string | number)
/**
 * Accepted for KumoMTA compatibility; kumo-ts re-reads shaping on every decision (each config epoch), so it has no effect.
 */
export type Duration32 = (string | number)
/**
 * After a failed TLS handshake, remember for this long that the site has broken TLS and skip STARTTLS in Opportunistic modes. Off by default.
 */
export type Duration33 = (string | number)
/**
 * Outbound TLS: Opportunistic (default; use STARTTLS when offered, verify the certificate), OpportunisticInsecure (do not verify), Required, RequiredInsecure, or Disabled.
 */
export type TlsMode1 = ("Opportunistic" | "OpportunisticInsecure" | "Required" | "RequiredInsecure" | "Disabled")
/**
 * Password for AUTH PLAIN: a file path, inline key_data, or a Vault entry.
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
ttl?: Duration17
})
/**
 * Client certificate (PEM) presented to the destination: a file path, inline key_data, or a Vault entry.
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
ttl?: Duration17
})
/**
 * Private key (PEM) of tls_certificate: a file path, inline key_data, or a Vault entry.
 */
export type KeySource5 = (string | {
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
ttl?: Duration17
})
/**
 * Networks that must never be delivered to (mail loops): a site whose MX resolves into them fails at once with 550 5.4.4. Default 127.0.0.0/8, 0.0.0.0, ::1, ::.
 */
export type CidrList2 = Cidr[]
/**
 * Networks removed from the MX address list before connecting (e.g. "::/0" to skip IPv6).
 */
export type CidrList3 = Cidr[]
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
 * A rate "[local:]N/[k]period[,max_burst=B]" with period s, m, h or d, e.g. "100/min", "10/5m", "1,000/h". local: keeps it in this process even in cluster mode.
 */
export type Throttle8 = string
/**
 * A rate "[local:]N/[k]period[,max_burst=B]" with period s, m, h or d, e.g. "100/min", "10/5m", "1,000/h". local: keeps it in this process even in cluster mode.
 */
export type Throttle9 = string
/**
 * A rate "[local:]N/[k]period[,max_burst=B]" with period s, m, h or d, e.g. "100/min", "10/5m", "1,000/h". local: keeps it in this process even in cluster mode.
 */
export type Throttle10 = string
/**
 * A rate "[local:]N/[k]period[,max_burst=B]" with period s, m, h or d, e.g. "100/min", "10/5m", "1,000/h". local: keeps it in this process even in cluster mode.
 */
export type Throttle11 = string
/**
 * A rate "[local:]N/[k]period[,max_burst=B]" with period s, m, h or d, e.g. "100/min", "10/5m", "1,000/h". local: keeps it in this process even in cluster mode.
 */
export type Throttle12 = string
/**
 * A rate "[local:]N/[k]period[,max_burst=B]" with period s, m, h or d, e.g. "100/min", "10/5m", "1,000/h". local: keeps it in this process even in cluster mode.
 */
export type Throttle13 = string
/**
 * How long to wait for the TCP connection to open. Default 60s.
 */
export type Duration34 = (string | number)
/**
 * How long to wait for the 220 greeting. Default 60s.
 */
export type Duration35 = (string | number)
/**
 * How long to wait for the EHLO reply. Default 5m.
 */
export type Duration36 = (string | number)
/**
 * How long to wait for the MAIL FROM reply. Default 5m.
 */
export type Duration37 = (string | number)
/**
 * How long to wait for each RCPT TO reply. Default 5m.
 */
export type Duration38 = (string | number)
/**
 * How long to wait for the reply to DATA. Default 5m.
 */
export type Duration39 = (string | number)
/**
 * How long to wait for the reply after the message body (the final dot). Default 5m.
 */
export type Duration40 = (string | number)
/**
 * How long to wait for the RSET reply. Default 5s.
 */
export type Duration41 = (string | number)
/**
 * How long an idle connection stays open waiting for more messages. Default 60s.
 */
export type Duration42 = (string | number)
/**
 * How long to wait for the STARTTLS reply. Default 5s.
 */
export type Duration43 = (string | number)
/**
 * How long the TLS handshake may take after STARTTLS. Default: starttls_timeout.
 */
export type Duration44 = (string | number)
/**
 * How long to wait for the reply to SMTP AUTH. Default 60s.
 */
export type Duration45 = (string | number)
/**
 * How long deliveries on this path may continue after shutdown begins.
 */
export type Duration46 = (string | number)
/**
 * How long a connection may make no progress before it is aborted and its message retried. Default: derived from the other timeouts.
 */
export type Duration47 = (string | number)
/**
 * Accepted for KumoMTA compatibility; kumo-ts re-reads shaping on every decision (each config epoch), so it has no effect.
 */
export type Duration48 = (string | number)
/**
 * After a failed TLS handshake, remember for this long that the site has broken TLS and skip STARTTLS in Opportunistic modes. Off by default.
 */
export type Duration49 = (string | number)
/**
 * Outbound TLS: Opportunistic (default; use STARTTLS when offered, verify the certificate), OpportunisticInsecure (do not verify), Required, RequiredInsecure, or Disabled.
 */
export type TlsMode2 = ("Opportunistic" | "OpportunisticInsecure" | "Required" | "RequiredInsecure" | "Disabled")
/**
 * Password for AUTH PLAIN: a file path, inline key_data, or a Vault entry.
 */
export type KeySource6 = (string | {
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
ttl?: Duration17
})
/**
 * Client certificate (PEM) presented to the destination: a file path, inline key_data, or a Vault entry.
 */
export type KeySource7 = (string | {
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
ttl?: Duration17
})
/**
 * Private key (PEM) of tls_certificate: a file path, inline key_data, or a Vault entry.
 */
export type KeySource8 = (string | {
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
ttl?: Duration17
})
/**
 * Networks that must never be delivered to (mail loops): a site whose MX resolves into them fails at once with 550 5.4.4. Default 127.0.0.0/8, 0.0.0.0, ::1, ::.
 */
export type CidrList4 = Cidr[]
/**
 * Networks removed from the MX address list before connecting (e.g. "::/0" to skip IPv6).
 */
export type CidrList5 = Cidr[]
/**
 * A rate "[local:]N/[k]period[,max_burst=B]" with period s, m, h or d, e.g. "100/min", "10/5m", "1,000/h". local: keeps it in this process even in cluster mode.
 */
export type Throttle14 = string
/**
 * A rate "[local:]N/[k]period[,max_burst=B]" with period s, m, h or d, e.g. "100/min", "10/5m", "1,000/h". local: keeps it in this process even in cluster mode.
 */
export type Throttle15 = string
/**
 * A rate "[local:]N/[k]period[,max_burst=B]" with period s, m, h or d, e.g. "100/min", "10/5m", "1,000/h". local: keeps it in this process even in cluster mode.
 */
export type Throttle16 = string
/**
 * How long to wait for the TCP connection to open. Default 60s.
 */
export type Duration50 = (string | number)
/**
 * How long to wait for the 220 greeting. Default 60s.
 */
export type Duration51 = (string | number)
/**
 * How long to wait for the EHLO reply. Default 5m.
 */
export type Duration52 = (string | number)
/**
 * How long to wait for the MAIL FROM reply. Default 5m.
 */
export type Duration53 = (string | number)
/**
 * How long to wait for each RCPT TO reply. Default 5m.
 */
export type Duration54 = (string | number)
/**
 * How long to wait for the reply to DATA. Default 5m.
 */
export type Duration55 = (string | number)
/**
 * How long to wait for the reply after the message body (the final dot). Default 5m.
 */
export type Duration56 = (string | number)
/**
 * How long to wait for the RSET reply. Default 5s.
 */
export type Duration57 = (string | number)
/**
 * How long an idle connection stays open waiting for more messages. Default 60s.
 */
export type Duration58 = (string | number)
/**
 * How long to wait for the STARTTLS reply. Default 5s.
 */
export type Duration59 = (string | number)
/**
 * How long the TLS handshake may take after STARTTLS. Default: starttls_timeout.
 */
export type Duration60 = (string | number)
/**
 * How long to wait for the reply to SMTP AUTH. Default 60s.
 */
export type Duration61 = (string | number)
/**
 * How long deliveries on this path may continue after shutdown begins.
 */
export type Duration62 = (string | number)
/**
 * How long a connection may make no progress before it is aborted and its message retried. Default: derived from the other timeouts.
 */
export type Duration63 = (string | number)
/**
 * Accepted for KumoMTA compatibility; kumo-ts re-reads shaping on every decision (each config epoch), so it has no effect.
 */
export type Duration64 = (string | number)
/**
 * After a failed TLS handshake, remember for this long that the site has broken TLS and skip STARTTLS in Opportunistic modes. Off by default.
 */
export type Duration65 = (string | number)
/**
 * Outbound TLS: Opportunistic (default; use STARTTLS when offered, verify the certificate), OpportunisticInsecure (do not verify), Required, RequiredInsecure, or Disabled.
 */
export type TlsMode3 = ("Opportunistic" | "OpportunisticInsecure" | "Required" | "RequiredInsecure" | "Disabled")
/**
 * Password for AUTH PLAIN: a file path, inline key_data, or a Vault entry.
 */
export type KeySource9 = (string | {
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
ttl?: Duration17
})
/**
 * Client certificate (PEM) presented to the destination: a file path, inline key_data, or a Vault entry.
 */
export type KeySource10 = (string | {
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
ttl?: Duration17
})
/**
 * Private key (PEM) of tls_certificate: a file path, inline key_data, or a Vault entry.
 */
export type KeySource11 = (string | {
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
ttl?: Duration17
})
/**
 * Networks that must never be delivered to (mail loops): a site whose MX resolves into them fails at once with 550 5.4.4. Default 127.0.0.0/8, 0.0.0.0, ::1, ::.
 */
export type CidrList6 = Cidr[]
/**
 * Networks removed from the MX address list before connecting (e.g. "::/0" to skip IPv6).
 */
export type CidrList7 = Cidr[]
/**
 * A rate "[local:]N/[k]period[,max_burst=B]" with period s, m, h or d, e.g. "100/min", "10/5m", "1,000/h". local: keeps it in this process even in cluster mode.
 */
export type Throttle17 = string
/**
 * A rate "[local:]N/[k]period[,max_burst=B]" with period s, m, h or d, e.g. "100/min", "10/5m", "1,000/h". local: keeps it in this process even in cluster mode.
 */
export type Throttle18 = string
/**
 * A rate "[local:]N/[k]period[,max_burst=B]" with period s, m, h or d, e.g. "100/min", "10/5m", "1,000/h". local: keeps it in this process even in cluster mode.
 */
export type Throttle19 = string
/**
 * How long to wait for the TCP connection to open. Default 60s.
 */
export type Duration66 = (string | number)
/**
 * How long to wait for the 220 greeting. Default 60s.
 */
export type Duration67 = (string | number)
/**
 * How long to wait for the EHLO reply. Default 5m.
 */
export type Duration68 = (string | number)
/**
 * How long to wait for the MAIL FROM reply. Default 5m.
 */
export type Duration69 = (string | number)
/**
 * How long to wait for each RCPT TO reply. Default 5m.
 */
export type Duration70 = (string | number)
/**
 * How long to wait for the reply to DATA. Default 5m.
 */
export type Duration71 = (string | number)
/**
 * How long to wait for the reply after the message body (the final dot). Default 5m.
 */
export type Duration72 = (string | number)
/**
 * How long to wait for the RSET reply. Default 5s.
 */
export type Duration73 = (string | number)
/**
 * How long an idle connection stays open waiting for more messages. Default 60s.
 */
export type Duration74 = (string | number)
/**
 * How long to wait for the STARTTLS reply. Default 5s.
 */
export type Duration75 = (string | number)
/**
 * How long the TLS handshake may take after STARTTLS. Default: starttls_timeout.
 */
export type Duration76 = (string | number)
/**
 * How long to wait for the reply to SMTP AUTH. Default 60s.
 */
export type Duration77 = (string | number)
/**
 * How long deliveries on this path may continue after shutdown begins.
 */
export type Duration78 = (string | number)
/**
 * How long a connection may make no progress before it is aborted and its message retried. Default: derived from the other timeouts.
 */
export type Duration79 = (string | number)
/**
 * Accepted for KumoMTA compatibility; kumo-ts re-reads shaping on every decision (each config epoch), so it has no effect.
 */
export type Duration80 = (string | number)
/**
 * After a failed TLS handshake, remember for this long that the site has broken TLS and skip STARTTLS in Opportunistic modes. Off by default.
 */
export type Duration81 = (string | number)
/**
 * Outbound TLS: Opportunistic (default; use STARTTLS when offered, verify the certificate), OpportunisticInsecure (do not verify), Required, RequiredInsecure, or Disabled.
 */
export type TlsMode4 = ("Opportunistic" | "OpportunisticInsecure" | "Required" | "RequiredInsecure" | "Disabled")
/**
 * Password for AUTH PLAIN: a file path, inline key_data, or a Vault entry.
 */
export type KeySource12 = (string | {
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
ttl?: Duration17
})
/**
 * Client certificate (PEM) presented to the destination: a file path, inline key_data, or a Vault entry.
 */
export type KeySource13 = (string | {
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
ttl?: Duration17
})
/**
 * Private key (PEM) of tls_certificate: a file path, inline key_data, or a Vault entry.
 */
export type KeySource14 = (string | {
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
ttl?: Duration17
})
/**
 * Networks that must never be delivered to (mail loops): a site whose MX resolves into them fails at once with 550 5.4.4. Default 127.0.0.0/8, 0.0.0.0, ::1, ::.
 */
export type CidrList8 = Cidr[]
/**
 * Networks removed from the MX address list before connecting (e.g. "::/0" to skip IPv6).
 */
export type CidrList9 = Cidr[]

/**
 * A traffic-shaping file (KumoMTA shaping.toml format): ["default"], one block per destination domain (applied to its MX site unless mx_rollup = false), [provider."name"] blocks matched by MX or domain suffix, and automation rules. Files are layered in order; later files win.
 */
export interface ShapingFile {
[k: string]: DomainBlock
}
/**
 * Settings for every destination, before providers, sites and domains refine them.
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
max_connection_rate?: Throttle5
max_message_rate?: Throttle6
/**
 * Extra named message-rate throttles shared by every path naming them. Map of name to throttle; merged entry by entry across layers.
 */
additional_message_rate_throttles?: {
[k: string]: Throttle3
}
source_selection_rate?: Throttle7
/**
 * Extra named source-selection throttles shared by every path naming them. Map of name to throttle.
 */
additional_source_selection_rates?: {
[k: string]: Throttle3
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
 * Most RCPT TO commands in one transaction; larger recipient lists are sent in several transactions. Default 100.
 */
max_recipients_per_batch?: number
/**
 * Connection failures in a row after which the ready queue is delayed (its messages go back to the scheduled queue for a retry). Default 100.
 */
consecutive_connection_failures_before_delay?: number
/**
 * Most addresses kept for one MX host when planning connections. Default 10.
 */
max_mx_addresses_per_host?: number
/**
 * Most addresses kept in the connection plan of a site, in MX preference order. Default 50.
 */
max_mx_plan_size?: number
/**
 * TCP port of the destination MX hosts. Default 25.
 */
smtp_port?: number
connect_timeout?: Duration18
banner_timeout?: Duration19
ehlo_timeout?: Duration20
mail_from_timeout?: Duration21
rcpt_to_timeout?: Duration22
data_timeout?: Duration23
data_dot_timeout?: Duration24
rset_timeout?: Duration25
idle_timeout?: Duration26
starttls_timeout?: Duration27
tls_handshake_timeout?: Duration28
auth_timeout?: Duration29
system_shutdown_timeout?: Duration30
dispatcher_progress_watchdog_timeout?: Duration31
refresh_interval?: Duration32
remember_broken_tls?: Duration33
enable_tls?: TlsMode1
/**
 * Apply the destination's MTA-STS policy (RFC 8461): enforce makes TLS Required. Default true.
 */
enable_mta_sts?: boolean
/**
 * Use DANE TLSA records (RFC 7672; needs a DNSSEC-validating resolver): when present, TLS is required and verified against them. Default false.
 */
enable_dane?: boolean
/**
 * Accepted for KumoMTA compatibility (kumo-ts always uses Node's OpenSSL). Default false.
 */
tls_prefer_openssl?: boolean
/**
 * In Opportunistic modes, reconnect without TLS after a failed handshake. Default false.
 */
opportunistic_tls_reconnect_on_failed_handshake?: boolean
/**
 * Use PIPELINING when the server offers it. Default true.
 */
enable_pipelining?: boolean
/**
 * Send RSET between transactions on a reused connection. Default true.
 */
enable_rset?: boolean
/**
 * Send 8-bit content even when the server does not offer 8BITMIME. Default false.
 */
ignore_8bit_checks?: boolean
/**
 * After a transport error mid-transaction, retry the message on the next MX host at once. Default false.
 */
try_next_host_on_transport_error?: boolean
/**
 * Speak LMTP instead of SMTP to the destination. Default false.
 */
use_lmtp?: boolean
/**
 * Open new connections eagerly up to connection_limit instead of one at a time. Default false.
 */
aggressive_connection_opening?: boolean
/**
 * Allow AUTH PLAIN over an unencrypted connection. Default false.
 */
allow_smtp_auth_plain_without_tls?: boolean
/**
 * Allow AUTH PLAIN when the server certificate did not verify. Default false.
 */
allow_smtp_auth_plain_without_valid_certificate?: boolean
/**
 * Deprecated KumoMTA key, accepted and ignored (use automation or the admin API to suspend).
 */
suspended?: boolean
/**
 * What to do after an error while delivering on an open connection: close the session, reconnect to the same host, or go on to the next MX host (default ConnectNextHost).
 */
reconnect_strategy?: ("TerminateSession" | "ReconnectSameHost" | "ConnectNextHost")
/**
 * Accepted for KumoMTA compatibility; kumo-ts always refreshes on a new config epoch.
 */
refresh_strategy?: ("Ttl" | "Epoch")
/**
 * How many idle connections wake when a message enters the ready queue: all (Aggressive, default) or one (Relaxed).
 */
dispatcher_wakeup_strategy?: ("Aggressive" | "Relaxed")
/**
 * How eagerly the ready-queue maintainer wakes to open connections (Aggressive, default, or Relaxed).
 */
maintainer_wakeup_strategy?: ("Aggressive" | "Relaxed")
/**
 * What to release from memory for messages entering the ready queue when memory is low. Default ShrinkDataAndMeta.
 */
low_memory_reduction_policy?: ("ShrinkDataAndMeta" | "ShrinkData" | "NoShrink")
/**
 * What to release from memory for messages entering the ready queue when memory is exhausted. Default ShrinkDataAndMeta.
 */
no_memory_reduction_policy?: ("ShrinkDataAndMeta" | "ShrinkData" | "NoShrink")
/**
 * Which address records of the MX hosts are used. Default Ipv4AndIpv6.
 */
ip_lookup_strategy?: ("Ipv4AndIpv6" | "Ipv4Only" | "Ipv6Only" | "Ipv6ThenIpv4" | "Ipv4ThenIpv6")
/**
 * Name sent in EHLO on this path (default: the egress source's ehlo_domain, else the node hostname).
 */
ehlo_domain?: string
/**
 * Provider name used in metrics and logs for this path (set automatically when a provider block matches).
 */
provider_name?: string
/**
 * User name for AUTH PLAIN to the destination (smarthosts).
 */
smtp_auth_plain_username?: string
smtp_auth_plain_password?: KeySource3
tls_certificate?: KeySource4
tls_private_key?: KeySource5
/**
 * OpenSSL cipher list for TLS 1.2 and below (OpenSSL syntax).
 */
openssl_cipher_list?: string
/**
 * OpenSSL TLS 1.3 cipher suites, colon separated.
 */
openssl_cipher_suites?: string
/**
 * OpenSSL option names joined by "|", e.g. "NO_TLSV1|NO_TLSV1_1".
 */
openssl_options?: string
/**
 * Accepted for KumoMTA compatibility: rustls cipher suite names (kumo-ts uses OpenSSL).
 */
rustls_cipher_suites?: string[]
prohibited_hosts?: CidrList2
skip_hosts?: CidrList3
}
/**
 * When a delivery response matches regex (and the trigger fires), apply the actions for duration.
 */
export interface AutomationRule {
/**
 * Regular expression(s) tested against the response line "CODE [ENHANCED ]TEXT"; any match counts.
 */
regex: (string | [string, ...(string)[]])
/**
 * One action or a list. Suspend (this source → site), SuspendTenant / SuspendCampaign (the tenant or campaign to this domain), Bounce / BounceTenant / BounceCampaign (bounce instead of delivering), {SetConfig = {name, value}}, {SetDomainConfig = {name, value}}.
 */
action: (("Suspend" | "SuspendTenant" | "SuspendCampaign" | "Bounce" | "BounceTenant" | "BounceCampaign") | {
SetConfig: ConfigValue
} | {
SetDomainConfig: ConfigValue1
} | [AutomationAction, ...(AutomationAction)[]])
/**
 * "Immediate" (default): act on the first match; {Threshold = "N/period"}: act once N matches were seen within the period on the same path.
 */
trigger?: ("Immediate" | {
Threshold: Throttle
})
duration: Duration
/**
 * Also test responses kumo-ts made up itself (connection failures, timeouts). Default false.
 */
match_internal?: boolean
}
/**
 * Override one setting for this source → site (rollup rules) or source → domain (provider and exact-domain rules).
 */
export interface ConfigValue {
/**
 * An egress-path setting name, e.g. "max_message_rate".
 */
name: ("connection_limit" | "additional_connection_limits" | "max_connection_rate" | "max_message_rate" | "additional_message_rate_throttles" | "source_selection_rate" | "additional_source_selection_rates" | "max_deliveries_per_connection" | "max_ready" | "max_recipients_per_batch" | "consecutive_connection_failures_before_delay" | "max_mx_addresses_per_host" | "max_mx_plan_size" | "smtp_port" | "connect_timeout" | "banner_timeout" | "ehlo_timeout" | "mail_from_timeout" | "rcpt_to_timeout" | "data_timeout" | "data_dot_timeout" | "rset_timeout" | "idle_timeout" | "starttls_timeout" | "tls_handshake_timeout" | "auth_timeout" | "system_shutdown_timeout" | "dispatcher_progress_watchdog_timeout" | "refresh_interval" | "remember_broken_tls" | "enable_tls" | "enable_mta_sts" | "enable_dane" | "tls_prefer_openssl" | "opportunistic_tls_reconnect_on_failed_handshake" | "enable_pipelining" | "enable_rset" | "ignore_8bit_checks" | "try_next_host_on_transport_error" | "use_lmtp" | "aggressive_connection_opening" | "allow_smtp_auth_plain_without_tls" | "allow_smtp_auth_plain_without_valid_certificate" | "suspended" | "reconnect_strategy" | "refresh_strategy" | "dispatcher_wakeup_strategy" | "maintainer_wakeup_strategy" | "low_memory_reduction_policy" | "no_memory_reduction_policy" | "ip_lookup_strategy" | "ehlo_domain" | "provider_name" | "openssl_cipher_list" | "openssl_cipher_suites" | "openssl_options" | "rustls_cipher_suites" | "prohibited_hosts" | "skip_hosts")
/**
 * Its value, written as in a block.
 */
value: (string | number | boolean | unknown[] | {

})
}
/**
 * Override one setting for the destination domain, from every source.
 */
export interface ConfigValue1 {
/**
 * An egress-path setting name, e.g. "max_message_rate".
 */
name: ("connection_limit" | "additional_connection_limits" | "max_connection_rate" | "max_message_rate" | "additional_message_rate_throttles" | "source_selection_rate" | "additional_source_selection_rates" | "max_deliveries_per_connection" | "max_ready" | "max_recipients_per_batch" | "consecutive_connection_failures_before_delay" | "max_mx_addresses_per_host" | "max_mx_plan_size" | "smtp_port" | "connect_timeout" | "banner_timeout" | "ehlo_timeout" | "mail_from_timeout" | "rcpt_to_timeout" | "data_timeout" | "data_dot_timeout" | "rset_timeout" | "idle_timeout" | "starttls_timeout" | "tls_handshake_timeout" | "auth_timeout" | "system_shutdown_timeout" | "dispatcher_progress_watchdog_timeout" | "refresh_interval" | "remember_broken_tls" | "enable_tls" | "enable_mta_sts" | "enable_dane" | "tls_prefer_openssl" | "opportunistic_tls_reconnect_on_failed_handshake" | "enable_pipelining" | "enable_rset" | "ignore_8bit_checks" | "try_next_host_on_transport_error" | "use_lmtp" | "aggressive_connection_opening" | "allow_smtp_auth_plain_without_tls" | "allow_smtp_auth_plain_without_valid_certificate" | "suspended" | "reconnect_strategy" | "refresh_strategy" | "dispatcher_wakeup_strategy" | "maintainer_wakeup_strategy" | "low_memory_reduction_policy" | "no_memory_reduction_policy" | "ip_lookup_strategy" | "ehlo_domain" | "provider_name" | "openssl_cipher_list" | "openssl_cipher_suites" | "openssl_options" | "rustls_cipher_suites" | "prohibited_hosts" | "skip_hosts")
/**
 * Its value, written as in a block.
 */
value: (string | number | boolean | unknown[] | {

})
}
/**
 * Override one setting for this source → site (rollup rules) or source → domain (provider and exact-domain rules).
 */
export interface ConfigValue2 {
/**
 * An egress-path setting name, e.g. "max_message_rate".
 */
name: ("connection_limit" | "additional_connection_limits" | "max_connection_rate" | "max_message_rate" | "additional_message_rate_throttles" | "source_selection_rate" | "additional_source_selection_rates" | "max_deliveries_per_connection" | "max_ready" | "max_recipients_per_batch" | "consecutive_connection_failures_before_delay" | "max_mx_addresses_per_host" | "max_mx_plan_size" | "smtp_port" | "connect_timeout" | "banner_timeout" | "ehlo_timeout" | "mail_from_timeout" | "rcpt_to_timeout" | "data_timeout" | "data_dot_timeout" | "rset_timeout" | "idle_timeout" | "starttls_timeout" | "tls_handshake_timeout" | "auth_timeout" | "system_shutdown_timeout" | "dispatcher_progress_watchdog_timeout" | "refresh_interval" | "remember_broken_tls" | "enable_tls" | "enable_mta_sts" | "enable_dane" | "tls_prefer_openssl" | "opportunistic_tls_reconnect_on_failed_handshake" | "enable_pipelining" | "enable_rset" | "ignore_8bit_checks" | "try_next_host_on_transport_error" | "use_lmtp" | "aggressive_connection_opening" | "allow_smtp_auth_plain_without_tls" | "allow_smtp_auth_plain_without_valid_certificate" | "suspended" | "reconnect_strategy" | "refresh_strategy" | "dispatcher_wakeup_strategy" | "maintainer_wakeup_strategy" | "low_memory_reduction_policy" | "no_memory_reduction_policy" | "ip_lookup_strategy" | "ehlo_domain" | "provider_name" | "openssl_cipher_list" | "openssl_cipher_suites" | "openssl_options" | "rustls_cipher_suites" | "prohibited_hosts" | "skip_hosts")
/**
 * Its value, written as in a block.
 */
value: (string | number | boolean | unknown[] | {

})
}
/**
 * Override one setting for the destination domain, from every source.
 */
export interface ConfigValue3 {
/**
 * An egress-path setting name, e.g. "max_message_rate".
 */
name: ("connection_limit" | "additional_connection_limits" | "max_connection_rate" | "max_message_rate" | "additional_message_rate_throttles" | "source_selection_rate" | "additional_source_selection_rates" | "max_deliveries_per_connection" | "max_ready" | "max_recipients_per_batch" | "consecutive_connection_failures_before_delay" | "max_mx_addresses_per_host" | "max_mx_plan_size" | "smtp_port" | "connect_timeout" | "banner_timeout" | "ehlo_timeout" | "mail_from_timeout" | "rcpt_to_timeout" | "data_timeout" | "data_dot_timeout" | "rset_timeout" | "idle_timeout" | "starttls_timeout" | "tls_handshake_timeout" | "auth_timeout" | "system_shutdown_timeout" | "dispatcher_progress_watchdog_timeout" | "refresh_interval" | "remember_broken_tls" | "enable_tls" | "enable_mta_sts" | "enable_dane" | "tls_prefer_openssl" | "opportunistic_tls_reconnect_on_failed_handshake" | "enable_pipelining" | "enable_rset" | "ignore_8bit_checks" | "try_next_host_on_transport_error" | "use_lmtp" | "aggressive_connection_opening" | "allow_smtp_auth_plain_without_tls" | "allow_smtp_auth_plain_without_valid_certificate" | "suspended" | "reconnect_strategy" | "refresh_strategy" | "dispatcher_wakeup_strategy" | "maintainer_wakeup_strategy" | "low_memory_reduction_policy" | "no_memory_reduction_policy" | "ip_lookup_strategy" | "ehlo_domain" | "provider_name" | "openssl_cipher_list" | "openssl_cipher_suites" | "openssl_options" | "rustls_cipher_suites" | "prohibited_hosts" | "skip_hosts")
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
max_connection_rate?: Throttle1
max_message_rate?: Throttle2
/**
 * Extra named message-rate throttles shared by every path naming them. Map of name to throttle; merged entry by entry across layers.
 */
additional_message_rate_throttles?: {
[k: string]: Throttle3
}
source_selection_rate?: Throttle4
/**
 * Extra named source-selection throttles shared by every path naming them. Map of name to throttle.
 */
additional_source_selection_rates?: {
[k: string]: Throttle3
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
 * Most RCPT TO commands in one transaction; larger recipient lists are sent in several transactions. Default 100.
 */
max_recipients_per_batch?: number
/**
 * Connection failures in a row after which the ready queue is delayed (its messages go back to the scheduled queue for a retry). Default 100.
 */
consecutive_connection_failures_before_delay?: number
/**
 * Most addresses kept for one MX host when planning connections. Default 10.
 */
max_mx_addresses_per_host?: number
/**
 * Most addresses kept in the connection plan of a site, in MX preference order. Default 50.
 */
max_mx_plan_size?: number
/**
 * TCP port of the destination MX hosts. Default 25.
 */
smtp_port?: number
connect_timeout?: Duration1
banner_timeout?: Duration2
ehlo_timeout?: Duration3
mail_from_timeout?: Duration4
rcpt_to_timeout?: Duration5
data_timeout?: Duration6
data_dot_timeout?: Duration7
rset_timeout?: Duration8
idle_timeout?: Duration9
starttls_timeout?: Duration10
tls_handshake_timeout?: Duration11
auth_timeout?: Duration12
system_shutdown_timeout?: Duration13
dispatcher_progress_watchdog_timeout?: Duration14
refresh_interval?: Duration15
remember_broken_tls?: Duration16
enable_tls?: TlsMode
/**
 * Apply the destination's MTA-STS policy (RFC 8461): enforce makes TLS Required. Default true.
 */
enable_mta_sts?: boolean
/**
 * Use DANE TLSA records (RFC 7672; needs a DNSSEC-validating resolver): when present, TLS is required and verified against them. Default false.
 */
enable_dane?: boolean
/**
 * Accepted for KumoMTA compatibility (kumo-ts always uses Node's OpenSSL). Default false.
 */
tls_prefer_openssl?: boolean
/**
 * In Opportunistic modes, reconnect without TLS after a failed handshake. Default false.
 */
opportunistic_tls_reconnect_on_failed_handshake?: boolean
/**
 * Use PIPELINING when the server offers it. Default true.
 */
enable_pipelining?: boolean
/**
 * Send RSET between transactions on a reused connection. Default true.
 */
enable_rset?: boolean
/**
 * Send 8-bit content even when the server does not offer 8BITMIME. Default false.
 */
ignore_8bit_checks?: boolean
/**
 * After a transport error mid-transaction, retry the message on the next MX host at once. Default false.
 */
try_next_host_on_transport_error?: boolean
/**
 * Speak LMTP instead of SMTP to the destination. Default false.
 */
use_lmtp?: boolean
/**
 * Open new connections eagerly up to connection_limit instead of one at a time. Default false.
 */
aggressive_connection_opening?: boolean
/**
 * Allow AUTH PLAIN over an unencrypted connection. Default false.
 */
allow_smtp_auth_plain_without_tls?: boolean
/**
 * Allow AUTH PLAIN when the server certificate did not verify. Default false.
 */
allow_smtp_auth_plain_without_valid_certificate?: boolean
/**
 * Deprecated KumoMTA key, accepted and ignored (use automation or the admin API to suspend).
 */
suspended?: boolean
/**
 * What to do after an error while delivering on an open connection: close the session, reconnect to the same host, or go on to the next MX host (default ConnectNextHost).
 */
reconnect_strategy?: ("TerminateSession" | "ReconnectSameHost" | "ConnectNextHost")
/**
 * Accepted for KumoMTA compatibility; kumo-ts always refreshes on a new config epoch.
 */
refresh_strategy?: ("Ttl" | "Epoch")
/**
 * How many idle connections wake when a message enters the ready queue: all (Aggressive, default) or one (Relaxed).
 */
dispatcher_wakeup_strategy?: ("Aggressive" | "Relaxed")
/**
 * How eagerly the ready-queue maintainer wakes to open connections (Aggressive, default, or Relaxed).
 */
maintainer_wakeup_strategy?: ("Aggressive" | "Relaxed")
/**
 * What to release from memory for messages entering the ready queue when memory is low. Default ShrinkDataAndMeta.
 */
low_memory_reduction_policy?: ("ShrinkDataAndMeta" | "ShrinkData" | "NoShrink")
/**
 * What to release from memory for messages entering the ready queue when memory is exhausted. Default ShrinkDataAndMeta.
 */
no_memory_reduction_policy?: ("ShrinkDataAndMeta" | "ShrinkData" | "NoShrink")
/**
 * Which address records of the MX hosts are used. Default Ipv4AndIpv6.
 */
ip_lookup_strategy?: ("Ipv4AndIpv6" | "Ipv4Only" | "Ipv6Only" | "Ipv6ThenIpv4" | "Ipv4ThenIpv6")
/**
 * Name sent in EHLO on this path (default: the egress source's ehlo_domain, else the node hostname).
 */
ehlo_domain?: string
/**
 * Provider name used in metrics and logs for this path (set automatically when a provider block matches).
 */
provider_name?: string
/**
 * User name for AUTH PLAIN to the destination (smarthosts).
 */
smtp_auth_plain_username?: string
smtp_auth_plain_password?: KeySource
tls_certificate?: KeySource1
tls_private_key?: KeySource2
/**
 * OpenSSL cipher list for TLS 1.2 and below (OpenSSL syntax).
 */
openssl_cipher_list?: string
/**
 * OpenSSL TLS 1.3 cipher suites, colon separated.
 */
openssl_cipher_suites?: string
/**
 * OpenSSL option names joined by "|", e.g. "NO_TLSV1|NO_TLSV1_1".
 */
openssl_options?: string
/**
 * Accepted for KumoMTA compatibility: rustls cipher suite names (kumo-ts uses OpenSSL).
 */
rustls_cipher_suites?: string[]
prohibited_hosts?: CidrList
skip_hosts?: CidrList1
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
provider_max_message_rate?: Throttle8
provider_source_selection_rate?: Throttle9
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
max_connection_rate?: Throttle14
max_message_rate?: Throttle15
/**
 * Extra named message-rate throttles shared by every path naming them. Map of name to throttle; merged entry by entry across layers.
 */
additional_message_rate_throttles?: {
[k: string]: Throttle3
}
source_selection_rate?: Throttle16
/**
 * Extra named source-selection throttles shared by every path naming them. Map of name to throttle.
 */
additional_source_selection_rates?: {
[k: string]: Throttle3
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
 * Most RCPT TO commands in one transaction; larger recipient lists are sent in several transactions. Default 100.
 */
max_recipients_per_batch?: number
/**
 * Connection failures in a row after which the ready queue is delayed (its messages go back to the scheduled queue for a retry). Default 100.
 */
consecutive_connection_failures_before_delay?: number
/**
 * Most addresses kept for one MX host when planning connections. Default 10.
 */
max_mx_addresses_per_host?: number
/**
 * Most addresses kept in the connection plan of a site, in MX preference order. Default 50.
 */
max_mx_plan_size?: number
/**
 * TCP port of the destination MX hosts. Default 25.
 */
smtp_port?: number
connect_timeout?: Duration50
banner_timeout?: Duration51
ehlo_timeout?: Duration52
mail_from_timeout?: Duration53
rcpt_to_timeout?: Duration54
data_timeout?: Duration55
data_dot_timeout?: Duration56
rset_timeout?: Duration57
idle_timeout?: Duration58
starttls_timeout?: Duration59
tls_handshake_timeout?: Duration60
auth_timeout?: Duration61
system_shutdown_timeout?: Duration62
dispatcher_progress_watchdog_timeout?: Duration63
refresh_interval?: Duration64
remember_broken_tls?: Duration65
enable_tls?: TlsMode3
/**
 * Apply the destination's MTA-STS policy (RFC 8461): enforce makes TLS Required. Default true.
 */
enable_mta_sts?: boolean
/**
 * Use DANE TLSA records (RFC 7672; needs a DNSSEC-validating resolver): when present, TLS is required and verified against them. Default false.
 */
enable_dane?: boolean
/**
 * Accepted for KumoMTA compatibility (kumo-ts always uses Node's OpenSSL). Default false.
 */
tls_prefer_openssl?: boolean
/**
 * In Opportunistic modes, reconnect without TLS after a failed handshake. Default false.
 */
opportunistic_tls_reconnect_on_failed_handshake?: boolean
/**
 * Use PIPELINING when the server offers it. Default true.
 */
enable_pipelining?: boolean
/**
 * Send RSET between transactions on a reused connection. Default true.
 */
enable_rset?: boolean
/**
 * Send 8-bit content even when the server does not offer 8BITMIME. Default false.
 */
ignore_8bit_checks?: boolean
/**
 * After a transport error mid-transaction, retry the message on the next MX host at once. Default false.
 */
try_next_host_on_transport_error?: boolean
/**
 * Speak LMTP instead of SMTP to the destination. Default false.
 */
use_lmtp?: boolean
/**
 * Open new connections eagerly up to connection_limit instead of one at a time. Default false.
 */
aggressive_connection_opening?: boolean
/**
 * Allow AUTH PLAIN over an unencrypted connection. Default false.
 */
allow_smtp_auth_plain_without_tls?: boolean
/**
 * Allow AUTH PLAIN when the server certificate did not verify. Default false.
 */
allow_smtp_auth_plain_without_valid_certificate?: boolean
/**
 * Deprecated KumoMTA key, accepted and ignored (use automation or the admin API to suspend).
 */
suspended?: boolean
/**
 * What to do after an error while delivering on an open connection: close the session, reconnect to the same host, or go on to the next MX host (default ConnectNextHost).
 */
reconnect_strategy?: ("TerminateSession" | "ReconnectSameHost" | "ConnectNextHost")
/**
 * Accepted for KumoMTA compatibility; kumo-ts always refreshes on a new config epoch.
 */
refresh_strategy?: ("Ttl" | "Epoch")
/**
 * How many idle connections wake when a message enters the ready queue: all (Aggressive, default) or one (Relaxed).
 */
dispatcher_wakeup_strategy?: ("Aggressive" | "Relaxed")
/**
 * How eagerly the ready-queue maintainer wakes to open connections (Aggressive, default, or Relaxed).
 */
maintainer_wakeup_strategy?: ("Aggressive" | "Relaxed")
/**
 * What to release from memory for messages entering the ready queue when memory is low. Default ShrinkDataAndMeta.
 */
low_memory_reduction_policy?: ("ShrinkDataAndMeta" | "ShrinkData" | "NoShrink")
/**
 * What to release from memory for messages entering the ready queue when memory is exhausted. Default ShrinkDataAndMeta.
 */
no_memory_reduction_policy?: ("ShrinkDataAndMeta" | "ShrinkData" | "NoShrink")
/**
 * Which address records of the MX hosts are used. Default Ipv4AndIpv6.
 */
ip_lookup_strategy?: ("Ipv4AndIpv6" | "Ipv4Only" | "Ipv6Only" | "Ipv6ThenIpv4" | "Ipv4ThenIpv6")
/**
 * Name sent in EHLO on this path (default: the egress source's ehlo_domain, else the node hostname).
 */
ehlo_domain?: string
/**
 * Provider name used in metrics and logs for this path (set automatically when a provider block matches).
 */
provider_name?: string
/**
 * User name for AUTH PLAIN to the destination (smarthosts).
 */
smtp_auth_plain_username?: string
smtp_auth_plain_password?: KeySource9
tls_certificate?: KeySource10
tls_private_key?: KeySource11
/**
 * OpenSSL cipher list for TLS 1.2 and below (OpenSSL syntax).
 */
openssl_cipher_list?: string
/**
 * OpenSSL TLS 1.3 cipher suites, colon separated.
 */
openssl_cipher_suites?: string
/**
 * OpenSSL option names joined by "|", e.g. "NO_TLSV1|NO_TLSV1_1".
 */
openssl_options?: string
/**
 * Accepted for KumoMTA compatibility: rustls cipher suite names (kumo-ts uses OpenSSL).
 */
rustls_cipher_suites?: string[]
prohibited_hosts?: CidrList6
skip_hosts?: CidrList7
}
/**
 * Settings for one egress source to a provider.
 */
export interface ProviderSourceBlock {
provider_source_selection_rate?: Throttle10
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
max_connection_rate?: Throttle11
max_message_rate?: Throttle12
/**
 * Extra named message-rate throttles shared by every path naming them. Map of name to throttle; merged entry by entry across layers.
 */
additional_message_rate_throttles?: {
[k: string]: Throttle3
}
source_selection_rate?: Throttle13
/**
 * Extra named source-selection throttles shared by every path naming them. Map of name to throttle.
 */
additional_source_selection_rates?: {
[k: string]: Throttle3
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
 * Most RCPT TO commands in one transaction; larger recipient lists are sent in several transactions. Default 100.
 */
max_recipients_per_batch?: number
/**
 * Connection failures in a row after which the ready queue is delayed (its messages go back to the scheduled queue for a retry). Default 100.
 */
consecutive_connection_failures_before_delay?: number
/**
 * Most addresses kept for one MX host when planning connections. Default 10.
 */
max_mx_addresses_per_host?: number
/**
 * Most addresses kept in the connection plan of a site, in MX preference order. Default 50.
 */
max_mx_plan_size?: number
/**
 * TCP port of the destination MX hosts. Default 25.
 */
smtp_port?: number
connect_timeout?: Duration34
banner_timeout?: Duration35
ehlo_timeout?: Duration36
mail_from_timeout?: Duration37
rcpt_to_timeout?: Duration38
data_timeout?: Duration39
data_dot_timeout?: Duration40
rset_timeout?: Duration41
idle_timeout?: Duration42
starttls_timeout?: Duration43
tls_handshake_timeout?: Duration44
auth_timeout?: Duration45
system_shutdown_timeout?: Duration46
dispatcher_progress_watchdog_timeout?: Duration47
refresh_interval?: Duration48
remember_broken_tls?: Duration49
enable_tls?: TlsMode2
/**
 * Apply the destination's MTA-STS policy (RFC 8461): enforce makes TLS Required. Default true.
 */
enable_mta_sts?: boolean
/**
 * Use DANE TLSA records (RFC 7672; needs a DNSSEC-validating resolver): when present, TLS is required and verified against them. Default false.
 */
enable_dane?: boolean
/**
 * Accepted for KumoMTA compatibility (kumo-ts always uses Node's OpenSSL). Default false.
 */
tls_prefer_openssl?: boolean
/**
 * In Opportunistic modes, reconnect without TLS after a failed handshake. Default false.
 */
opportunistic_tls_reconnect_on_failed_handshake?: boolean
/**
 * Use PIPELINING when the server offers it. Default true.
 */
enable_pipelining?: boolean
/**
 * Send RSET between transactions on a reused connection. Default true.
 */
enable_rset?: boolean
/**
 * Send 8-bit content even when the server does not offer 8BITMIME. Default false.
 */
ignore_8bit_checks?: boolean
/**
 * After a transport error mid-transaction, retry the message on the next MX host at once. Default false.
 */
try_next_host_on_transport_error?: boolean
/**
 * Speak LMTP instead of SMTP to the destination. Default false.
 */
use_lmtp?: boolean
/**
 * Open new connections eagerly up to connection_limit instead of one at a time. Default false.
 */
aggressive_connection_opening?: boolean
/**
 * Allow AUTH PLAIN over an unencrypted connection. Default false.
 */
allow_smtp_auth_plain_without_tls?: boolean
/**
 * Allow AUTH PLAIN when the server certificate did not verify. Default false.
 */
allow_smtp_auth_plain_without_valid_certificate?: boolean
/**
 * Deprecated KumoMTA key, accepted and ignored (use automation or the admin API to suspend).
 */
suspended?: boolean
/**
 * What to do after an error while delivering on an open connection: close the session, reconnect to the same host, or go on to the next MX host (default ConnectNextHost).
 */
reconnect_strategy?: ("TerminateSession" | "ReconnectSameHost" | "ConnectNextHost")
/**
 * Accepted for KumoMTA compatibility; kumo-ts always refreshes on a new config epoch.
 */
refresh_strategy?: ("Ttl" | "Epoch")
/**
 * How many idle connections wake when a message enters the ready queue: all (Aggressive, default) or one (Relaxed).
 */
dispatcher_wakeup_strategy?: ("Aggressive" | "Relaxed")
/**
 * How eagerly the ready-queue maintainer wakes to open connections (Aggressive, default, or Relaxed).
 */
maintainer_wakeup_strategy?: ("Aggressive" | "Relaxed")
/**
 * What to release from memory for messages entering the ready queue when memory is low. Default ShrinkDataAndMeta.
 */
low_memory_reduction_policy?: ("ShrinkDataAndMeta" | "ShrinkData" | "NoShrink")
/**
 * What to release from memory for messages entering the ready queue when memory is exhausted. Default ShrinkDataAndMeta.
 */
no_memory_reduction_policy?: ("ShrinkDataAndMeta" | "ShrinkData" | "NoShrink")
/**
 * Which address records of the MX hosts are used. Default Ipv4AndIpv6.
 */
ip_lookup_strategy?: ("Ipv4AndIpv6" | "Ipv4Only" | "Ipv6Only" | "Ipv6ThenIpv4" | "Ipv4ThenIpv6")
/**
 * Name sent in EHLO on this path (default: the egress source's ehlo_domain, else the node hostname).
 */
ehlo_domain?: string
/**
 * Provider name used in metrics and logs for this path (set automatically when a provider block matches).
 */
provider_name?: string
/**
 * User name for AUTH PLAIN to the destination (smarthosts).
 */
smtp_auth_plain_username?: string
smtp_auth_plain_password?: KeySource6
tls_certificate?: KeySource7
tls_private_key?: KeySource8
/**
 * OpenSSL cipher list for TLS 1.2 and below (OpenSSL syntax).
 */
openssl_cipher_list?: string
/**
 * OpenSSL TLS 1.3 cipher suites, colon separated.
 */
openssl_cipher_suites?: string
/**
 * OpenSSL option names joined by "|", e.g. "NO_TLSV1|NO_TLSV1_1".
 */
openssl_options?: string
/**
 * Accepted for KumoMTA compatibility: rustls cipher suite names (kumo-ts uses OpenSSL).
 */
rustls_cipher_suites?: string[]
prohibited_hosts?: CidrList4
skip_hosts?: CidrList5
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
max_connection_rate?: Throttle17
max_message_rate?: Throttle18
/**
 * Extra named message-rate throttles shared by every path naming them. Map of name to throttle; merged entry by entry across layers.
 */
additional_message_rate_throttles?: {
[k: string]: Throttle3
}
source_selection_rate?: Throttle19
/**
 * Extra named source-selection throttles shared by every path naming them. Map of name to throttle.
 */
additional_source_selection_rates?: {
[k: string]: Throttle3
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
 * Most RCPT TO commands in one transaction; larger recipient lists are sent in several transactions. Default 100.
 */
max_recipients_per_batch?: number
/**
 * Connection failures in a row after which the ready queue is delayed (its messages go back to the scheduled queue for a retry). Default 100.
 */
consecutive_connection_failures_before_delay?: number
/**
 * Most addresses kept for one MX host when planning connections. Default 10.
 */
max_mx_addresses_per_host?: number
/**
 * Most addresses kept in the connection plan of a site, in MX preference order. Default 50.
 */
max_mx_plan_size?: number
/**
 * TCP port of the destination MX hosts. Default 25.
 */
smtp_port?: number
connect_timeout?: Duration66
banner_timeout?: Duration67
ehlo_timeout?: Duration68
mail_from_timeout?: Duration69
rcpt_to_timeout?: Duration70
data_timeout?: Duration71
data_dot_timeout?: Duration72
rset_timeout?: Duration73
idle_timeout?: Duration74
starttls_timeout?: Duration75
tls_handshake_timeout?: Duration76
auth_timeout?: Duration77
system_shutdown_timeout?: Duration78
dispatcher_progress_watchdog_timeout?: Duration79
refresh_interval?: Duration80
remember_broken_tls?: Duration81
enable_tls?: TlsMode4
/**
 * Apply the destination's MTA-STS policy (RFC 8461): enforce makes TLS Required. Default true.
 */
enable_mta_sts?: boolean
/**
 * Use DANE TLSA records (RFC 7672; needs a DNSSEC-validating resolver): when present, TLS is required and verified against them. Default false.
 */
enable_dane?: boolean
/**
 * Accepted for KumoMTA compatibility (kumo-ts always uses Node's OpenSSL). Default false.
 */
tls_prefer_openssl?: boolean
/**
 * In Opportunistic modes, reconnect without TLS after a failed handshake. Default false.
 */
opportunistic_tls_reconnect_on_failed_handshake?: boolean
/**
 * Use PIPELINING when the server offers it. Default true.
 */
enable_pipelining?: boolean
/**
 * Send RSET between transactions on a reused connection. Default true.
 */
enable_rset?: boolean
/**
 * Send 8-bit content even when the server does not offer 8BITMIME. Default false.
 */
ignore_8bit_checks?: boolean
/**
 * After a transport error mid-transaction, retry the message on the next MX host at once. Default false.
 */
try_next_host_on_transport_error?: boolean
/**
 * Speak LMTP instead of SMTP to the destination. Default false.
 */
use_lmtp?: boolean
/**
 * Open new connections eagerly up to connection_limit instead of one at a time. Default false.
 */
aggressive_connection_opening?: boolean
/**
 * Allow AUTH PLAIN over an unencrypted connection. Default false.
 */
allow_smtp_auth_plain_without_tls?: boolean
/**
 * Allow AUTH PLAIN when the server certificate did not verify. Default false.
 */
allow_smtp_auth_plain_without_valid_certificate?: boolean
/**
 * Deprecated KumoMTA key, accepted and ignored (use automation or the admin API to suspend).
 */
suspended?: boolean
/**
 * What to do after an error while delivering on an open connection: close the session, reconnect to the same host, or go on to the next MX host (default ConnectNextHost).
 */
reconnect_strategy?: ("TerminateSession" | "ReconnectSameHost" | "ConnectNextHost")
/**
 * Accepted for KumoMTA compatibility; kumo-ts always refreshes on a new config epoch.
 */
refresh_strategy?: ("Ttl" | "Epoch")
/**
 * How many idle connections wake when a message enters the ready queue: all (Aggressive, default) or one (Relaxed).
 */
dispatcher_wakeup_strategy?: ("Aggressive" | "Relaxed")
/**
 * How eagerly the ready-queue maintainer wakes to open connections (Aggressive, default, or Relaxed).
 */
maintainer_wakeup_strategy?: ("Aggressive" | "Relaxed")
/**
 * What to release from memory for messages entering the ready queue when memory is low. Default ShrinkDataAndMeta.
 */
low_memory_reduction_policy?: ("ShrinkDataAndMeta" | "ShrinkData" | "NoShrink")
/**
 * What to release from memory for messages entering the ready queue when memory is exhausted. Default ShrinkDataAndMeta.
 */
no_memory_reduction_policy?: ("ShrinkDataAndMeta" | "ShrinkData" | "NoShrink")
/**
 * Which address records of the MX hosts are used. Default Ipv4AndIpv6.
 */
ip_lookup_strategy?: ("Ipv4AndIpv6" | "Ipv4Only" | "Ipv6Only" | "Ipv6ThenIpv4" | "Ipv4ThenIpv6")
/**
 * Name sent in EHLO on this path (default: the egress source's ehlo_domain, else the node hostname).
 */
ehlo_domain?: string
/**
 * Provider name used in metrics and logs for this path (set automatically when a provider block matches).
 */
provider_name?: string
/**
 * User name for AUTH PLAIN to the destination (smarthosts).
 */
smtp_auth_plain_username?: string
smtp_auth_plain_password?: KeySource12
tls_certificate?: KeySource13
tls_private_key?: KeySource14
/**
 * OpenSSL cipher list for TLS 1.2 and below (OpenSSL syntax).
 */
openssl_cipher_list?: string
/**
 * OpenSSL TLS 1.3 cipher suites, colon separated.
 */
openssl_cipher_suites?: string
/**
 * OpenSSL option names joined by "|", e.g. "NO_TLSV1|NO_TLSV1_1".
 */
openssl_options?: string
/**
 * Accepted for KumoMTA compatibility: rustls cipher suite names (kumo-ts uses OpenSSL).
 */
rustls_cipher_suites?: string[]
prohibited_hosts?: CidrList8
skip_hosts?: CidrList9
}
