/**
 * Remembers when each labelled series was last active and drops the ones idle for longer
 * than their horizon (KumoMTA's reap_interval): the number of series stays bounded by what
 * was active recently, whatever the number of queues, sources and providers seen since start.
 */
export class SeriesReaper {
  private readonly owners = new Map<string, { at: number; horizonMs: number }>();

  constructor(private readonly drop: (key: string) => void) {}

  /** The series of `key` is in use now; it is kept at least `horizonMs` after the last touch. */
  touch(key: string, horizonMs: number, now = Date.now()): void {
    const o = this.owners.get(key);
    if (o) {
      o.at = now;
      o.horizonMs = horizonMs;
    } else this.owners.set(key, { at: now, horizonMs });
  }

  has(key: string): boolean {
    return this.owners.has(key);
  }

  keys(): IterableIterator<string> {
    return this.owners.keys();
  }

  get size(): number {
    return this.owners.size;
  }

  /** Drops every series idle past its horizon (`live` keys count as active now). */
  reap(live: ReadonlySet<string>, now = Date.now()): void {
    for (const [key, o] of this.owners) {
      if (live.has(key)) o.at = now;
      else if (now - o.at > o.horizonMs) {
        this.owners.delete(key);
        this.drop(key);
      }
    }
  }
}
