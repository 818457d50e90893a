/* c8 ignore start -- types only: tsc emits no code for this file, so --all counts every line as unrun */
// The JSON shapes of the HTTP API that the CLI calls. Admin and inject bodies follow KumoMTA's
// reference (kumo_api_types); queue-summary is kumo-ts's own route.

export interface RuleState {
  readonly id: string;
  readonly reason: string;
  /** RFC 3339 time the rule lapses */
  readonly expires: string;
}

export interface ScheduledQueueSummary {
  readonly name: string;
  readonly domain: string;
  readonly tenant?: string;
  readonly campaign?: string;
  readonly count: number;
  readonly oldest_age_s: number;
  readonly suspended: RuleState | null;
  readonly bounce: RuleState | null;
}

export interface ReadyQueueSummary {
  readonly name: string;
  readonly source: string;
  readonly site: string;
  readonly count: number;
  readonly connections: number;
  readonly suspended: RuleState | null;
}

/** Counters since the server started (rates come from successive samples). */
export interface QueueTotals {
  readonly scheduled: number;
  readonly ready: number;
  readonly received_total: number;
  readonly delivered_total: number;
  readonly transient_total: number;
  readonly failed_total: number;
}

/** GET /api/admin/queue-summary/v1 */
export interface QueueSummaryV1 {
  readonly scheduled: readonly ScheduledQueueSummary[];
  readonly ready: readonly ReadyQueueSummary[];
  readonly totals: QueueTotals;
}

/** Which scheduled queues an admin action applies to (all when none is given). */
export interface QueueSelector {
  domain?: string;
  routing_domain?: string;
  campaign?: string;
  tenant?: string;
  queue_names?: string[];
}

export interface BounceV1Request extends QueueSelector {
  reason: string;
  duration?: string;
  suppress_logging?: boolean;
}

export interface BounceV1Response {
  readonly id: string;
  readonly bounced?: Record<string, number>;
  readonly total_bounced?: number;
}

export interface BounceV1ListEntry {
  readonly id: string;
  readonly domain?: string | null;
  readonly routing_domain?: string | null;
  readonly campaign?: string | null;
  readonly tenant?: string | null;
  readonly queue_names?: string[];
  readonly reason: string;
  /** time left, as text */
  readonly duration: string;
  readonly expires?: string;
  readonly bounced?: Record<string, number>;
  readonly total_bounced?: number;
}

export interface SuspendV1Request extends Omit<QueueSelector, 'routing_domain'> {
  reason: string;
  duration?: string;
}

export interface SuspendV1ListEntry {
  readonly id: string;
  readonly domain?: string | null;
  readonly campaign?: string | null;
  readonly tenant?: string | null;
  readonly queue_names?: string[];
  readonly reason: string;
  readonly duration: string;
  readonly expires?: string;
}

export interface SuspendReadyQV1Request {
  name: string;
  reason: string;
  duration?: string;
}

export interface SuspendReadyQV1ListEntry {
  readonly id: string;
  readonly name: string;
  readonly reason: string;
  readonly duration: string;
  readonly expires: string;
}

export interface RebindV1Request extends QueueSelector {
  reason: string;
  data: Record<string, string>;
  always_flush?: boolean;
  suppress_logging?: boolean;
}

export interface InspectMessageV1Response {
  readonly id: string;
  readonly message: {
    readonly sender: string;
    readonly recipient: string | string[];
    readonly meta: Record<string, unknown>;
    readonly data?: string;
    readonly due?: string | null;
    readonly num_attempts?: number;
    readonly scheduling?: unknown;
  };
}

export interface InjectRecipient {
  email: string;
  name?: string;
  substitutions?: Record<string, unknown>;
}

/** POST /api/inject/v1 (KumoMTA's InjectV1Request; content is a message or a builder object) */
export interface InjectV1Request {
  envelope_sender: string;
  recipients: InjectRecipient[];
  content: string | Record<string, unknown>;
  substitutions?: Record<string, unknown>;
  deferred_spool?: boolean;
}

export interface InjectV1Response {
  readonly success_count: number;
  readonly fail_count: number;
  readonly failed_recipients: readonly string[];
  readonly errors: readonly string[];
}

/** GET /api/config/status (core route) */
export interface ConfigStatus {
  readonly epoch: number;
  readonly rejected: unknown;
}
