/* c8 ignore start -- types only: tsc emits no code for this file, so --all counts every line as unrun */
/**
 * The durable spool contract. Reception writes a message once (envelope + body) and replies
 * 250 only after `put` resolves; the queue updates the small metadata record as delivery
 * progresses and removes the message when every recipient has a final outcome.
 * Bodies are never held in RAM by the queue: it keeps only `SpoolMeta`.
 */
export interface RecipientState {
  address: string;
  /** pending until a final outcome; then the message may be removed once none are pending */
  status: 'pending' | 'delivered' | 'bounced' | 'expired';
}

export interface SpoolMeta {
  /** Spool id, also the X-KumoRef value and the log record id. */
  id: string;
  /** Envelope sender; '' for the null reverse-path. */
  sender: string;
  recipients: RecipientState[];
  /** epoch ms */
  receivedAt: number;
  size: number;
  tenant?: string;
  campaign?: string;
  /** How it came in: listener name or 'http', peer address, authenticated user. */
  reception: { protocol: 'ESMTP' | 'SMTP' | 'HTTP'; listener?: string; peer?: string; authUser?: string; tls?: string };
  /** Delivery state owned by the queue. */
  attempts: number;
  /** epoch ms of the next attempt (0 = now) */
  due: number;
  /** Queue-owned extras (scheduled queue name, egress source chosen, last response...). */
  extra?: Record<string, unknown>;
}

export interface SpoolPutOptions {
  /**
   * Keep the message in RAM only (a listener's opt-in `deferred_spool`): it reaches the disk at
   * its first `updateMeta` (the queue records a transient failure) and is lost if the process
   * dies before that. `scan()` does not see it.
   */
  deferred?: boolean;
  /** log record lines stored in the same transaction (src/logging/record-journal.ts) */
  journal?: JournalEntry;
}

/**
 * Log record lines kept in the spool until the log file has them on disk: a Reception record
 * rides the message's own fsync instead of a second one (src/logging/record-journal.ts).
 * `key` is `<writer tag>:<message id>`.
 */
export interface JournalEntry {
  readonly key: string;
  readonly lines: string;
}

/** A new message for `Spool.putMany`. */
export interface SpoolEntry {
  readonly meta: SpoolMeta;
  readonly body: Buffer;
}

export interface Spool {
  /** Durably stores a new message; resolves after the write is on disk (group commit). */
  put(meta: SpoolMeta, body: Buffer, opts?: SpoolPutOptions): Promise<void>;
  /**
   * Durably stores several new messages as one atomic write: after a failure none of them is
   * stored. Resolves after the write is on disk (e.g. the messages of one inject request).
   */
  putMany(entries: readonly SpoolEntry[], opts?: SpoolPutOptions): Promise<void>;
  getBody(id: string): Promise<Buffer | undefined>;
  getMeta(id: string): Promise<SpoolMeta | undefined>;
  /** Durably replaces the metadata (retry state survives restarts); persists a deferred message. */
  updateMeta(meta: SpoolMeta, journal?: JournalEntry): Promise<void>;
  /** `journal`: log record lines stored in the same transaction (the outcome records of the attempt) */
  remove(id: string, journal?: JournalEntry): Promise<void>;
  /**
   * Every message in the spool, for recovery at start; from `fromId` on (ids are time-ordered:
   * the messages created since a time, for the recovery after a reception worker died).
   */
  scan(fromId?: string): AsyncIterable<SpoolMeta>;
  /**
   * The metadata of those of `ids` spooled (meta and body) right now, read synchronously from a
   * new read snapshot: a long scan's snapshot is as old as the scan, and a message removed since
   * (delivered) must not come back from it.
   */
  current(ids: readonly string[]): SpoolMeta[];
  count(): Promise<number>;
  /** The journal entries whose key starts with `prefix`, read now. */
  journal(prefix: string): JournalEntry[];
  /** Forgets journal entries (their lines are in the log file on disk); not waited for its fsync. */
  clearJournal(keys: readonly string[]): Promise<void>;
  close(): Promise<void>;
}
