import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * nodemailer's DATA encoder (`smtp-connection/data-stream.js`: dot-stuffing, bare CR / bare LF
 * → CRLF) looks at every byte in a JavaScript loop: at 100 KB per message it was the largest
 * self cost of delivery (≈ 12 % of kumo-ts's CPU in bench/relay-smtp-source --size 102400).
 * This replaces its `_transform` with one that finds the only bytes that can need an insertion
 * (CR, LF, and what follows them) with `Buffer.indexOf` (memchr) and applies the same rules at
 * those positions, so the output is byte for byte the same (test/delivery/dot-stuff.test.ts
 * compares both on random input split at random points). Installed once, on import.
 *
 * The class is not exported by nodemailer's package `exports`, so it is loaded by file from
 * the directory of the `nodemailer/lib/smtp-connection` entry (the same module instance that
 * `SMTPConnection` uses, as ES modules are cached by URL).
 */

type Insert = Buffer | false;
interface DataStreamLike {
  inByteCount: number;
  outByteCount: number;
  lastByte: number | false;
  push(chunk: Buffer): boolean;
}
type TransformFn = (this: DataStreamLike, chunk: Buffer | string, encoding: string, done: () => void) => void;
interface DataStreamClass {
  prototype: { _transform: TransformFn };
  new (): DataStreamLike & NodeJS.ReadWriteStream;
}

const LF = 0x0a;
const CR = 0x0d;
const DOT = 0x2e;
const INSERT_LF = Buffer.from('\n');
const INSERT_LF_DOT = Buffer.from('\n.');
const INSERT_CR = Buffer.from('\r');
const INSERT_DOT = Buffer.from('.');

const entry = fileURLToPath(import.meta.resolve('nodemailer/lib/smtp-connection'));
const mod = (await import(pathToFileURL(join(dirname(entry), 'data-stream.js')).href)) as { default: DataStreamClass };

/** nodemailer's DataStream class (its own `_transform` kept as `originalTransform`, for the test). */
export const DataStream = mod.default;
const PATCHED = Symbol.for('kumo-ts.dot-stuff-patched');
const HELD = Symbol('kumo-ts.dot-stuff-held');
type Held = DataStreamLike & { [HELD]?: Buffer };
const proto = DataStream.prototype as { _transform: TransformFn; _flush: (this: Held, done: () => void) => void; [PATCHED]?: TransformFn };
export const originalTransform: TransformFn = proto[PATCHED] ?? proto._transform;

/** The insertion nodemailer's loop makes before position i (prev = the byte before i). */
function insertAt(chunk: Buffer, i: number, lastByte: number | false): Insert {
  const byte = chunk[i];
  const prev = i ? chunk[i - 1] : lastByte;
  if (prev === CR && byte !== LF) return byte === DOT ? INSERT_LF_DOT : INSERT_LF;
  if (byte === LF && prev !== CR) return INSERT_CR;
  if (byte === DOT && (prev === LF || prev === false)) return INSERT_DOT;
  return false;
}

/** The same encoding as nodemailer's, visiting only the candidate positions: 0, after each CR, each LF and after it. */
export function stuffChunk(chunk: Buffer, lastByte: number | false): Buffer {
  const len = chunk.length;
  const parts: Buffer[] = [];
  let total = 0;
  let from = 0;
  let done = -1;
  const visit = (i: number): void => {
    if (i <= done || i >= len) return;
    done = i;
    const ins = insertAt(chunk, i, lastByte);
    if (!ins) return;
    if (i > from) {
      parts.push(chunk.subarray(from, i));
      total += i - from;
    }
    parts.push(ins);
    total += ins.length;
    from = i;
  };
  visit(0);
  let cr = chunk.indexOf(CR);
  let lf = chunk.indexOf(LF);
  while (cr !== -1 || lf !== -1) {
    // positions come in ascending order: the CR candidate is cr + 1, the LF ones lf and lf + 1
    if (lf === -1 || (cr !== -1 && cr + 1 <= lf)) {
      visit(cr + 1);
      cr = chunk.indexOf(CR, cr + 1);
    } else {
      visit(lf);
      visit(lf + 1);
      lf = chunk.indexOf(LF, lf + 1);
    }
  }
  if (!parts.length) return chunk;
  if (from < len) {
    parts.push(chunk.subarray(from));
    total += len - from;
  }
  return Buffer.concat(parts, total);
}

/**
 * Bodies known to have CRLF line ends only (no bare CR, no bare LF): reception marks the spool
 * record of every message its DATA normaliser produced (SpoolMeta.extra.crlf), and delivery
 * marks the body Buffer it hands to nodemailer. For such input nodemailer's encoder inserts
 * nothing but a second dot before a dot that starts a line, so one search for "\n." does:
 * visiting every CR and LF of a 100 KB message was ≈ 12 % of the queue owner's CPU.
 */
const CRLF_ONLY = new WeakSet<Buffer>();
const LF_DOT = Buffer.from('\n.');

/** `body` has CRLF line ends only; the marking lives as long as the Buffer. */
export function markCrlfOnly(body: Buffer): void {
  CRLF_ONLY.add(body);
}

/** stuffChunk for a CRLF-only chunk starting a line: a dot is doubled at the start of each line. */
export function stuffCrlfOnly(chunk: Buffer): Buffer {
  const parts: Buffer[] = [];
  let from = 0;
  let total = 0;
  const dotAt = (i: number): void => {
    parts.push(chunk.subarray(from, i), INSERT_DOT);
    total += i - from + 1;
    from = i;
  };
  if (chunk[0] === DOT) dotAt(0);
  for (let k = chunk.indexOf(LF_DOT); k !== -1; k = chunk.indexOf(LF_DOT, k + 2)) dotAt(k + 1);
  if (!parts.length) return chunk;
  parts.push(chunk.subarray(from));
  total += chunk.length - from;
  return Buffer.concat(parts, total);
}

/** The end-of-data line nodemailer writes after the last byte (a CRLF first unless the body ended with one). */
function terminator(lastByte: number | false): Buffer {
  return Buffer.from(lastByte === LF ? '.\r\n' : lastByte === CR ? '\n.\r\n' : '\r\n.\r\n');
}

if (!proto[PATCHED]) {
  proto[PATCHED] = originalTransform;
  // Each encoded chunk is held back until the next one (or the end) comes, so that the last
  // one leaves together with the end-of-data line: a message handed over as one Buffer goes
  // to the socket in one write(2) instead of two (the separate "\r\n.\r\n" write was about
  // a third of the queue owner's socket writes in bench/relay-smtp-source).
  proto._transform = function (this: Held, chunk, _encoding, done) {
    if (!chunk || !chunk.length) return done();
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    this.inByteCount += buf.length;
    // the fast path only where a line starts (the body's first chunk, or after an LF)
    const out = CRLF_ONLY.has(buf) && (this.lastByte === false || this.lastByte === LF) ? stuffCrlfOnly(buf) : stuffChunk(buf, this.lastByte);
    this.outByteCount += out.length;
    const held = this[HELD];
    this[HELD] = out;
    this.lastByte = buf[buf.length - 1]!;
    if (held) this.push(held);
    done();
  } as TransformFn;
  proto._flush = function (this: Held, done) {
    const end = terminator(this.lastByte);
    this.outByteCount += end.length;
    const held = this[HELD];
    this[HELD] = undefined;
    this.push(held ? Buffer.concat([held, end], held.length + end.length) : end);
    done();
  };
}
