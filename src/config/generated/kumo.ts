/* Generated from schemas/kumo.schema.json by scripts/gen-types.mjs. Do not edit: run npm run gen:types. */

/**
 * A size in bytes: an integer, or a string such as "512KB", "20MB" or "1GB" (powers of 1024).
 */
export type ByteSize = (number | string)
/**
 * One path or a list of paths.
 */
export type PathList = (string | string[])
/**
 * A list of networks in CIDR notation.
 */
export type CidrList = string[]
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
 * How a shaping load finding is reported.
 */
export type CheckLevel = ("Ignore" | "Warn" | "Error")

/**
 * The main kumo-ts config file (kumo.toml, kumo.json or kumo.yaml): listeners, HTTP, spool, logs, DNS, Redis, the helper files and the config monitor.
 */
export interface KumoMain {
/**
 * This node's host name, used in banners, Received headers and EHLO. Defaults to the machine's host name.
 */
hostname?: string
/**
 * Process-wide settings.
 */
server?: {
/**
 * Whether this node receives SMTP. Default true: a main file without any [listener.NAME] is then an error, so an empty or gutted kumo.toml never goes live; set false to run only the HTTP API and the queue.
 */
smtp?: boolean
max_inflight_bytes?: ByteSize
/**
 * How many processes receive SMTP: "auto" (the default) = one per core (os.availableParallelism()), or a number; 1 is a single process doing everything. The default is 1 on a node without SMTP (smtp = false) or with a deferred_spool listener (those messages live in one process's RAM). With N > 1 the main process owns the queue, delivery, HTTP and ACME, and N reception workers share the SMTP listening sockets; each worker writes its spool entries and its own records file (...-wN.jsonl) and hands every message to the owner. Read at start only (a change needs a restart). The environment variable KUMO_TS_WORKERS (a number or "auto") sets the default used when this key is absent (npm test sets it to 1).
 */
workers?: (number | "auto")
}
/**
 * Helper files, relative to the config root. Each kind takes one path or a list. Without an entry, <kind>.toml/.json/.yaml in the config root is used if present.
 */
files?: {
listener_domains?: PathList
sources?: PathList
queues?: PathList
dkim?: PathList
shaping?: PathList
bounce_classifier?: PathList
}
/**
 * SMTP listeners by name.
 */
listener?: {
[k: string]: Listener
}
/**
 * The HTTP API. The keys directly under [http] configure the default listener (named "default"); more listeners go under [http.listener.NAME] with the same keys (nothing is inherited from [http]). Each listener is a separate server with the same routes; listeners are added, removed and rebound live when the config changes, without disturbing the others.
 */
http?: {
/**
 * An address and port: "127.0.0.1:2525", "[::1]:25" or "mx.example.com:25".
 */
listen?: string
trusted_hosts?: CidrList
/**
 * Set false to run without this HTTP listener (default true).
 */
enabled?: boolean
/**
 * Host names (without port) accepted in the Host header of API requests, besides loopback names (localhost, 127.x.x.x, [::1]) and the listen address; other Host values get 421, which defeats DNS rebinding from a browser. With a wildcard listen address (0.0.0.0 or ::) any IP literal is accepted too.
 */
allowed_hostnames?: string[]
max_body_size?: ByteSize
max_message_size?: ByteSize
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
template_timeout?: (string | number)
tls?: HttpTls
auth?: HttpAuth
/**
 * More HTTP listeners by name ([http.listener.NAME]); "default" is reserved for the keys of [http] itself.
 */
listener?: {
[k: string]: HttpListener
}
}
/**
 * Certificates obtained and renewed by kumo-ts itself over ACME (RFC 8555), e.g. from Let's Encrypt. A listener uses one with tls.certificate = { acme = "NAME" }. Certificates and the account key are kept under <spool.path>/../acme/ (mode 0600).
 */
acme?: {
/**
 * The ACME directory URL (default Let's Encrypt production, https://acme-v02.api.letsencrypt.org/directory; staging: https://acme-staging-v02.api.letsencrypt.org/directory).
 */
directory?: string
/**
 * Account contact URL(s), e.g. "mailto:postmaster@example.com".
 */
contact?: (string | string[])
/**
 * Agree to the CA's terms of service when the account is created (default true; the CA refuses accounts without it).
 */
terms_of_service_agreed?: boolean
account_key?: KeySource
ca?: KeySource
/**
 * An address and port: "127.0.0.1:2525", "[::1]:25" or "mx.example.com:25".
 */
http01_listen?: string
/**
 * An address and port: "127.0.0.1:2525", "[::1]:25" or "mx.example.com:25".
 */
tls_alpn01_listen?: string
/**
 * DNS-01 (needed for wildcard names): a command and its arguments, run as `cmd args... present|cleanup <record name> <value>` (record name _acme-challenge.<domain>, no trailing dot; value: the TXT content), with the same in the environment (ACME_ACTION, ACME_DOMAIN, ACME_RECORD_NAME, ACME_RECORD_VALUE). It must exit 0 once the TXT record is published (present) or removed (cleanup); it is killed after 2 minutes. A wildcard and its apex share one record name with two values: cleanup removes only the value it names.
 * 
 * @minItems 1
 */
dns01_hook?: [string, ...(string)[]]
/**
 * Renew when this fraction of the certificate's lifetime is left (default 0.333: a 90-day certificate renews 30 days before it expires).
 */
renew_before?: number
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
expiry_warning?: (string | number)
/**
 * The certificates to obtain, by name ([acme.cert.NAME]).
 */
cert?: {
[k: string]: AcmeCert
}
}
/**
 * The durable message spool.
 */
spool?: {
/**
 * Directory of the embedded spool (default ./data/spool), relative to the working directory.
 */
path?: string
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
group_commit_window?: (string | number)
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
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
max_file_age?: (string | number)
/**
 * Gzip rotated log files (default true).
 */
compress?: boolean
/**
 * Message headers every record of a message carries under `headers` (KumoMTA's configure_local_logs headers), e.g. ["Subject", "Message-ID", "X-*"]; a trailing * matches a prefix. Captured at reception and kept with the message in the spool (default none).
 */
headers?: string[]
/**
 * Per record type settings (KumoMTA's per_record), e.g. [logs.per_record.TransientFailure] enable = false; `Any` applies to every type not listed.
 */
per_record?: {
Reception?: LogPerRecord
Delivery?: LogPerRecord
TransientFailure?: LogPerRecord
Bounce?: LogPerRecord
Expiration?: LogPerRecord
AdminBounce?: LogPerRecord
OOB?: LogPerRecord
Feedback?: LogPerRecord
Rejection?: LogPerRecord
Delayed?: LogPerRecord
Any?: LogPerRecord
}
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
name_servers?: string[]
/**
 * Static zone file (TOML, JSON or YAML) for mode "static", relative to the config root.
 */
zone_file?: string
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
timeout?: (string | number)
/**
 * Allow delivery to loopback and unspecified addresses (127.0.0.0/8, ::1, 0.0.0.0, ::) found through MX/A/AAAA lookups. Default false: such destinations are prohibited unless routed explicitly (a queue's mx_list). For tests and labs with static zones.
 */
allow_loopback_destinations?: boolean
}
/**
 * Outbound TLS policy: MTA-STS (RFC 8461), DANE (RFC 7672) and TLS reporting (RFC 8460). Whether a destination uses MTA-STS or DANE is decided by the shaping keys enable_mta_sts (default true) and enable_dane (default false); this section says how.
 */
tls_policy?: {
/**
 * Extra CA certificate(s) (PEM file, relative to the config root) trusted besides the system CAs and NODE_EXTRA_CA_CERTS: for the MTA-STS policy fetch, for verifying MX certificates under an MTA-STS policy, and for TLS-RPT https: reports (private PKI, test labs).
 */
ca_file?: string
/**
 * File keeping fetched MTA-STS policies across restarts (RFC 8461 trust on first use), relative to the config root (default: mta-sts-cache.json next to the spool directory). Written atomically.
 */
mta_sts_cache?: string
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
mta_sts_fetch_timeout?: (string | number)
/**
 * Largest MTA-STS policy body accepted, in bytes (default 65536, the RFC's limit).
 */
mta_sts_max_policy_size?: number
/**
 * HTTPS port of the mta-sts.<domain> policy host (default 443; another port only for labs and tests).
 */
mta_sts_port?: number
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
mta_sts_negative_ttl?: (string | number)
/**
 * DNSSEC-validating resolvers (host or host:port) whose AD bit is trusted for DANE: the MX, address and TLSA lookups of a DANE decision go to them with the DO bit. Default: dns.name_servers when dns.mode is "servers". Without one, DANE never applies (every answer counts as insecure). Use only a resolver on this host or reached over a trusted path.
 */
dane_resolvers?: string[]
/**
 * TLS reporting (RFC 8460): per policy domain counts of sessions that met and failed its MTA-STS or DANE policy, sent once per period to the rua of the domain's _smtp._tls TXT record.
 */
tls_rpt?: {
/**
 * Count sessions and send reports (default false).
 */
enabled?: boolean
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
period?: (string | number)
/**
 * organization-name of the reports (default: the hostname).
 */
organization_name?: string
/**
 * contact-info of the reports, e.g. "mailto:tlsrpt@example.com" (default: postmaster@<hostname>).
 */
contact_info?: string
/**
 * Envelope sender and From: of mailto: reports (default: noreply-tlsrpt@<hostname>).
 */
sender?: string
/**
 * At most this many reports are sent per period, in total (default 1000); further policy domains wait for the next period.
 */
max_reports_per_period?: number
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
https_timeout?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
retry_interval?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
retry_for?: (string | number)
/**
 * File keeping the counts of the current period, and the reports waiting to be retried, across restarts, relative to the config root (default: tls-rpt.json next to the spool directory). Written atomically.
 */
state_file?: string
}
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
null_mx?: CheckLevel
provider_overlap?: CheckLevel
aliased_site?: CheckLevel
/**
 * File keeping automation suspensions and overrides across restarts, relative to the config root (default: shaping-automation.json next to the spool directory).
 */
automation_state?: string
}
/**
 * Log hooks ([log_hook.NAME]): log records shipped durably to a webhook or an AMQP exchange. Each hook's events wait in the spool (their own queue hook:NAME) until the receiver took them.
 */
log_hook?: {
[k: string]: LogHook
}
/**
 * The config monitor that applies changes live.
 */
monitor?: {
/**
 * Extra glob patterns (relative to the config root) whose files are watched; the config root and the named helper files are always watched.
 */
globs?: string[]
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
poll_interval?: (string | number)
}
}
/**
 * One SMTP listener.
 */
export interface Listener {
/**
 * An address and port: "127.0.0.1:2525", "[::1]:25" or "mx.example.com:25".
 */
listen: string
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
 * Concurrent client connections, counted for the whole node with reception workers; more get 421 4.7.0 and a log line (default 1000).
 */
max_connections?: number
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
client_timeout?: (string | number)
/**
 * Look up the client's PTR name (through kumo-ts's resolver, see [dns]) for the Received header and logs (default false: the address literal is used).
 */
reverse_lookup?: boolean
tls?: ListenerTls
/**
 * Offer STARTTLS (default true). false, only without a tls block: plain SMTP only, no STARTTLS and no AUTH (e.g. a loopback port for clients that cannot skip verifying the generated certificate).
 */
starttls?: boolean
auth?: ListenerAuth
trace_headers?: TraceHeaders
proxy_protocol_from?: CidrList
/**
 * RISK: keep accepted messages in RAM only until their first transient delivery failure (faster, but a crash or kill loses every message not yet delivered or deferred although it got 250). Default false: every message is on disk before 250.
 */
deferred_spool?: boolean
/**
 * Concurrent connections from one client address (IPv6 counted per /64); more get 421 4.7.0 and a Rejection record (default 50, as Postfix's anvil).
 */
max_connections_per_ip?: number
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
command_timeout?: (string | number)
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
data_timeout?: (string | number)
min_data_rate?: ByteSize
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
early_talker_delay?: (string | number)
/**
 * A bare CR or bare LF inside DATA: "Normalize" (default) turns each into CRLF once, at reception, before DKIM signing, so that what is signed is what is sent; "Reject" refuses the message with 550 5.6.0 (as Postfix's smtpd_forbid_bare_newline).
 */
bare_newline?: ("Normalize" | "Reject")
/**
 * A line of more than 998 octets inside DATA (RFC 5322 §2.1.1): "Wrap" (default) breaks it at reception, before DKIM signing (header lines are folded at white space where possible), so no peer ever receives or splits it; "Reject" refuses the message with 550 5.6.0.
 */
long_lines?: ("Wrap" | "Reject")
}
/**
 * Inbound TLS (minimum TLS 1.2).
 */
export interface ListenerTls {
certificate: KeySource
private_key?: KeySource
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
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
expiry_warning?: (string | number)
}
/**
 * A certificate chain and its private key. The files are watched: a renewed certificate is served to new connections within two seconds; a broken one is refused and the old one stays.
 */
export interface TlsIdentity {
certificate: KeySource
private_key?: KeySource
}
/**
 * SMTP AUTH PLAIN and LOGIN, offered and accepted only under TLS.
 */
export interface ListenerAuth {
credentials: KeySource
/**
 * Failed AUTH attempts allowed per client address (IPv6: per /64) within failure_window, whatever the usernames; further attempts get 421 4.7.0 until the window passes. A successful login clears only that username's failures (default 5).
 */
max_failures?: number
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
failure_window?: (string | number)
/**
 * Authenticated sessions may relay to any domain (default true). With false, relaying needs relay_hosts, relay_from_authz or relay_to as without AUTH.
 */
relay?: boolean
}
/**
 * Trace headers (KumoMTA's trace_headers).
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
/**
 * HTTPS for an HTTP listener (minimum TLS 1.2): the tls table of SMTP listeners without implicit (HTTPS is always implicit TLS).
 */
export interface HttpTls {
certificate: KeySource
private_key?: KeySource
/**
 * Certificates chosen by the server name the client asks for (SNI): host name (or "*.suffix") to certificate and key. Other names get the default certificate.
 */
sni?: {
[k: string]: TlsIdentity
}
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
expiry_warning?: (string | number)
}
/**
 * How clients outside trusted_hosts authenticate to the HTTP API. Both files are watched and reloaded when they change (a changed secret is refused within two seconds); a new content with a bad line is refused as a whole and the previous one stays.
 */
export interface HttpAuth {
credentials?: KeySource
tokens?: KeySource
/**
 * Requests with wrong credentials allowed per client address (IPv6: per /64) within failure_window; further requests bearing credentials get 429 until the window passes (default 5).
 */
max_failures?: number
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
failure_window?: (string | number)
}
/**
 * A named HTTP listener ([http.listener.NAME]): the keys of [http], without inheriting their values.
 */
export interface HttpListener {
/**
 * An address and port: "127.0.0.1:2525", "[::1]:25" or "mx.example.com:25".
 */
listen: string
trusted_hosts?: CidrList
/**
 * Set false to run without this HTTP listener (default true).
 */
enabled?: boolean
/**
 * Host names (without port) accepted in the Host header of API requests, besides loopback names (localhost, 127.x.x.x, [::1]) and the listen address; other Host values get 421, which defeats DNS rebinding from a browser. With a wildcard listen address (0.0.0.0 or ::) any IP literal is accepted too.
 */
allowed_hostnames?: string[]
max_body_size?: ByteSize
max_message_size?: ByteSize
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
template_timeout?: (string | number)
tls?: HttpTls
auth?: HttpAuth
}
export interface AcmeCert {
/**
 * Host names of the certificate (the first is its common name). A wildcard (*.example.com) needs dns01_hook.
 * 
 * @minItems 1
 */
names: [string, ...(string)[]]
/**
 * Key of the certificate: ECDSA P-256 (default) or RSA 2048.
 */
key_type?: ("ecdsa" | "rsa")
/**
 * Challenge to use (default: http-01 when http01_listen is set, else tls-alpn-01 when tls_alpn01_listen is set, else dns-01).
 */
challenge?: ("http-01" | "tls-alpn-01" | "dns-01")
}
/**
 * Settings for one record type.
 */
export interface LogPerRecord {
/**
 * Write records of this type (default true).
 */
enable?: boolean
}
/**
 * One log hook: where its records go, which records, and how they are batched, retried and shaped.
 */
export interface LogHook {
/**
 * webhook: HTTP POST of each batch; amqp: publish each record to an AMQP 0-9-1 exchange (RabbitMQ) with publisher confirms.
 */
kind: ("webhook" | "amqp")
/**
 * http(s)://host[:port]/path for a webhook; amqp(s)://[user:pass@]host[:port][/vhost] for AMQP.
 */
url: string
/**
 * false: the hook takes no new records (those already queued stay in the spool; default true).
 */
enable?: boolean
/**
 * Record types this hook takes (default every type).
 */
types?: ("Reception" | "Delivery" | "TransientFailure" | "Bounce" | "Expiration" | "AdminBounce" | "OOB" | "Feedback" | "Rejection" | "Delayed")[]
/**
 * Only records of messages of these tenants (default any).
 */
tenants?: string[]
/**
 * Only records of messages of these campaigns (default any).
 */
campaigns?: string[]
/**
 * Only records whose recipient domain is one of these (exact, or *.suffix; default any).
 */
domains?: string[]
/**
 * Records per request (webhook: a JSON array when above 1) or per confirm round (AMQP) (default 1).
 */
batch_size?: number
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
batch_wait?: (string | number)
/**
 * A nunjucks (Jinja-style) template for the payload instead of the record JSON: rendered per record with the record's fields as variables (and `record`); a webhook batch joins the rendered records with newlines.
 */
template?: string
/**
 * Content-Type of the payload (default application/json; text/plain with a template).
 */
content_type?: string
/**
 * Extra HTTP headers of each webhook request.
 */
headers?: {
[k: string]: string
}
/**
 * HTTP Basic authentication of the webhook requests.
 */
basic_auth?: {
/**
 * User name.
 */
user: string
password: KeySource
}
bearer_token?: KeySource
/**
 * Sign each webhook body: HMAC-SHA256 over the exact body bytes, sent as "sha256=<hex>".
 */
hmac?: {
secret: KeySource
/**
 * Header carrying the signature (default X-Kumo-Signature).
 */
header?: string
}
/**
 * A duration such as "90s", "5m", "2 hours", "1h 30m" or "3 days"; a bare number means seconds.
 */
timeout?: (string | number)
/**
 * AMQP exchange to publish to (default "", the default exchange: the routing key names the queue).
 */
exchange?: string
/**
 * AMQP routing key, with {field} replaced by the record's field (type, id, queue, site, tenant, campaign, domain...), e.g. "{type}.{tenant}" (default "{type}").
 */
routing_key?: string
/**
 * Requests (webhook) or publish rounds (AMQP) in flight at once (default 4).
 */
connection_limit?: number
/**
 * A rate "[local:]N/[k]period[,max_burst=B]" with period s, m, h or d, e.g. "100/min", "10/5m", "1,000/h". local: keeps it in this process even in cluster mode.
 */
max_message_rate?: string
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
}
