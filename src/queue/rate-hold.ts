/**
 * Holds the messages of scheduled queues that are over their `max_message_rate`, in arrival
 * order, with one timer per held queue: when it fires, messages are released one by one while
 * the rate allows. Without it every delayed message would wake up on its own and ask again.
 */
/** Where a held item is: its line's head goes at `headDue` (ms since the epoch), `ahead` items before it. */
export interface Held {
  readonly headDue: number;
  readonly ahead: number;
}

export class RateHold<T> {
  /** `due`: when the line's timer fires (its head's turn) */
  private readonly held = new Map<string, { jobs: T[]; timer?: NodeJS.Timeout; due: number }>();
  private stopped = false;

  constructor(
    /** 0 when one more message of `key` may go now, else the ms to wait (takes a unit when 0) */
    private readonly take: (key: string, item: T) => Promise<number>,
    /** a held item may go now */
    private readonly release: (item: T) => void,
  ) {}

  /**
   * true if `item` may go now; false when it is held (and will be released later). `onHeld`
   * learns where it is held at once, before anything could release it.
   */
  async admit(key: string, item: T, onHeld: (at: Held) => void = () => undefined): Promise<boolean> {
    const h = this.held.get(key);
    if (h) return this.queue(h, item, onHeld);
    const wait = await this.take(key, item);
    if (wait <= 0) return true;
    const again = this.held.get(key);
    if (again) return this.queue(again, item, onHeld);
    const line = { jobs: [item], due: 0 };
    this.held.set(key, line);
    this.arm(key, wait);
    onHeld({ headDue: line.due, ahead: 0 });
    return false;
  }

  private queue(h: { jobs: T[]; due: number }, item: T, onHeld: (at: Held) => void): false {
    h.jobs.push(item);
    onHeld({ headDue: h.due, ahead: h.jobs.length - 1 });
    return false;
  }

  stop(): void {
    this.stopped = true;
    for (const h of this.held.values()) clearTimeout(h.timer);
    this.held.clear();
  }

  private arm(key: string, wait: number): void {
    const h = this.held.get(key);
    if (!h || this.stopped) return;
    h.due = Date.now() + Math.max(1, wait);
    h.timer = setTimeout(() => void this.drain(key), Math.max(1, wait));
  }

  private async drain(key: string): Promise<void> {
    const h = this.held.get(key);
    if (!h) return;
    while (h.jobs.length && !this.stopped) {
      const wait = await this.take(key, h.jobs[0]);
      if (wait > 0) return this.arm(key, wait);
      this.release(h.jobs.shift()!);
    }
    if (this.held.get(key) === h && !h.jobs.length) this.held.delete(key);
  }
}
