import type { Resolver } from './resolver.js';
import { resolveRoute, RouteError } from './route.js';
import type { Route, RouteOptions } from './route.js';

interface Entry {
  readonly epoch: number;
  readonly expires: number;
  readonly route: Promise<Route>;
}

/**
 * Remembers routes per config epoch for a short TTL, and shares one lookup between the
 * messages that ask at the same time. Failures are remembered for less long.
 */
export class RouteCache {
  private readonly map = new Map<string, Entry>();

  constructor(
    private readonly ttlMs = 60_000,
    private readonly errorTtlMs = 5_000,
    private readonly maxEntries = 100_000,
    private readonly now = () => Date.now(),
  ) {}

  get(resolver: Resolver, epoch: number, domain: string, opts: RouteOptions = {}): Promise<Route> {
    const key = `${domain}|${opts.allowLoopback ? 1 : 0}|${opts.mxList ? JSON.stringify(opts.mxList) : ''}`;
    const now = this.now();
    const hit = this.map.get(key);
    if (hit && hit.epoch === epoch && hit.expires > now) return hit.route;
    if (this.map.size >= this.maxEntries) this.prune(now);
    const route = resolveRoute(resolver, domain, opts);
    const entry: Entry = { epoch, expires: now + this.ttlMs, route };
    this.map.set(key, entry);
    route.catch((e: unknown) => {
      if (this.map.get(key) !== entry) return;
      // permanent answers (NXDOMAIN, null MX) keep; transient ones are retried soon
      if (e instanceof RouteError && e.permanent) return;
      this.map.set(key, { ...entry, expires: this.now() + this.errorTtlMs });
    });
    return route;
  }

  clear(): void {
    this.map.clear();
  }

  private prune(now: number): void {
    for (const [k, e] of this.map) if (e.expires <= now) this.map.delete(k);
    if (this.map.size >= this.maxEntries) this.map.clear();
  }
}
