/**
 * Spool failures. SPOOL_UNAVAILABLE: refused without trying, the spool is unhealthy (disk full
 * or failing); SPOOL_WRITE: the write failed; both are temporary (reception answers 451).
 */
export class SpoolError extends Error {
  constructor(readonly code: 'SPOOL_CLOSED' | 'SPOOL_WRITE' | 'SPOOL_OPEN' | 'SPOOL_UNAVAILABLE', message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SpoolError';
  }
}
