import { SMTPStream } from 'smtp-server/lib/smtp-stream.js';

/**
 * smtp-server's DATA parser (`SMTPStream._feedDataStream`) looks for "\n." (a terminator or an
 * escape dot) by testing every byte of the message in a JavaScript loop: with 100 KB messages
 * that loop was ≈ 5 % of kumo-ts's CPU. This is the same method with that loop replaced by
 * `Buffer.indexOf("\n.")` (memchr); everything else (the start-of-DATA checks that stop
 * terminator smuggling across chunk boundaries, the 4 bytes kept for the next chunk, drain
 * handling, the yield after an escape dot) is smtp-server 3.21's code unchanged.
 * test/smtp/data-scan.test.ts feeds random input through both versions. Installed on import.
 */

interface Feeder {
  _lastBytes: Buffer | false;
  _atDataStart: boolean;
  _dataStream: NodeJS.WritableStream & { writable: boolean; destroyed: boolean };
  _countDataBytes(len: number): void;
  _endDataMode(chunk: Buffer | false, remainder: Buffer, done: (err?: Error) => void): void;
  _feedDataStream(chunk: Buffer, done: (err?: Error) => void): void;
}
type FeedFn = (this: Feeder, chunk: Buffer, done: (err?: Error) => void) => void;

const END_SEQUENCE = Buffer.from('\r\n.\r\n');
const DOT_CRLF = Buffer.from('.\r\n');
const LF_DOT = Buffer.from('\n.');
const PATCHED = Symbol.for('kumo-ts.data-scan-patched');
const proto = SMTPStream.prototype as unknown as { _feedDataStream: FeedFn; [PATCHED]?: FeedFn };

/** smtp-server's own method, kept for the equivalence test. */
export const originalFeedDataStream: FeedFn = proto[PATCHED] ?? proto._feedDataStream;

const feedDataStream: FeedFn = function (chunk, done) {
  const dataStream = this._dataStream;
  if (this._lastBytes && this._lastBytes.length) {
    chunk = Buffer.concat([this._lastBytes, chunk], this._lastBytes.length + chunk.length);
    this._lastBytes = false;
  }
  let len = chunk.length;
  if (this._atDataStart && len >= 3 && Buffer.compare(chunk.subarray(0, 3), DOT_CRLF) === 0) {
    this._endDataMode(false, chunk.subarray(3), done);
    return;
  }
  if (this._atDataStart && len >= 2 && chunk[0] === 0x2e && chunk[1] === 0x2e) {
    chunk = chunk.subarray(1);
    len--;
    this._atDataStart = false;
  }
  // a dot at position i (2 ≤ i < len − 2) that starts a line: "\n." at i − 1
  for (let k = chunk.indexOf(LF_DOT, 1); k !== -1 && k + 1 < len - 2; k = chunk.indexOf(LF_DOT, k + 1)) {
    const i = k + 1;
    if (Buffer.compare(chunk.subarray(i - 2, i + 3), END_SEQUENCE) === 0) {
      const buf = chunk.subarray(0, i);
      this._countDataBytes(buf.length);
      this._endDataMode(buf, chunk.subarray(i + 3), done);
      return;
    }
    if (chunk[i + 1] === 0x2e) {
      const buf = chunk.subarray(0, i);
      this._lastBytes = false;
      this._countDataBytes(buf.length);
      if (dataStream.writable) dataStream.write(buf);
      const rest = chunk.subarray(i + 1);
      setImmediate(() => this._feedDataStream(rest, done));
      return;
    }
  }
  this._lastBytes = chunk.length < 4 ? chunk : chunk.subarray(chunk.length - 4);
  if (this._lastBytes.length < chunk.length) {
    const buf = chunk.subarray(0, chunk.length - this._lastBytes.length);
    this._countDataBytes(buf.length);
    if (dataStream.writable) {
      const handled = dataStream.write(buf);
      if (!handled && !dataStream.destroyed) {
        const onDrain = (): void => {
          dataStream.removeListener('drain', onDrain);
          dataStream.removeListener('close', onDrain);
          done();
        };
        dataStream.once('drain', onDrain);
        dataStream.once('close', onDrain);
      } else {
        return done();
      }
    } else {
      return done();
    }
  } else {
    return done();
  }
};

if (!proto[PATCHED]) {
  proto[PATCHED] = originalFeedDataStream;
  proto._feedDataStream = feedDataStream;
}
