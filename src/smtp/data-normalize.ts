import { MessageBuffer } from './data-buffer.js';

/**
 * Line-ending and line-length normalisation of DATA, applied once, at reception, as the bytes
 * arrive (before DKIM signing, so that what is signed is exactly what is sent later):
 *  - a bare CR or bare LF becomes CRLF ("Normalize"; the rules of nodemailer's outgoing
 *    DataStream, so delivery changes nothing) or marks the message for refusal ("Reject");
 *  - a line over 998 octets (RFC 5322 §2.1.1) is broken ("Wrap"): a header line is folded at
 *    its last white space, else hard-broken with CRLF SP; a body line is broken with CRLF.
 *    Or the message is marked for refusal ("Reject").
 * It also finds the end of the header block on the way, so nobody scans the message again. As
 * Postfix's cleanup does, the header ends at the first line that is neither a header field
 * (`name:`, RFC 5322 §2.2) nor a continuation; when that line is not the blank line, a blank
 * line is inserted before it, so that text sent without a header (or after a broken one) stays
 * body and the trace headers added at reception do not run into it.
 */
export const MAX_LINE = 998;

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HT = 0x09;
const CRLF = Buffer.from('\r\n');

export interface NormalizeOptions {
  readonly bareNewline: 'Normalize' | 'Reject';
  readonly longLines: 'Wrap' | 'Reject';
}

export type Violation = 'bare-newline' | 'long-line';

const enum FieldState {
  LineStart,
  /** field-name characters so far */
  Name,
  /** white space after the name (obsolete syntax, RFC 5322 §4.5.3) */
  NameSpace,
  /** a field (its colon seen), a continuation, or a folded line */
  Field,
}

/** ftext, RFC 5322 §2.2: printable US-ASCII but ':' */
const ftext = (b: number) => b >= 0x21 && b <= 0x7e && b !== 0x3a;

export class DataNormalizer {
  /** the first refused construct (Reject modes); input is ignored from then on */
  violation: Violation | undefined;
  private inHeader = true;
  /** offset just past the blank line that ends the header, -1 until it is seen */
  private headEnd = -1;
  /** the previous input byte was a CR (already written); an LF must follow it */
  private pendingCR = false;
  /** content bytes on the current output line (CR/LF not counted) */
  private lineLen = 0;
  /** header mode: where the current line starts, and its last white space after some text */
  private lineStart = 0;
  private foldAt = -1;
  private lineText = false;
  /** header mode: what the current line is so far */
  private field: FieldState = FieldState.LineStart;
  /** a header field has been seen (a line starting with white space continues it) */
  private anyField = false;

  constructor(readonly out: MessageBuffer, private readonly opts: NormalizeOptions) {}

  /** Length of the header block including its blank line (the whole message if it has none). */
  get headerLength(): number {
    return this.headEnd < 0 ? this.out.length : this.headEnd;
  }

  write(chunk: Buffer): void {
    if (this.violation) return;
    let i = 0;
    if (this.inHeader) i = this.header(chunk, 0);
    if (!this.inHeader && i < chunk.length && !this.violation) this.body(chunk, i);
  }

  /** End of DATA: a CR left pending at the very end is a bare CR. */
  end(): void {
    if (this.pendingCR && !this.violation) {
      this.pendingCR = false;
      if (this.bare()) this.out.byte(LF);
    }
  }

  /** Whether to carry on after a bare CR/LF (Normalize), else the message is refused. */
  private bare(): boolean {
    if (this.opts.bareNewline === 'Normalize') return true;
    this.violation ??= 'bare-newline';
    return false;
  }

  private long(): boolean {
    if (this.opts.longLines === 'Wrap') return true;
    this.violation ??= 'long-line';
    return false;
  }

  /** Header bytes one at a time (the header is small); returns where the body starts in `chunk`. */
  private header(chunk: Buffer, i: number): number {
    const out = this.out;
    for (; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (this.pendingCR) {
        this.pendingCR = false;
        if (b === LF) {
          out.byte(LF);
          if (this.eol()) return i + 1;
          continue;
        }
        if (!this.bare()) return chunk.length;
        out.byte(LF);
        if (this.eol()) return i; // this byte is the body's first
      }
      if (b === CR) {
        out.byte(CR);
        this.pendingCR = true;
        continue;
      }
      if (b === LF) {
        if (!this.bare()) return chunk.length;
        out.byte(CR);
        out.byte(LF);
        if (this.eol()) return i + 1;
        continue;
      }
      if (this.field !== FieldState.Field && !this.classify(b)) {
        // not a header line: the body starts with it, after the blank line put before it
        this.bodyFrom(this.lineStart);
        return i;
      }
      if (this.lineLen >= MAX_LINE) {
        if (!this.long()) return chunk.length;
        this.fold();
      }
      out.byte(b);
      this.lineLen++;
      if (b === SP || b === HT) {
        // white space before the colon ("Subject :", obsolete syntax) is no place to fold
        if (this.lineText && this.field === FieldState.Field) this.foldAt = out.length - 1;
      } else this.lineText = true;
    }
    return i;
  }

  /**
   * The next content byte of a header line that is not yet known to be a field: false when it
   * shows the line is not one.
   */
  private classify(b: number): boolean {
    switch (this.field) {
      case FieldState.LineStart:
        if (b === SP || b === HT) {
          this.field = FieldState.Field;
          return this.anyField; // a continuation needs a field to continue
        }
        this.field = FieldState.Name;
        return ftext(b);
      case FieldState.Name:
        if (b === 0x3a) this.field = FieldState.Field;
        else if (b === SP || b === HT) this.field = FieldState.NameSpace;
        else return ftext(b);
        return true;
      case FieldState.NameSpace:
        if (b === 0x3a) this.field = FieldState.Field;
        else return b === SP || b === HT;
        return true;
      default:
        return true;
    }
  }

  /**
   * The body starts at the line beginning at `at` (already written from there): a blank line
   * goes in before it and the header ends there.
   */
  private bodyFrom(at: number): void {
    this.out.insert(at, CRLF);
    this.inHeader = false;
    this.headEnd = at + 2;
  }

  /** A header line ended (its CRLF is written); true when it was the blank line ending the header. */
  private eol(): boolean {
    const blank = this.lineLen === 0;
    if (!blank && this.field !== FieldState.Field) {
      // a whole line of field-name characters and no colon: body (the line is already written, CRLF too)
      this.bodyFrom(this.lineStart);
      this.lineLen = 0;
      return true;
    }
    if (!blank) this.anyField = true;
    this.field = FieldState.LineStart;
    this.lineLen = 0;
    this.lineStart = this.out.length;
    this.foldAt = -1;
    this.lineText = false;
    if (blank) {
      this.inHeader = false;
      this.headEnd = this.out.length;
    }
    return blank;
  }

  /** The header line is full: fold it at its last white space, else break it with CRLF SP. */
  private fold(): void {
    const out = this.out;
    this.field = FieldState.Field; // a line long enough to fold stays in the header, as before
    if (this.foldAt > this.lineStart) {
      out.insert(this.foldAt, CRLF);
      this.lineStart = this.foldAt + 2;
      this.lineLen = out.length - this.lineStart;
      // the continuation starts with the white space; look for a later fold point in what moved
      const v = out.view();
      this.foldAt = -1;
      this.lineText = false;
      for (let k = this.lineStart; k < v.length; k++) {
        const c = v[k]!;
        if (c === SP || c === HT) {
          if (this.lineText) this.foldAt = k;
        } else this.lineText = true;
      }
      return;
    }
    out.byte(CR);
    out.byte(LF);
    out.byte(SP);
    this.lineStart = out.length - 1;
    this.lineLen = 1;
    this.foldAt = -1;
    this.lineText = false;
  }

  /**
   * Body bytes: copied in runs; well-formed text (CRLF lines of at most 998 octets) is
   * scanned natively and copied in one piece per chunk.
   */
  private body(chunk: Buffer, i: number): void {
    const out = this.out;
    let run = i;
    let lineLen = this.lineLen;
    let pendingCR = this.pendingCR;
    const n = chunk.length;
    // Fast path, the common case: CRLF lines within MAX_LINE, found with native scans
    // (Buffer.indexOf) instead of a JS loop per byte (5 % of the CPU of a 100 KB relay). At
    // the first bare CR, bare LF or long line it stops and the loop below goes on byte by byte
    // from there, with the same state; nothing is copied here (the run covers it).
    if (pendingCR && i < n && chunk[i] === LF) {
      pendingCR = false;
      lineLen = 0;
      i++;
    }
    while (!pendingCR && i < n) {
      const cr = chunk.indexOf(CR, i);
      const end = cr < 0 ? n : cr;
      const lf = chunk.indexOf(LF, i);
      if ((lf >= 0 && lf < end) || lineLen + (end - i) > MAX_LINE) break;
      if (cr < 0) {
        lineLen += n - i;
        i = n;
      } else if (cr + 1 === n) {
        lineLen += cr - i;
        pendingCR = true;
        i = n;
      } else if (chunk[cr + 1] === LF) {
        lineLen = 0;
        i = cr + 2;
      } else break; // a bare CR: byte by byte
    }
    for (; i < n; i++) {
      const b = chunk[i]!;
      if (pendingCR) {
        pendingCR = false;
        if (b === LF) {
          lineLen = 0;
          continue;
        }
        // bare CR (already copied, or still in the run): add its LF
        if (!this.bare()) return;
        out.append(chunk, run, i);
        out.byte(LF);
        run = i;
        lineLen = 0;
      }
      if (b === CR) {
        pendingCR = true;
        continue;
      }
      if (b === LF) {
        if (!this.bare()) return;
        out.append(chunk, run, i);
        out.byte(CR);
        run = i; // the LF itself stays in the run
        lineLen = 0;
        continue;
      }
      if (lineLen >= MAX_LINE) {
        if (!this.long()) return;
        out.append(chunk, run, i);
        out.append(CRLF);
        run = i;
        lineLen = 0;
      }
      lineLen++;
    }
    out.append(chunk, run, n);
    this.lineLen = lineLen;
    this.pendingCR = pendingCR;
  }
}

/** Whether every CR in `b` is followed by an LF and every LF preceded by a CR (a header block: a few KB). */
export function crlfOnly(b: Buffer): boolean {
  for (let i = b.indexOf(LF); i !== -1; i = b.indexOf(LF, i + 1)) if (i === 0 || b[i - 1] !== CR) return false;
  for (let i = b.indexOf(CR); i !== -1; i = b.indexOf(CR, i + 1)) if (b[i + 1] !== LF) return false;
  return true;
}
