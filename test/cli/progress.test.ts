// withProgress drawn on a terminal-like stream (ink renders into it): with `follow`, the
// command waits for the server's asynchronous work by polling the probe until done reaches
// the total; a failing probe only leaves the display as it was.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { withProgress } from '../../src/cli/progress.js';

function tty(): { stream: NodeJS.WriteStream; text(): string } {
  const chunks: string[] = [];
  const w = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  Object.assign(w, { isTTY: true, columns: 100, rows: 30 });
  return { stream: w as unknown as NodeJS.WriteStream, text: () => chunks.join('') };
}

test('follow: after the work settles the probe is polled until done reaches the total', async () => {
  const { stream, text } = tty();
  let done = 0;
  let calls = 0;
  const probe = async () => {
    calls++;
    return { done: Math.min(done, 3), total: 3 };
  };
  // the server answers at once but finishes its sweep later: one more unit per poll
  const res = await withProgress('bouncing', Promise.resolve('answer'), {
    enabled: true, stream, follow: true, stallMs: 60_000,
    probe: async () => {
      const p = await probe();
      done++;
      return p;
    },
  });
  assert.equal(res, 'answer');
  assert.ok(calls >= 4, `polled until 3/3 (${calls} polls)`);
  assert.match(text(), /bouncing .*3\/3 100%/);
  assert.match(text(), /✔ bouncing .*3\/3 100%/, 'the last frame marks it finished');
});

test('a probe that throws leaves the display as it was; the next answer is shown', async () => {
  const { stream, text } = tty();
  let calls = 0;
  const res = await withProgress('rebinding', Promise.resolve(42), {
    enabled: true, stream, follow: true, stallMs: 60_000,
    probe: async () => {
      calls++;
      if (calls === 2) throw new Error('summary route answered 503');
      return { done: calls >= 3 ? 2 : 1, total: 2 };
    },
  });
  assert.equal(res, 42);
  assert.ok(calls >= 3, `${calls} polls`);
  // (the 1/2 frame is not asserted: ink throttles renders, and on a loaded machine it may
  // draw only the last state)
  assert.match(text(), /✔ rebinding .*2\/2 100%/);
  assert.doesNotMatch(text(), /503/);
});
