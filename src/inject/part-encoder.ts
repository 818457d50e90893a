/**
 * Quoted-printable body parts of one request's messages, by nodemailer's qp encoder, one hard
 * line at a time. QP encodes and soft-wraps every line on its own (a soft break never crosses a
 * CRLF, and the whitespace before a CRLF is encoded whatever follows), so the output is the same
 * as encoding the whole part at once (test/inject/part-encoder.test.ts compares them), and a line that renders alike for every recipient (most
 * of a templated body) is encoded once and reused.
 */
import * as qp from 'nodemailer/lib/qp';

/**
 * qp.wrap leaves an input of at most 76 characters as it is, but may break the same characters
 * at a space when they end a longer input: a whole first line before them gives that case.
 */
const LEAD = `${'-'.repeat(74)}\r\n`;
function wrapAsLastLine(encoded: string): string {
  return qp.wrap(LEAD + encoded, 76).slice(LEAD.length);
}

/** bytes of encoded lines kept per part */
const MAX_KEPT_BYTES = 1024 * 1024;

export class PartEncoder {
  private readonly lines = new Map<string, string>();
  private keptBytes = 0;

  /** `text` with CRLF line endings only (normalizeCrlf) → its quoted-printable lines. */
  encode(text: string): string {
    // wrap() leaves a whole input of at most 76 characters as it is (and the encoded text is
    // at least as long as the text)
    if (text.length <= 76) return qp.wrap(qp.encode(Buffer.from(text, 'utf8')), 76);
    let out = '';
    for (let at = 0; at < text.length; ) {
      const nl = text.indexOf('\r\n', at);
      const end = nl < 0 ? text.length : nl + 2;
      const line = text.slice(at, end);
      // a last line without a CRLF after other lines is wrapped as the end of a longer input
      const last = nl < 0 && at > 0;
      at = end;
      const key = last ? `\n${line}` : line;
      let encoded = this.lines.get(key);
      if (encoded === undefined) {
        const bytes = qp.encode(Buffer.from(line, 'utf8'));
        encoded = last ? wrapAsLastLine(bytes) : qp.wrap(bytes, 76);
        if (this.keptBytes + key.length + encoded.length <= MAX_KEPT_BYTES) {
          this.lines.set(key, encoded);
          this.keptBytes += key.length + encoded.length;
        }
      }
      out += encoded;
    }
    return out;
  }
}
