// Body parts encoded a line at a time (src/inject/part-encoder.ts) are byte for byte what
// nodemailer's qp encoder makes of the whole part, for texts built to hit its edge cases:
// trailing whitespace, soft breaks near the end, short texts, a last line without CRLF,
// multi-byte characters and '=' across the 76-column limit.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as qp from 'nodemailer/lib/qp';
import { PartEncoder } from '../../src/inject/part-encoder.js';

const whole = (s: string) => qp.wrap(qp.encode(Buffer.from(s, 'utf8')), 76);

describe('quoted-printable parts a line at a time', () => {
  it('the same bytes as encoding the whole part, on 20,000 generated texts', () => {
    const pieces = ['a', 'b', ' ', ' ', '\t', '=', '.', ',', '!', '?', 'ü', '€', '😀', '\r\n', '\r\n', 'x'.repeat(70), 'word ', '=C3', '\u0001', '~', '>'];
    // mulberry32: a fixed sequence, so a failure names a text that can be replayed
    let seed = 7;
    const next = (n: number) => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) % n;
    };
    const shared = new PartEncoder();
    for (let k = 0; k < 20_000; k++) {
      let s = '';
      for (let i = next([12, 30, 120][k % 3]!); i > 0; i--) s += pieces[next(pieces.length)];
      // a shared encoder (lines remembered from other texts) and a fresh one
      assert.equal(shared.encode(s), whole(s), JSON.stringify(s));
      assert.equal(new PartEncoder().encode(s), whole(s), JSON.stringify(s));
    }
  });

  it('a body like a newsletter: per-recipient lines and long static lines', () => {
    const enc = new PartEncoder();
    const lorem = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor. '.repeat(9);
    for (const name of ['Ann', 'Bob', 'Änne']) {
      const s = `Hello ${name},\r\n\r\n${lorem}\r\n<p>Grüße</p>\r\n-- \r\n${lorem.trimEnd()}`;
      assert.equal(enc.encode(s), whole(s));
    }
  });
});
