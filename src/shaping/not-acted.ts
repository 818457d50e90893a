/**
 * Shaping (egress path) parameters that kumo-ts parses and validates but does not act on yet,
 * and why. The compiler warns about them (key.not-implemented) and `explain` marks them. When
 * the delivery path starts honouring one, remove it here.
 */
export const NOT_ACTED_PARAMS: Readonly<Record<string, string>> = Object.freeze({
  system_shutdown_timeout: 'shutdown uses the process-wide drain deadline',
  max_recipients_per_batch: 'the recipients of a message are not split into batches yet',
  reconnect_strategy: 'not configurable yet: after an error the next host of the route is tried',
  ip_lookup_strategy: 'both A and AAAA addresses are tried',
  max_mx_addresses_per_host: 'every address of a host is tried',
  max_mx_plan_size: 'every MX host is tried',
  try_next_host_on_transport_error: 'not configurable yet',
  provider_name: 'the provider name comes from the matching [provider] block',
  enable_pipelining: 'not configurable yet: PIPELINING is used when the server offers it',
  enable_rset: 'not configurable yet',
  ignore_8bit_checks: 'not configurable yet',
  use_lmtp: 'delivery always speaks SMTP',
  aggressive_connection_opening: 'not configurable yet: connections open as the backlog needs them',
  tls_certificate: 'no client certificate is presented',
  tls_private_key: 'no client certificate is presented',
  tls_prefer_openssl: 'TLS is always Node\'s OpenSSL',
  openssl_cipher_list: 'the default cipher list of Node is used',
  openssl_cipher_suites: 'the default TLS 1.3 suites of Node are used',
  openssl_options: 'the default OpenSSL options are used',
  rustls_cipher_suites: 'kumo-ts has no rustls',
  refresh_interval: 'every config change applies at the next decision',
  refresh_strategy: 'kumo-ts always follows the config epoch',
  dispatcher_wakeup_strategy: 'KumoMTA dispatcher internals',
  maintainer_wakeup_strategy: 'KumoMTA dispatcher internals',
  dispatcher_progress_watchdog_timeout: 'KumoMTA dispatcher internals',
  low_memory_reduction_policy: 'queued messages are kept on disk, not in memory',
  no_memory_reduction_policy: 'queued messages are kept on disk, not in memory',
  readyq_pool_name: 'KumoMTA thread pools',
});

export function isNotActed(param: string): boolean {
  return notActedReason(param) !== undefined;
}

/** Why a parameter (or `param.sub`) is not acted on; undefined when it is. */
export function notActedReason(param: string): string | undefined {
  const k = param.split('.')[0]!;
  return Object.prototype.hasOwnProperty.call(NOT_ACTED_PARAMS, k) ? NOT_ACTED_PARAMS[k] : undefined;
}
