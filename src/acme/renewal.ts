import type { StoredCert } from './cert-files.js';

/**
 * When a certificate is due: once `renewBefore` of its lifetime is left (a third by default:
 * 30 days for Let's Encrypt's 90), minus a jitter of up to 2 % of the lifetime (at most an
 * hour) so that nodes started together do not order together. A placeholder, a missing file or
 * a certificate for other names is due now.
 */
export function renewalTime(stored: StoredCert | undefined, names: readonly string[], renewBefore: number, random = Math.random): number {
  if (!stored || stored.placeholder) return 0;
  const want = [...names].sort().join(',');
  if ([...stored.names].sort().join(',') !== want) return 0;
  const life = Math.max(0, stored.notAfter - stored.notBefore);
  const jitter = Math.min(life * 0.02, 3_600_000) * random();
  return stored.notAfter - life * renewBefore - jitter;
}

/** The wait before the next try after `failures` failed orders in a row (exponential, capped). */
export function retryDelay(failures: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, failures - 1));
}
