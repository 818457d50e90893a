/* c8 ignore start -- types only: tsc emits no code for this file, so --all counts every line as unrun */
/** Log record types (DESIGN §5); one JSON object per line. */
export type RecordType =
  | 'Reception'
  | 'Delivery'
  | 'TransientFailure'
  | 'Bounce'
  | 'Expiration'
  | 'AdminBounce'
  | 'OOB'
  | 'Feedback'
  | 'Rejection'
  /** why a message went back to its scheduled queue when no TransientFailure says so (KumoMTA 2025.01.23) */
  | 'Delayed';

export interface LogResponse {
  code: number;
  enhanced_code: { class: number; subject: number; detail: number } | null;
  content: string;
  /** the SMTP command the response answered ("RCPT TO:<a@b>", "DATA", "."...), null when none */
  command: string | null;
}

/** KumoMTA's `source_address`: the local address (and port) an SMTP delivery used. */
export interface LogSourceAddress {
  /** "ip:port"; the port is 0 when a proxy chose it */
  address: string;
  /** "haproxy" or "socks5" when a proxy protocol was used */
  protocol?: string;
  /** the proxy server "ip:port" */
  server?: string;
}

/**
 * One log record, field for field KumoMTA's JsonLogRecord (kumo-log-types; documented at
 * https://docs.kumomta.com/reference/log_record/): the same names, JSON types and order.
 * Always present: everything up to `nodeid` (nullable ones as null); omitted when they do not
 * apply: the tls_* fields, provider_name and session_id (KumoMTA skips them when None).
 */
export interface LogRecord {
  type: RecordType;
  id: string;
  sender: string;
  /** one recipient per record (KumoMTA logs an array only for batched multi-recipient messages) */
  recipient: string | string[];
  queue: string;
  /** the MX site of the delivery; '' for Reception and Rejection */
  site: string;
  size: number;
  response: LogResponse;
  peer_address: { name: string; addr: string } | null;
  /** when the record was made: integer seconds since the epoch, and RFC 3339 */
  timestamp: number;
  event_time: string;
  /** when the message was received: integer seconds since the epoch, and RFC 3339 */
  created: number;
  created_time: string;
  num_attempts: number;
  /** `Uncategorized` when unknown (always for Reception and Delivery) */
  bounce_classification: string;
  egress_pool: string | null;
  egress_source: string | null;
  source_address: LogSourceAddress | null;
  /** the parsed ARF report of a Feedback record (src/smtp/arf-report.ts), else null */
  feedback_report: Record<string, unknown> | null;
  meta: Record<string, unknown>;
  /** captured message headers (`[logs] headers`), by their name in the message */
  headers: Record<string, string | string[]>;
  delivery_protocol: string | null;
  reception_protocol: string | null;
  /** this node's UUID (src/logging/node-id.ts) */
  nodeid: string;
  tls_cipher?: string;
  tls_protocol_version?: string;
  tls_peer_subject_name?: string[];
  provider_name?: string;
  /** UUID of the SMTP session (inbound for Reception/Rejection, outbound for deliveries) */
  session_id?: string;
}

export interface LogWriter {
  /** Buffers the record; it reaches the file within the flush interval (fire and forget). */
  write(record: LogRecord): void;
  /**
   * Writes the record and resolves once it (and every record written before it) is on disk
   * (fdatasync'd; concurrent callers share one sync). Rejects when it could not be written now
   * (the record stays buffered and is retried).
   */
  writeDurable(record: LogRecord): Promise<void>;
  /** Barrier: resolves once every record written so far is on disk (as writeDurable). */
  durable(): Promise<void>;
  /** Resolves when every record written so far is in the file (not synced). */
  flush(): Promise<void>;
  close(): Promise<void>;
}
