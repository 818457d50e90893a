/**
 * Bounds the message bytes being written to the spool at once. lmdb copies each value into
 * its transaction's dirty pages before the commit, and every put issued while a commit runs
 * joins the next transaction: 50 large messages finishing together would be held twice, once
 * by reception and once by lmdb. With at most WINDOW bytes in the spool's hands, that second
 * copy stays small. Small messages pass at once, so group commit of ordinary mail is unchanged.
 */
const WINDOW = 64 * 1024 * 1024;
const SMALL = 256 * 1024;

export class SpoolWriteGate {
  private used = 0;
  private readonly waiting: { n: number; go: () => void }[] = [];

  constructor(private readonly window = WINDOW) {}

  /** Waits for room for `n` bytes; call the returned function once the put has settled. */
  async acquire(n: number): Promise<() => void> {
    if (n < SMALL) return () => undefined;
    if (!this.fits(n) || this.waiting.length) await new Promise<void>((go) => this.waiting.push({ n, go }));
    else this.used += n;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.used -= n;
      this.next();
    };
  }

  /** bytes handed to the spool right now (large messages only) */
  get bytes(): number {
    return this.used;
  }

  private fits(n: number): boolean {
    return this.used === 0 || this.used + n <= this.window;
  }

  private next(): void {
    while (this.waiting.length && this.fits(this.waiting[0]!.n)) {
      const w = this.waiting.shift()!;
      this.used += w.n;
      w.go();
    }
  }
}

/** One per process: the spool is one lmdb environment. */
export const spoolWrites = new SpoolWriteGate();
