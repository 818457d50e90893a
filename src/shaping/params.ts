/**
 * The egress-path parameters a shaping block may set (KumoMTA's `make_egress_path` keys), with
 * the kind of value each takes. The compiler parses values by kind; `schemas/shaping.schema.json`
 * lists the same keys (test/shaping/schema.test.ts keeps the two in step).
 */
export type ParamKind =
  | 'limit' // connection count: integer, or "[local:]N" string ("1,000", "local:20")
  | 'throttle' // "[local:]N/[k]period[,max_burst=B]"
  | 'uint'
  | 'port'
  | 'duration' // → ms
  | 'bool'
  | 'enum'
  | 'string'
  | 'strings'
  | 'cidrs'
  | 'keysource'
  | 'limitmap' // name → limit; merged entry by entry across layers
  | 'throttlemap'; // name → throttle; merged entry by entry across layers

export interface ParamSpec {
  readonly kind: ParamKind;
  readonly values?: readonly string[];
  /** automation SetConfig may not change it (secrets, files) */
  readonly noAutomation?: boolean;
}

export const TLS_MODES = ['Opportunistic', 'OpportunisticInsecure', 'Required', 'RequiredInsecure', 'Disabled'] as const;

const e = (values: readonly string[]): ParamSpec => ({ kind: 'enum', values });
const k = (kind: ParamKind): ParamSpec => ({ kind });

export const PARAMS: Readonly<Record<string, ParamSpec>> = Object.freeze({
  connection_limit: k('limit'),
  additional_connection_limits: k('limitmap'),
  max_connection_rate: k('throttle'),
  max_message_rate: k('throttle'),
  additional_message_rate_throttles: k('throttlemap'),
  source_selection_rate: k('throttle'),
  additional_source_selection_rates: k('throttlemap'),
  max_deliveries_per_connection: k('uint'),
  max_ready: k('uint'),
  max_recipients_per_batch: k('uint'),
  consecutive_connection_failures_before_delay: k('uint'),
  max_mx_addresses_per_host: k('uint'),
  max_mx_plan_size: k('uint'),
  smtp_port: k('port'),
  connect_timeout: k('duration'),
  banner_timeout: k('duration'),
  ehlo_timeout: k('duration'),
  mail_from_timeout: k('duration'),
  rcpt_to_timeout: k('duration'),
  data_timeout: k('duration'),
  data_dot_timeout: k('duration'),
  rset_timeout: k('duration'),
  idle_timeout: k('duration'),
  starttls_timeout: k('duration'),
  tls_handshake_timeout: k('duration'),
  auth_timeout: k('duration'),
  system_shutdown_timeout: k('duration'),
  dispatcher_progress_watchdog_timeout: k('duration'),
  refresh_interval: k('duration'),
  remember_broken_tls: k('duration'),
  enable_tls: e(TLS_MODES),
  enable_mta_sts: k('bool'),
  enable_dane: k('bool'),
  tls_prefer_openssl: k('bool'),
  opportunistic_tls_reconnect_on_failed_handshake: k('bool'),
  enable_pipelining: k('bool'),
  enable_rset: k('bool'),
  ignore_8bit_checks: k('bool'),
  try_next_host_on_transport_error: k('bool'),
  use_lmtp: k('bool'),
  aggressive_connection_opening: k('bool'),
  allow_smtp_auth_plain_without_tls: k('bool'),
  allow_smtp_auth_plain_without_valid_certificate: k('bool'),
  suspended: k('bool'),
  reconnect_strategy: e(['TerminateSession', 'ReconnectSameHost', 'ConnectNextHost']),
  refresh_strategy: e(['Ttl', 'Epoch']),
  dispatcher_wakeup_strategy: e(['Aggressive', 'Relaxed']),
  maintainer_wakeup_strategy: e(['Aggressive', 'Relaxed']),
  low_memory_reduction_policy: e(['ShrinkDataAndMeta', 'ShrinkData', 'NoShrink']),
  no_memory_reduction_policy: e(['ShrinkDataAndMeta', 'ShrinkData', 'NoShrink']),
  readyq_pool_name: k('string'),
  ip_lookup_strategy: e(['Ipv4AndIpv6', 'Ipv4Only', 'Ipv6Only', 'Ipv6ThenIpv4', 'Ipv4ThenIpv6']),
  ehlo_domain: k('string'),
  provider_name: k('string'),
  smtp_auth_plain_username: { kind: 'string', noAutomation: true },
  smtp_auth_plain_password: { kind: 'keysource', noAutomation: true },
  tls_certificate: { kind: 'keysource', noAutomation: true },
  tls_private_key: { kind: 'keysource', noAutomation: true },
  openssl_cipher_list: k('string'),
  openssl_cipher_suites: k('string'),
  openssl_options: k('string'),
  rustls_cipher_suites: k('strings'),
  prohibited_hosts: k('cidrs'),
  skip_hosts: k('cidrs'),
});

/** Maps whose entries merge one by one across layers (KumoMTA merges exactly these). */
export const MAP_PARAMS = new Set(['additional_connection_limits', 'additional_message_rate_throttles', 'additional_source_selection_rates']);

/** Keys of a block that are not egress-path parameters. */
export const BLOCK_KEYS = new Set(['mx_rollup', 'replace_base', 'sources', 'automation']);
export const PROVIDER_KEYS = new Set([
  'match',
  'replace_base',
  'sources',
  'automation',
  'provider_connection_limit',
  'provider_max_message_rate',
  'provider_source_selection_rate',
]);
