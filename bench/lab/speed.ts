// A fixed CPU workload timed on the bench's own process, printed beside the figures: this VM's
// speed moves by up to ~1.7x between days (same build, same bench), so a figure is only
// comparable with others taken at a similar speed. Lower is faster.
import { createHash } from 'node:crypto';

const RECORD = {
  type: 'Delivery', id: '01a2512e39ab00007e73476366aa513b', sender: 'from@example.com', recipient: 'to@example.net',
  queue: 'example.net', site: 'mx.example.net', size: 2048, response: { code: 250, enhanced_code: { class: 2, subject: 0, detail: 0 }, content: 'OK queued', command: '.' },
  timestamp: 1796658313, event_time: '2026-12-07T15:45:13.692Z', num_attempts: 1, meta: { listener: 'smtp' }, headers: {},
};
const BODY = Buffer.alloc(2048, 'x');

function workload(): void {
  let n = 0;
  for (let i = 0; i < 20_000; i++) {
    const s = JSON.stringify({ ...RECORD, size: i });
    n += (JSON.parse(s) as { size: number }).size;
    n += createHash('sha256').update(BODY).digest()[0]!;
    n += /^MAIL FROM:<([^>]*)>/i.exec(`MAIL FROM:<u${i}@example.com>`)![1]!.length;
  }
  if (n < 0) console.log(n);
}

/** Milliseconds for the reference workload, the median of 5 runs after one warm-up. */
export function speedIndexMs(): number {
  workload();
  const t: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    workload();
    t.push(performance.now() - t0);
  }
  return t.sort((a, b) => a - b)[2]!;
}

/** The line the benches print: `speed index 123 ms (a fixed CPU workload; lower is faster)`. */
export function speedLine(): string {
  return `speed index ${Math.round(speedIndexMs())} ms (a fixed CPU workload on this process; lower is faster)`;
}
