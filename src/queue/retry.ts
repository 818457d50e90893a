/**
 * Delay before the next attempt after `failures` transient failures (1 = the first): the
 * retry interval doubled per further failure, with ±10% jitter so that messages that failed
 * together do not come back together, capped by `maxRetryIntervalMs`.
 */
export function retryDelay(failures: number, retryIntervalMs: number, maxRetryIntervalMs?: number, rand = Math.random): number {
  const exp = Math.min(Math.max(failures - 1, 0), 40);
  let d = retryIntervalMs * 2 ** exp;
  if (maxRetryIntervalMs !== undefined) d = Math.min(d, maxRetryIntervalMs);
  d *= 0.9 + 0.2 * rand();
  if (maxRetryIntervalMs !== undefined) d = Math.min(d, maxRetryIntervalMs);
  return Math.max(1, Math.round(d));
}
