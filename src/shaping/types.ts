import type { CidrSet, Throttle } from '../config/values.js';
import type { KeySourceSpec } from '../keys/key-source.js';

/** Outbound TLS policy (KumoMTA names). */
export type TlsMode = 'Opportunistic' | 'OpportunisticInsecure' | 'Required' | 'RequiredInsecure' | 'Disabled';

/**
 * The shaping settings in force for one (destination domain, egress source, site): what the
 * delivery path obeys. Produced by the shaping resolver from the layered shaping files;
 * keys mirror KumoMTA's shaping keys (milliseconds for durations).
 */
export interface EffectiveShaping {
  readonly connection_limit: number;
  readonly max_connection_rate?: Throttle;
  readonly max_message_rate?: Throttle;
  readonly max_deliveries_per_connection: number;
  readonly max_ready: number;
  readonly idle_timeout_ms: number;
  readonly connect_timeout_ms: number;
  readonly banner_timeout_ms: number;
  readonly ehlo_timeout_ms: number;
  readonly mail_from_timeout_ms: number;
  readonly rcpt_to_timeout_ms: number;
  readonly data_timeout_ms: number;
  readonly data_dot_timeout_ms: number;
  readonly starttls_timeout_ms: number;
  readonly enable_tls: TlsMode;
  readonly consecutive_connection_failures_before_delay: number;
  /** the matched provider, if any, and its shared limits */
  readonly provider?: string;
  readonly provider_connection_limit?: number;
  readonly provider_max_message_rate?: Throttle;
  readonly additional_connection_limits: Readonly<Record<string, number>>;
  readonly additional_message_rate_throttles: Readonly<Record<string, Throttle>>;
  readonly source_selection_rate?: Throttle;
  // ---- added by the shaping work (issue 5); optional so existing literals stay valid ----
  /** every matching provider, in load order (`provider` is the first) */
  readonly providers?: readonly string[];
  readonly additional_source_selection_rates?: Readonly<Record<string, Throttle>>;
  /** which connection limits were written `local:N` (kept in process even with Redis):
   * 'connection_limit', 'provider_connection_limit' or an additional_connection_limits name */
  readonly local_limits?: readonly string[];
  readonly smtp_port?: number;
  readonly enable_mta_sts?: boolean;
  readonly enable_dane?: boolean;
  readonly rset_timeout_ms?: number;
  readonly auth_timeout_ms?: number;
  readonly tls_handshake_timeout_ms?: number;
  readonly system_shutdown_timeout_ms?: number;
  /** remember a site's failed TLS handshake this long (Opportunistic modes then skip STARTTLS) */
  readonly remember_broken_tls_ms?: number;
  readonly max_recipients_per_batch?: number;
  readonly reconnect_strategy?: 'TerminateSession' | 'ReconnectSameHost' | 'ConnectNextHost';
  readonly ehlo_domain?: string;
  /** only when a shaping block sets them (the delivery path applies its own default policy) */
  readonly prohibited_hosts?: CidrSet;
  readonly skip_hosts?: CidrSet;
  /** after a failed handshake in an Opportunistic mode, reconnect to the same address in clear text */
  readonly opportunistic_tls_reconnect_on_failed_handshake?: boolean;
  /** outbound SMTP AUTH PLAIN after EHLO (and STARTTLS) when set */
  readonly smtp_auth_plain_username?: string;
  readonly smtp_auth_plain_password?: KeySourceSpec;
  readonly allow_smtp_auth_plain_without_tls?: boolean;
  readonly allow_smtp_auth_plain_without_valid_certificate?: boolean;
  /** every effective parameter by shaping key (parsed values: Throttle, LimitSpec, ms, CidrSet...) */
  readonly params?: Readonly<Record<string, unknown>>;
}

/** Defaults when no shaping file says otherwise (KumoMTA's defaults). */
export const DEFAULT_SHAPING: EffectiveShaping = Object.freeze({
  connection_limit: 32,
  max_deliveries_per_connection: 1024,
  max_ready: 1024,
  idle_timeout_ms: 60_000,
  connect_timeout_ms: 60_000,
  banner_timeout_ms: 60_000,
  ehlo_timeout_ms: 300_000,
  mail_from_timeout_ms: 300_000,
  rcpt_to_timeout_ms: 300_000,
  data_timeout_ms: 300_000,
  data_dot_timeout_ms: 300_000,
  starttls_timeout_ms: 5_000,
  enable_tls: 'Opportunistic',
  consecutive_connection_failures_before_delay: 100,
  additional_connection_limits: Object.freeze({}),
  additional_message_rate_throttles: Object.freeze({}),
  additional_source_selection_rates: Object.freeze({}),
  smtp_port: 25,
  enable_mta_sts: true,
  enable_dane: false,
  rset_timeout_ms: 5_000,
  auth_timeout_ms: 60_000,
  max_recipients_per_batch: 100,
  reconnect_strategy: 'ConnectNextHost',
});

/** What the delivery path knows about a destination when it asks for shaping. */
export interface ShapingQuery {
  /** destination (routing) domain, lower-case */
  readonly domain: string;
  /** the site: MX rollup site name, or the domain itself for an `mx_rollup = false` domain, or
   * `mx_list:...` for a smarthost route (limits, suspensions and overrides are per source × site) */
  readonly site: string;
  /** the MX rollup name that site-scoped shaping blocks are looked up by, when `site` is not it */
  readonly mxSite?: string;
  /** the MX host names, lower-case, in preference order */
  readonly mxHosts: readonly string[];
  /** egress source name */
  readonly source: string;
}

/** A delivery attempt's reply, as shaping automation sees it. */
export interface DeliveryResponse {
  code: number;
  enhanced?: string;
  text: string;
  /** true for responses kumo-ts made up itself (connection failures etc.) */
  internal?: boolean;
}

/** The path a delivery takes, with the message facts automation rules may match. */
export interface PathInfo extends ShapingQuery {
  tenant?: string;
  campaign?: string;
}
