/**
 * The one buffer a message is held in while it is received: bytes are appended as DATA
 * arrives, with free room kept in front so that reception can prepend its new header fields
 * (trace headers, DKIM-Signature) or rewrite the header in place, without copying the body.
 *
 * Capacity grows in large steps (×16, up to the expected size) so that the copies made while
 * growing stay smaller than the final message; untouched capacity costs address space only
 * (Buffer.allocUnsafe does not write to it, so its pages are not resident).
 */
export const FRONT_ROOM = 8 * 1024;
/** most messages fit in the first allocation (32 KB with the front room) */
const FIRST_CAPACITY = 24 * 1024;
const GROWTH = 16;

export class MessageBuffer {
  private store: Buffer;
  private start: number;
  private end: number;

  /** `expected`: the size the message is expected to reach (SIZE=, or the listener's maximum) */
  constructor(private readonly expected: number) {
    const cap = FRONT_ROOM + Math.min(Math.max(1, expected), FIRST_CAPACITY);
    this.store = Buffer.allocUnsafe(cap);
    this.start = this.end = FRONT_ROOM;
  }

  get length(): number {
    return this.end - this.start;
  }

  /** The message as it stands (a view, not a copy: valid until the next write). */
  view(): Buffer {
    return this.store.subarray(this.start, this.end);
  }

  byte(b: number): void {
    if (this.end === this.store.length) this.grow(1);
    this.store[this.end++] = b;
  }

  append(src: Buffer, from = 0, to = src.length): void {
    const n = to - from;
    if (n <= 0) return;
    if (this.end + n > this.store.length) this.grow(n);
    src.copy(this.store, this.end, from, to);
    this.end += n;
  }

  /** Inserts `bytes` at message offset `at` (near the end: header folding moves under 1000 bytes). */
  insert(at: number, bytes: Buffer): void {
    const n = bytes.length;
    if (this.end + n > this.store.length) this.grow(n);
    const pos = this.start + at;
    this.store.copy(this.store, pos + n, pos, this.end);
    bytes.copy(this.store, pos);
    this.end += n;
  }

  /**
   * Replaces the first `oldLength` bytes of the message (its header) with `head` and returns
   * the whole message: in place when the front room allows (the usual case), else in one new
   * buffer. Views taken before are no longer valid.
   */
  replaceHead(oldLength: number, head: Buffer): Buffer {
    const bodyAt = this.start + oldLength;
    if (head.length <= bodyAt) {
      this.start = bodyAt - head.length;
      head.copy(this.store, this.start);
      return this.view();
    }
    const next = Buffer.allocUnsafe(FRONT_ROOM + head.length + (this.end - bodyAt));
    head.copy(next, FRONT_ROOM);
    this.store.copy(next, FRONT_ROOM + head.length, bodyAt, this.end);
    this.store = next;
    this.start = FRONT_ROOM;
    this.end = next.length;
    return this.view();
  }

  private grow(n: number): void {
    const used = this.end - this.start;
    const needed = used + n;
    const cap = this.store.length - FRONT_ROOM;
    // big steps up to the expected size (minus the copy peak), then doubling for what outgrows it
    const expected = Math.ceil(this.expected * 1.02) + 1024;
    let next = cap < expected ? Math.min(expected, cap * GROWTH) : cap * 2;
    if (next < needed) next = Math.max(needed, cap * 2);
    const store = Buffer.allocUnsafe(FRONT_ROOM + next);
    this.store.copy(store, FRONT_ROOM, this.start, this.end);
    this.store = store;
    this.start = FRONT_ROOM;
    this.end = FRONT_ROOM + used;
  }
}
