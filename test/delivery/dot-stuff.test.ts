import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DataStream, markCrlfOnly, originalTransform, stuffChunk, stuffCrlfOnly } from '../../src/delivery/dot-stuff.js';

// A seeded generator, so a failure can be replayed (the seed is in the assertion message).
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Runs a whole stream through DataStream with the given _transform, fed in the given chunks. */
async function encode(chunks: Buffer[], original: boolean): Promise<{ out: Buffer; inBytes: number; outBytes: number }> {
  const s = new DataStream();
  if (original) (s as unknown as { _transform: typeof originalTransform })._transform = originalTransform;
  const got: Buffer[] = [];
  s.on('data', (c: Buffer) => got.push(c));
  const ended = new Promise<void>((resolve) => s.on('end', () => resolve()));
  for (const c of chunks) s.write(c);
  s.end();
  await ended;
  return { out: Buffer.concat(got), inBytes: s.inByteCount, outBytes: s.outByteCount };
}

test('the indexOf encoder gives the same bytes as nodemailer loop on random input at random chunk boundaries', async () => {
  const alphabet = Buffer.from('ab.\r\n\r\n..x');
  for (let seed = 1; seed <= 400; seed++) {
    const r = rng(seed);
    const len = Math.floor(r() * 300);
    const body = Buffer.alloc(len);
    for (let i = 0; i < len; i++) body[i] = alphabet[Math.floor(r() * alphabet.length)];
    const chunks: Buffer[] = [];
    for (let at = 0; at < len; ) {
      const n = 1 + Math.floor(r() * 40);
      chunks.push(body.subarray(at, at + n));
      at += n;
    }
    const mine = await encode(chunks, false);
    const theirs = await encode(chunks, true);
    assert.deepEqual(mine.out, theirs.out, `seed ${seed}: ${JSON.stringify(body.toString('latin1'))}`);
    assert.equal(mine.inBytes, theirs.inBytes, `seed ${seed}`);
    assert.equal(mine.outBytes, theirs.outBytes, `seed ${seed}`);
  }
});

test('a body marked CRLF-only takes the leading-dot path and gives nodemailer\'s bytes', async () => {
  // lines of dots, letters and empty lines, CRLF-terminated (the last one maybe not)
  const alphabet = ['.', '..', 'a', '.a', 'a.b', '', '...', 'x.'];
  for (let seed = 1; seed <= 300; seed++) {
    const r = rng(seed);
    const lines: string[] = [];
    for (let n = Math.floor(r() * 12); n > 0; n--) lines.push(alphabet[Math.floor(r() * alphabet.length)]!);
    const text = lines.join('\r\n') + (r() < 0.7 ? '\r\n' : '');
    const body = Buffer.from(text, 'latin1');
    const theirs = await encode([Buffer.from(body)], true);
    markCrlfOnly(body);
    const mine = await encode([body], false);
    assert.deepEqual(mine.out, theirs.out, `seed ${seed}: ${JSON.stringify(text)}`);
    assert.equal(mine.outBytes, theirs.outBytes, `seed ${seed}`);
    assert.deepEqual(stuffCrlfOnly(body), stuffChunk(body, false), `seed ${seed}`);
  }
  const plain = Buffer.from('a\r\nb\r\n');
  assert.equal(stuffCrlfOnly(plain), plain, 'nothing to insert: passed on as is');
  // the mark is what selects the path, for that Buffer only: a (wrongly) marked bare LF is
  // left alone, the same bytes unmarked are encoded in full
  const lie = Buffer.from('a\nb');
  markCrlfOnly(lie);
  assert.equal((await encode([lie], false)).out.toString('latin1'), 'a\nb\r\n.\r\n');
  assert.equal((await encode([Buffer.from('a\nb')], false)).out.toString('latin1'), 'a\r\nb\r\n.\r\n');
});

test('dot-stuffing and line ends: the cases SMTP smuggling and bare line ends depend on', () => {
  const cases: Array<[string, number | false, string]> = [
    ['.a\r\n', false, '..a\r\n'],
    ['a\r\n.\r\nb', false, 'a\r\n..\r\nb'],
    ['a\n.b', false, 'a\r\n..b'],
    ['a\r.\rb', false, 'a\r\n..\r\nb'],
    ['\n', 0x0d, '\n'],
    ['.', 0x0a, '..'],
    ['x', 0x0d, '\nx'],
    ['plain text, nothing to do', false, 'plain text, nothing to do'],
  ];
  for (const [input, last, want] of cases) {
    assert.equal(stuffChunk(Buffer.from(input, 'latin1'), last).toString('latin1'), want, JSON.stringify(input));
  }
  const clean = Buffer.from('no line ends here');
  assert.equal(stuffChunk(clean, 0x61), clean, 'a chunk needing nothing is passed on as is (no copy)');
});

test('a message handed over as one Buffer leaves in one chunk with its end-of-data line (one socket write); streamed chunks lag by one', async () => {
  const one = new DataStream();
  const got: Buffer[] = [];
  one.on('data', (c: Buffer) => got.push(c));
  const ended = new Promise<void>((resolve) => one.on('end', () => resolve()));
  one.write(Buffer.from('Subject: x\r\n\r\n.hidden\r\nbody'));
  one.end();
  await ended;
  assert.deepEqual(got.map((c) => c.toString('latin1')), ['Subject: x\r\n\r\n..hidden\r\nbody\r\n.\r\n']);
  assert.equal(one.outByteCount, got[0]!.length);

  const many = new DataStream();
  const parts: string[] = [];
  many.on('data', (c: Buffer) => parts.push(c.toString('latin1')));
  const done = new Promise<void>((resolve) => many.on('end', () => resolve()));
  for (const c of ['a\r\n', 'b\r\n', 'c\r\n']) many.write(Buffer.from(c));
  many.end();
  await done;
  assert.deepEqual(parts, ['a\r\n', 'b\r\n', 'c\r\n.\r\n']);
});
