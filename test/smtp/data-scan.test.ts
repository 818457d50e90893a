import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SMTPStream } from 'smtp-server/lib/smtp-stream.js';
import { originalFeedDataStream } from '../../src/smtp/data-scan.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/**
 * Puts a parser in DATA mode, writes `chunks`, and returns the message bytes it emitted and the
 * command lines it parsed after the end of DATA (what a smuggling attempt would show up as).
 */
async function parse(chunks: Buffer[], original: boolean): Promise<{ data: string; commands: string[] }> {
  const parser = new SMTPStream();
  if (original) (parser as unknown as { _feedDataStream: typeof originalFeedDataStream })._feedDataStream = originalFeedDataStream;
  const commands: string[] = [];
  parser.oncommand = (line: Buffer, next?: () => void) => {
    commands.push(line.toString('latin1'));
    next?.();
  };
  const stream = parser.startDataMode();
  const got: Buffer[] = [];
  stream.on('data', (c: Buffer) => got.push(c));
  stream.on('end', () => parser.continue());
  for (const c of chunks) await new Promise<void>((resolve) => parser.write(c, () => resolve()));
  await new Promise<void>((resolve) => parser.end(() => resolve()));
  return { data: Buffer.concat(got).toString('latin1'), commands };
}

test('the indexOf DATA scan emits the same message and the same following commands as smtp-server loop', async () => {
  const pieces = ['a', 'b', '.', '..', '\r\n', '\n', '\r', '\r\n.\r\n', '.\r\n', 'QUIT\r\n', 'x'];
  for (let seed = 1; seed <= 300; seed++) {
    const r = rng(seed);
    let text = '';
    const n = Math.floor(r() * 60);
    for (let i = 0; i < n; i++) text += pieces[Math.floor(r() * pieces.length)];
    if (r() < 0.7) text += '\r\n.\r\nNOOP\r\n';
    const body = Buffer.from(text, 'latin1');
    const chunks: Buffer[] = [];
    for (let at = 0; at < body.length; ) {
      const k = 1 + Math.floor(r() * 12);
      chunks.push(body.subarray(at, at + k));
      at += k;
    }
    const mine = await parse(chunks, false);
    const theirs = await parse(chunks, true);
    assert.deepEqual(mine, theirs, `seed ${seed}: ${JSON.stringify(text)}`);
  }
});

test('escape dots are removed, the terminator ends DATA, and what follows is parsed as commands', async () => {
  const out = await parse([Buffer.from('..first\r\nmid\r\n..dot\r\n.\r\nRSET\r\n')], false);
  assert.equal(out.data, '.first\r\nmid\r\n.dot\r\n');
  assert.deepEqual(out.commands, ['RSET']);
  // a terminator split across chunks at every possible point
  const whole = 'line\r\n.\r\nNOOP\r\n';
  for (let cut = 1; cut < whole.length; cut++) {
    const split = await parse([Buffer.from(whole.slice(0, cut)), Buffer.from(whole.slice(cut))], false);
    assert.deepEqual(split, { data: 'line\r\n', commands: ['NOOP'] }, `cut at ${cut}`);
  }
});

/** A parser in DATA mode whose message stream nobody reads yet (a slow consumer). */
function slowConsumer(original: boolean) {
  const parser = new SMTPStream();
  if (original) (parser as unknown as { _feedDataStream: typeof originalFeedDataStream })._feedDataStream = originalFeedDataStream;
  parser.oncommand = (_line: Buffer, next?: () => void) => next?.();
  const stream = parser.startDataMode();
  const write = (b: Buffer) => {
    let written = false;
    const p = new Promise<void>((resolve) => parser.write(b, () => ((written = true), resolve())));
    return { p, written: () => written };
  };
  return { parser, stream, write };
}

const tick = () => new Promise((r) => setImmediate(r));

test('a slow consumer holds the DATA parser back (drain), like smtp-server; a stream destroyed meanwhile does not hang it', async () => {
  const big = Buffer.from(`${'z'.repeat(998)}\r\n`.repeat(100), 'latin1'); // 100 KB, over the stream's high-water mark
  for (const original of [false, true]) {
    const c = slowConsumer(original);
    const w = c.write(big);
    await tick();
    await tick();
    assert.equal(w.written(), false, `${original ? 'smtp-server' : 'ours'}: waits while the stream is full`);
    const got: Buffer[] = [];
    c.stream.on('data', (b: Buffer) => got.push(b));
    await w.p;
    assert.equal(Buffer.concat(got).length, big.length - 4, 'all but the 4 bytes kept for the next chunk');

    const d = slowConsumer(original);
    const w2 = d.write(big);
    await tick();
    assert.equal(w2.written(), false);
    (d.stream as unknown as { destroy(): void }).destroy();
    await w2.p; // the stream closed instead of draining
    await d.write(Buffer.from('more\r\nand more\r\n')).p; // not writable any more: dropped, the parser goes on
  }
});
