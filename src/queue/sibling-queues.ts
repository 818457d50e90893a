import type { ReadyQueue } from '../delivery/ready-queue.js';

/**
 * Ready queues of one egress source and one site (different MX routes or TLS modes of the same
 * site): they share the site's connection limit, so a queue that cannot open a connection
 * because of it may take one that a sibling holds idle.
 */
export class SiblingQueues {
  private readonly bySourceSite = new Map<string, Set<ReadyQueue>>();

  add(rq: ReadyQueue): void {
    const k = key(rq);
    let set = this.bySourceSite.get(k);
    if (!set) this.bySourceSite.set(k, (set = new Set()));
    set.add(rq);
  }

  remove(rq: ReadyQueue): void {
    const k = key(rq);
    const set = this.bySourceSite.get(k);
    set?.delete(rq);
    if (set && !set.size) this.bySourceSite.delete(k);
  }

  /** `rq` is starved by the shared limit: the first sibling with an idle connection closes it. */
  releaseIdleFor(rq: ReadyQueue): void {
    for (const other of this.bySourceSite.get(key(rq)) ?? []) if (other !== rq && other.releaseIdle()) return;
  }
}

function key(rq: ReadyQueue): string {
  return `${rq.source}\u0000${rq.site}`;
}
