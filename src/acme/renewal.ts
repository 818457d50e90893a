import { fetchDirectory } from './acme-http.js';
import { fetchRenewalWindow, timeInWindow } from './ari.js';
import type { RenewalWindow } from './ari.js';
import type { StoredCert } from './cert-files.js';

/**
 * When a certificate is due: once `renewBefore` of its lifetime is left (a third by default:
 * 30 days for Let's Encrypt's 90), minus a jitter of up to 2 % of the lifetime (at most an
 * hour) so that nodes started together do not order together. A placeholder, a missing file or
 * a certificate for other names is due now.
 */
export function renewalTime(stored: StoredCert | undefined, names: readonly string[], renewBefore: number, random = Math.random): number {
  if (!usable(stored, names)) return 0;
  const life = Math.max(0, stored.notAfter - stored.notBefore);
  const jitter = Math.min(life * 0.02, 3_600_000) * random();
  return stored.notAfter - life * renewBefore - jitter;
}

function usable(stored: StoredCert | undefined, names: readonly string[]): stored is StoredCert {
  if (!stored || stored.placeholder) return false;
  return [...stored.names].sort().join(',') === [...names].sort().join(',');
}

/** The wait before the next try after `failures` failed orders in a row (exponential, capped). */
export function retryDelay(failures: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, failures - 1));
}

export interface RenewalPlan {
  /** the certificate this plan is for */
  readonly fingerprint256: string;
  /** when to order (epoch ms; 0: now) */
  readonly at: number;
  /** when to ask the CA for its window again (ARI's Retry-After); undefined: never */
  readonly recheckAt?: number;
  readonly source: 'ari' | 'lifetime';
  readonly window?: RenewalWindow;
}

/**
 * When to renew `stored`: inside the CA's ARI window (RFC 9773) when its directory advertises
 * `renewalInfo`, else by the lifetime rule. A plan for the same certificate is kept until its
 * recheck time (and the random time in an unchanged window is kept, so rechecks do not
 * redraw it). An ARI failure falls back to the lifetime rule and asks again in an hour.
 */
export async function planRenewal(
  stored: StoredCert | undefined,
  names: readonly string[],
  renewBefore: number,
  directoryUrl: string,
  prev: RenewalPlan | undefined,
  now = Date.now(),
  random = Math.random,
): Promise<RenewalPlan> {
  if (!usable(stored, names)) return { fingerprint256: (stored as StoredCert | undefined)?.fingerprint256 ?? '', at: 0, source: 'lifetime' };
  const same = prev?.fingerprint256 === stored.fingerprint256;
  if (same && (prev.recheckAt === undefined || prev.recheckAt > now)) return prev;
  const lifetime = (recheckAt?: number): RenewalPlan => ({
    fingerprint256: stored.fingerprint256,
    at: same && prev.source === 'lifetime' ? prev.at : renewalTime(stored, names, renewBefore, random),
    source: 'lifetime',
    ...(recheckAt ? { recheckAt } : {}),
  });
  if (!stored.ariCertId) return lifetime();
  let renewalInfo: unknown;
  try {
    renewalInfo = (await fetchDirectory(directoryUrl)).renewalInfo;
  } catch {
    return lifetime(now + 3_600_000);
  }
  if (typeof renewalInfo !== 'string') return lifetime();
  try {
    const w = await fetchRenewalWindow(renewalInfo, stored.ariCertId, now);
    const keep = same && prev.window && prev.window.start === w.start && prev.window.end === w.end;
    return { fingerprint256: stored.fingerprint256, at: keep ? prev.at : timeInWindow(w, now, random), recheckAt: w.recheckAt, source: 'ari', window: w };
  } catch {
    return lifetime(now + 3_600_000);
  }
}
