import { FRONT_ROOM, MessageBuffer } from './data-buffer.js';
import { DataNormalizer } from './data-normalize.js';
import type { NormalizeOptions } from './data-normalize.js';
import type { Reservation } from './inflight-budget.js';

/** Why a message read from DATA is not handed to reception. */
export type DataRefusal = 'over-budget' | 'bare-newline' | 'long-line' | 'too-big' | 'aborted';

/** A message read in full: one buffer (room in front for new header fields) and its header length. */
export interface ReceivedData {
  readonly buffer: MessageBuffer;
  /** the message as received and normalised (a view into `buffer`) */
  readonly data: Buffer;
  /** the header block including its blank line */
  readonly headerLength: number;
}

export interface DataReaderOptions extends NormalizeOptions {
  /** size the message is expected to reach: MAIL FROM SIZE=, else the listener's maximum */
  readonly expected: number;
  /** the listener's max_message_size, of the message as normalised (a bare LF becomes CRLF) */
  readonly maxSize?: number;
  /** the in-flight budget's limit now (from the current snapshot) */
  readonly limit: () => number;
  readonly reservation: Reservation;
  /** called once, at the moment the message outgrows the budget (counted and logged there) */
  readonly onOverBudget?: () => void;
}

/**
 * Reads the chunks of one DATA into a single buffer, normalised as they arrive, reserving
 * in-flight budget before each chunk is kept. Once refused (over budget, a refused construct,
 * too big) it drops everything it holds at once, releases its reservation and ignores the
 * rest of the message: a refused message is never held in memory.
 */
export class DataReader {
  refused: DataRefusal | undefined;
  private norm: DataNormalizer | undefined;

  constructor(private readonly opts: DataReaderOptions) {
    this.norm = new DataNormalizer(new MessageBuffer(opts.expected), opts);
  }

  write(chunk: Buffer): void {
    const norm = this.norm;
    if (!norm) return;
    const r = this.opts.reservation;
    if (!r.ensure(FRONT_ROOM + norm.out.length + chunk.length, this.opts.limit())) return this.refuse('over-budget');
    norm.write(chunk);
    if (norm.violation) return this.refuse(norm.violation);
    // smtp-server counts the bytes received; normalising may add up to as many again
    if (this.opts.maxSize !== undefined && norm.out.length > this.opts.maxSize) return this.refuse('too-big');
    // normalisation can add a few bytes (CR before a bare LF, line breaks)
    if (!r.ensure(FRONT_ROOM + norm.out.length, this.opts.limit())) this.refuse('over-budget');
  }

  refuse(why: DataRefusal): void {
    if (this.refused === undefined && why === 'over-budget') this.opts.onOverBudget?.();
    this.refused ??= why;
    this.norm = undefined;
    this.opts.reservation.release();
  }

  /** The final dot arrived: the message, or why it is refused. */
  finish(): ReceivedData | DataRefusal {
    const norm = this.norm;
    if (!norm || this.refused) return this.refused ?? 'aborted';
    norm.end();
    /* c8 ignore start -- DATA content always ends with the CRLF before the final dot: end() never finds a pending bare CR */
    if (norm.violation) {
      this.refuse(norm.violation);
      return norm.violation;
    }
    /* c8 ignore stop */
    return { buffer: norm.out, data: norm.out.view(), headerLength: norm.headerLength };
  }

  /** The message is spooled or refused: give its budget back and let go of the buffer. */
  release(): void {
    this.norm = undefined;
    this.opts.reservation.release();
  }
}
