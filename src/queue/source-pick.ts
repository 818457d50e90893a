import type { Snapshot } from '../config/snapshot.js';
import { shapingQueryFor } from '../delivery/ready-queue-name.js';
import type { SiteIdentity } from '../delivery/ready-queue-name.js';
import type { Route } from '../dns/route.js';
import type { SourceSelector } from '../egress/selector.js';
import type { ShapingGate } from '../shaping/gate.js';
import type { EffectiveShaping, ShapingQuery } from '../shaping/types.js';

export interface SourcePickDeps {
  readonly selector: SourceSelector;
  readonly gate: ShapingGate;
  readonly shaping: (q: ShapingQuery) => EffectiveShaping;
}

/**
 * The egress source for a message: the pool's next source by weighted round robin that the
 * shaping gate lets us select now (source_selection_rate, IP warm-up); the next one if not.
 * When none can be used: when to try again, if known.
 */
export async function pickSource(d: SourcePickDeps, snap: Snapshot, pool: string, domain: string, route: Route, site: SiteIdentity): Promise<string | { retryAt?: number }> {
  const entries = snap.egress.pools.get(pool)?.entries.length ?? 0;
  for (let i = 0; i < entries; i++) {
    const source = d.selector.pick(snap.egress, pool);
    if (!source) break;
    if (!d.gate.trySelectSource) return source;
    const q = shapingQueryFor(domain, site, route.mxHosts, source);
    if (await d.gate.trySelectSource(q, d.shaping(q))) return source;
  }
  if (!snap.egress.pools.has(pool)) return {};
  const resume = d.selector.poolResumesAt(snap.egress, pool);
  // suspended sources: when the first comes back; selection rates: try again a little later
  return { retryAt: resume ?? Date.now() + 5_000 + Math.floor(Math.random() * 5_000) };
}
