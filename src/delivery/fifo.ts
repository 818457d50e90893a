/** FIFO with O(1) shift: the head index moves; the array is compacted once most of it is spent. */
export class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;
  get length(): number {
    return this.items.length - this.head;
  }
  push(x: T): void {
    this.items.push(x);
  }
  /** Puts `x` back in front (a job taken and not sent). */
  unshift(x: T): void {
    if (this.head > 0) this.items[--this.head] = x;
    else this.items.unshift(x);
  }
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const x = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return x;
  }
  /** Removes and returns the items matching `pred` (order of the rest kept). */
  remove(pred: (x: T) => boolean): T[] {
    const out: T[] = [];
    const keep: (T | undefined)[] = [];
    for (let i = this.head; i < this.items.length; i++) {
      const x = this.items[i] as T;
      if (pred(x)) out.push(x);
      else keep.push(x);
    }
    this.items = keep;
    this.head = 0;
    return out;
  }
}
