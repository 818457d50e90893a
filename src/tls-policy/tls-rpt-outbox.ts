/**
 * Reports waiting to be handed over to one rua (RFC 8460 §5.3: a failed delivery SHOULD be
 * retried, with exponential backoff, for up to 24 hours). Kept in the TLS-RPT state file
 * (tls-rpt.ts) until sent or given up, so neither a failed POST nor a restart loses a report.
 */
export interface OutboxEntry {
  readonly domain: string;
  readonly uri: string;
  readonly reportId: string;
  /** the gzipped JSON report, base64: every try sends the same report (same report-id) */
  readonly gz: string;
  /** the report period, for the mailto: message */
  readonly start: number;
  readonly end: number;
  /** when it was first tried (ms) */
  readonly firstAt: number;
  /** tries so far */
  attempts: number;
  /** next try not before (ms) */
  nextAt: number;
  lastError?: string;
}

/** Longest pause between two tries (unless retry_interval itself is longer). */
const MAX_GAP_MS = 3_600_000;
/** Most reports waiting at once; past it the oldest is dropped. */
export const OUTBOX_MAX = 10_000;

/** Why a report could not be handed over; `permanent`: trying again cannot help. */
export class ReportSendError extends Error {
  readonly code: 'TLSRPT_SEND_TRANSIENT' | 'TLSRPT_SEND_PERMANENT';
  constructor(message: string, readonly permanent: boolean) {
    super(message);
    this.name = 'ReportSendError';
    this.code = permanent ? 'TLSRPT_SEND_PERMANENT' : 'TLSRPT_SEND_TRANSIENT';
  }
}

/** An HTTP status of a report POST: 2xx sent; 5xx, 408 and 429 worth another try; the rest final. */
export function statusError(status: number): ReportSendError | undefined {
  if (status >= 200 && status <= 299) return undefined;
  return new ReportSendError(`HTTP ${status}`, !(status >= 500 || status === 408 || status === 429));
}

/**
 * When to try again after `attempts` failed tries: retry_interval, doubling, at most an hour
 * apart (or retry_interval when longer); undefined once that would be past retry_for.
 */
export function nextTry(e: Pick<OutboxEntry, 'attempts' | 'firstAt'>, now: number, intervalMs: number, forMs: number): number | undefined {
  const gap = Math.min(intervalMs * 2 ** Math.max(0, e.attempts - 1), Math.max(MAX_GAP_MS, intervalMs));
  const at = now + gap;
  return at - e.firstAt > forMs ? undefined : at;
}
