// DATA normalisation (bare CR/LF, lines over 998 octets) as the bytes arrive, in any chunking.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MessageBuffer } from '../../src/smtp/data-buffer.js';
import { DataNormalizer, MAX_LINE } from '../../src/smtp/data-normalize.js';
import type { NormalizeOptions } from '../../src/smtp/data-normalize.js';

const NORMAL: NormalizeOptions = { bareNewline: 'Normalize', longLines: 'Wrap' };

/** Feeds `input` in chunks of `size` bytes (0 = one chunk). */
function run(input: Buffer | string, opts: NormalizeOptions = NORMAL, size = 0) {
  const buf = Buffer.isBuffer(input) ? input : Buffer.from(input, 'latin1');
  const n = new DataNormalizer(new MessageBuffer(buf.length), opts);
  const step = size || buf.length || 1;
  for (let i = 0; i < buf.length; i += step) n.write(buf.subarray(i, i + step));
  n.end();
  return { out: n.out.view().toString('latin1'), headerLength: n.headerLength, violation: n.violation };
}

function assertWellFormed(s: string): void {
  assert.doesNotMatch(s, /\r(?!\n)|(?<!\r)\n/, 'only CRLF line ends');
  for (const line of s.split('\r\n')) assert.ok(line.length <= MAX_LINE, `a line of ${line.length} octets`);
}

describe('DataNormalizer: where the header ends (the rule of Postfix cleanup)', () => {
  test('text sent without a header is body: a blank line goes before it', () => {
    const r = run('just a body line\r\nand another: with a colon\r\n');
    assert.equal(r.out, '\r\njust a body line\r\nand another: with a colon\r\n');
    assert.equal(r.headerLength, 2);
  });

  test('fields, then a line that is none: the header ends before it, with a blank line inserted', () => {
    for (const line of ['not a header', 'Subjéct: 8-bit name', ':no name', 'two words: x', 'X-Broken']) {
      const input = `From: a@b\r\nSubject: x\r\n\t continued\r\n${line}\r\nmore\r\n`;
      const r = run(input);
      assert.equal(r.out, `From: a@b\r\nSubject: x\r\n\t continued\r\n\r\n${line}\r\nmore\r\n`, line);
      assert.equal(r.headerLength, 'From: a@b\r\nSubject: x\r\n\t continued\r\n\r\n'.length, line);
      for (const size of [1, 3, 7]) assert.deepEqual(run(Buffer.from(input, 'utf8'), NORMAL, size), run(Buffer.from(input, 'utf8')), `${line}: chunks of ${size}`);
    }
  });

  test('fields stay fields: obsolete space before the colon, empty values, a real blank line', () => {
    const input = 'Subject : old style\r\nX-Empty:\r\nX-Tab:\tv\r\n\r\nbody: text\r\n';
    const r = run(input);
    assert.equal(r.out, input);
    assert.equal(r.headerLength, input.indexOf('body'));
  });

  test('a long field with white space only before its colon is broken after the colon text, not folded before it', () => {
    const r = run(`Subject :${'x'.repeat(1000)}\r\n\r\nbody\r\n`);
    assert.ok(r.out.startsWith(`Subject :${'x'.repeat(989)}\r\n `), JSON.stringify(r.out.slice(0, 20)));
    assertWellFormed(r.out);
    assert.equal(r.headerLength, r.out.indexOf('body'));
  });

  test('a first line starting with white space continues nothing: body', () => {
    const r = run(' indented\r\nX-A: b\r\n');
    assert.equal(r.out, '\r\n indented\r\nX-A: b\r\n');
    assert.equal(r.headerLength, 2);
  });

  test('a non-field line with a bare LF: normalised, and body', () => {
    const r = run('A: 1\nbody line\nmore\n');
    assert.equal(r.out, 'A: 1\r\n\r\nbody line\r\nmore\r\n');
    assert.equal(r.headerLength, 8);
  });
});

describe('DataNormalizer: line endings', () => {
  test('bare CR and bare LF become CRLF, in the header and the body; CRLF stays', () => {
    const r = run('Subject: a\rX-A: b\n\r\nline one\rline two\nline three\r\n\r\r\n');
    assert.equal(r.out, 'Subject: a\r\nX-A: b\r\n\r\nline one\r\nline two\r\nline three\r\n\r\n\r\n');
    assert.equal(r.headerLength, 'Subject: a\r\nX-A: b\r\n\r\n'.length);
    assert.equal(r.violation, undefined);
  });

  test('a blank line made of a bare LF ends the header', () => {
    const r = run('A: 1\n\nbody\n');
    assert.equal(r.out, 'A: 1\r\n\r\nbody\r\n');
    assert.equal(r.headerLength, 8);
  });

  test('a message that starts with its blank line has an empty header; one without a body is all header', () => {
    assert.equal(run('\r\nbody\r\n').headerLength, 2);
    const r = run('A: 1\r\nB: 2\r\n');
    assert.equal(r.headerLength, r.out.length);
  });

  test('the same output whatever the chunking, a CR/LF split across chunks included', () => {
    const input = 'From: a@b\r\nSubject: x\ry\n\r\n' + 'one\r\ntwo\rthree\nfour\r\r\n\n\r'.repeat(20) + 'end\r\n';
    const whole = run(input);
    for (const size of [1, 2, 3, 5, 7, 64]) assert.deepEqual(run(input, NORMAL, size), whole, `chunks of ${size}`);
    assertWellFormed(whole.out);
  });

  test('"Reject" marks a bare CR or bare LF anywhere, and CRLF-only text passes', () => {
    const reject: NormalizeOptions = { bareNewline: 'Reject', longLines: 'Wrap' };
    assert.equal(run('A: 1\r\n\r\nbody\nmore\r\n', reject).violation, 'bare-newline');
    assert.equal(run('A: 1\r\n\r\nbody\rmore\r\n', reject).violation, 'bare-newline');
    assert.equal(run('A: 1\n\r\nbody\r\n', reject).violation, 'bare-newline');
    assert.equal(run('A: 1\r\n\r\nbody\r', reject).violation, 'bare-newline', 'a CR at the very end');
    assert.equal(run('A: 1\r\n\r\nbody\r\nmore\r\n', reject, 3).violation, undefined);
  });
});

describe('DataNormalizer: lines over 998 octets', () => {
  test('a long body line is broken with CRLF at 998 octets; its bytes are kept in order', () => {
    const long = 'x'.repeat(2500);
    const r = run(`A: 1\r\n\r\n${long}\r\nshort\r\n`);
    assert.equal(r.out, `A: 1\r\n\r\n${'x'.repeat(998)}\r\n${'x'.repeat(998)}\r\n${'x'.repeat(504)}\r\nshort\r\n`);
    for (const size of [1, 13, 997, 998, 999]) assert.equal(run(`A: 1\r\n\r\n${long}\r\nshort\r\n`, NORMAL, size).out, r.out);
  });

  test('a line of exactly 998 octets is left alone', () => {
    const line = 'y'.repeat(998);
    assert.equal(run(`A: 1\r\n\r\n${line}\r\n`).out, `A: 1\r\n\r\n${line}\r\n`);
  });

  test('a long header line is folded at its last white space before the limit', () => {
    const words = Array.from({ length: 300 }, (_, i) => `word${i}`).join(' ');
    const r = run(`Subject: ${words}\r\nTo: a@b\r\n\r\nbody\r\n`);
    assertWellFormed(r.out);
    const head = r.out.slice(0, r.headerLength);
    // unfolding (CRLF before white space removed) gives the original field back
    assert.equal(head.replace(/\r\n(?=[ \t])/g, ''), `Subject: ${words}\r\nTo: a@b\r\n\r\n`);
    assert.ok(head.split('\r\n').slice(1, -3).every((l) => l.startsWith(' ')), 'continuation lines start with white space');
    assert.ok(r.out.endsWith('\r\n\r\nbody\r\n'));
  });

  test('a header line without white space is hard-broken with CRLF SP', () => {
    const token = 'z'.repeat(2100);
    const r = run(`X-Token:${token}\r\n\r\nbody\r\n`);
    assertWellFormed(r.out);
    const lines = r.out.slice(0, r.headerLength).split('\r\n');
    assert.equal(lines[0]!.length, 998);
    assert.ok(lines[1]!.startsWith(' z'));
    assert.equal(lines.join('').replace(/ /g, '').length, `X-Token:${token}`.length);
  });

  test('"Reject" marks a line over 998 octets, in the header or the body', () => {
    const reject: NormalizeOptions = { bareNewline: 'Normalize', longLines: 'Reject' };
    assert.equal(run(`A: 1\r\n\r\n${'x'.repeat(999)}\r\n`, reject).violation, 'long-line');
    assert.equal(run(`A: ${'x'.repeat(996)}\r\n\r\nbody\r\n`, reject).violation, 'long-line');
    assert.equal(run(`A: ${'x'.repeat(995)}\r\n\r\n${'x'.repeat(998)}\r\n`, reject).violation, undefined);
  });

  test('random input, random chunking: CRLF only, no line over 998, and chunking changes nothing', () => {
    let seed = 42;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
    const alphabet = ['a', 'b', ' ', '\t', '\r', '\n', '\r\n', '.', 'x'.repeat(600)];
    for (let k = 0; k < 40; k++) {
      let s = '';
      while (s.length < 6000) s += alphabet[rnd(alphabet.length)];
      const whole = run(s);
      assertWellFormed(whole.out);
      assert.deepEqual(run(s, NORMAL, 1 + rnd(300)), whole);
    }
  });
});

describe('MessageBuffer', () => {
  test('grows past its expected size and prepends a new header in place or in a new buffer', () => {
    const b = new MessageBuffer(10);
    const text = Buffer.from('Subject: s\r\n\r\n' + 'body '.repeat(50_000));
    for (let i = 0; i < text.length; i += 4096) b.append(text, i, Math.min(text.length, i + 4096));
    assert.deepEqual(b.view(), text);
    const head = Buffer.from('Received: x\r\nSubject: s\r\n\r\n');
    const out = b.replaceHead(14, head);
    assert.equal(out.toString(), head.toString() + 'body '.repeat(50_000));
    const big = Buffer.alloc(100_000, 'h');
    assert.equal(b.replaceHead(head.length, big).subarray(0, 100_000).toString(), big.toString());
  });
});

describe('DataNormalizer: body against a reference, random input cut at random places', () => {
  /** What the body must become: every CR, LF or CRLF a CRLF, then lines cut every 998 octets. */
  function reference(body: string): string {
    return body
      .replace(/\r\n|\r|\n/g, '\r\n')
      .split('\r\n')
      .map((l) => l.match(new RegExp(`[^]{1,${MAX_LINE}}`, 'g'))?.join('\r\n') ?? '')
      .join('\r\n');
  }
  let seed = 20261202;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  function randomBody(): string {
    let s = '';
    const n = Math.floor(rnd() * 4000);
    for (let k = 0; k < n; k++) {
      const r = rnd();
      if (r < 0.03) s += '\r\n';
      else if (r < 0.034) s += '\r';
      else if (r < 0.038) s += '\n';
      else if (r < 0.0385) s += 'L'.repeat(900 + Math.floor(rnd() * 300)); // around the 998 limit
      else s += 'a';
    }
    return s;
  }

  test('1,000 random bodies: Normalize/Wrap output equals the reference in every chunking; Reject flags exactly the irregular ones', () => {
    const head = 'Subject: x\r\n\r\n';
    for (let t = 0; t < 1000; t++) {
      const body = randomBody();
      const input = Buffer.from(head + body, 'latin1');
      const want = head + reference(body);
      const cuts = [0, 1, 2, 3, 7, 64, 1 + Math.floor(rnd() * 1500)];
      for (const size of cuts) assert.equal(run(input, NORMAL, size).out, want, `body ${t}, chunks of ${size || 'all'}`);
      const irregular = want !== head + body;
      const rejected = run(input, { bareNewline: 'Reject', longLines: 'Reject' }, cuts[6]).violation;
      assert.equal(rejected !== undefined, irregular, `body ${t}: violation ${rejected}`);
    }
  });
});
