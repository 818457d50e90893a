/**
 * Ids of messages this queue finished in the last `windowMs` (at most `max` of them): an
 * announcement or a recovery scan that is late for such a message (a reception worker's
 * 'spooled' still in its channel, a scan snapshot older than the removal) is recognised and
 * ignored instead of delivering the message a second time. Insertion order is time order,
 * so pruning drops from the front.
 */
export class RecentIds {
  private readonly at = new Map<string, number>();

  constructor(private readonly windowMs = 60_000, private readonly max = 200_000) {}

  add(id: string, now = Date.now()): void {
    this.at.delete(id);
    this.at.set(id, now);
    this.prune(now);
  }

  has(id: string, now = Date.now()): boolean {
    const t = this.at.get(id);
    return t !== undefined && now - t < this.windowMs;
  }

  get size(): number {
    return this.at.size;
  }

  private prune(now: number): void {
    for (const [id, t] of this.at) {
      if (this.at.size <= this.max && now - t < this.windowMs) return;
      this.at.delete(id);
    }
  }
}
