interface Entry<T> {
  due: number;
  seq: number;
  item: T;
}

/**
 * One timer for any number of scheduled items: a binary min-heap by due time drives a single
 * setTimeout armed for the earliest item. Cancelling is lazy: the owner marks its item stale
 * (e.g. with a generation number) and ignores it when it fires.
 */
export class TimerHeap<T> {
  private heap: Entry<T>[] = [];
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;
  private armedFor = Infinity;
  private stopped = false;

  /**
   * `chunk`: most items handed to `fire` per timer turn; more due items wait for the next turn
   * (a 0 ms timer), so the event loop serves I/O between chunks. The queue's `fire` routes each
   * job (≈ 35 µs of CPU), so 1,000 is a ~35 ms slice.
   */
  constructor(private readonly fire: (items: T[]) => void, private readonly now = () => Date.now(), private readonly chunk = 1_000) {}

  add(item: T, due: number): void {
    if (this.stopped) return;
    this.push({ due, seq: this.seq++, item });
    if (due < this.armedFor) this.arm();
  }

  /** Stops the timer and forgets every item. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.heap = [];
  }

  private arm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = Infinity;
    const top = this.heap[0];
    if (!top || this.stopped) return;
    // setTimeout holds at most ~24.8 days; longer waits re-arm when it fires
    const wait = Math.min(Math.max(top.due - this.now(), 0), 2 ** 31 - 1);
    this.armedFor = top.due;
    this.timer = setTimeout(() => this.onTimer(), wait);
    this.timer.unref?.();
  }

  private onTimer(): void {
    this.timer = undefined;
    this.armedFor = Infinity;
    const now = this.now();
    const due: T[] = [];
    while (this.heap.length && this.heap[0].due <= now && due.length < this.chunk) due.push(this.pop()!.item);
    this.arm();
    if (due.length) this.fire(due);
  }

  private push(e: Entry<T>): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }

  private pop(): Entry<T> | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && less(h[l], h[m])) m = l;
        if (r < h.length && less(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}

function less<T>(a: Entry<T>, b: Entry<T>): boolean {
  return a.due < b.due || (a.due === b.due && a.seq < b.seq);
}
