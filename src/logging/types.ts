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
  | 'Rejection';

export interface LogResponse {
  code: number;
  enhanced_code?: { class: number; subject: number; detail: number } | null;
  content: string;
  command?: string | null;
}

export interface LogRecord {
  type: RecordType;
  id: string;
  sender: string;
  recipient: string | string[];
  queue?: string;
  site?: string;
  size?: number;
  response: LogResponse;
  peer_address?: { name?: string; addr: string } | null;
  timestamp: number; // epoch seconds (fractional)
  created?: number; // when the message was received, epoch seconds
  num_attempts?: number;
  egress_pool?: string | null;
  egress_source?: string | null;
  bounce_classification?: string;
  tls_cipher?: string | null;
  tls_protocol_version?: string | null;
  tls_peer_subject_name?: string[] | null;
  reception_protocol?: string;
  tenant?: string | null;
  campaign?: string | null;
  meta?: Record<string, unknown>;
}

export interface LogWriter {
  write(record: LogRecord): void;
  flush(): Promise<void>;
  close(): Promise<void>;
}
