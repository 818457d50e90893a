// bench/data-memory: memory per message in DATA. Starts `kumo-ts serve` (durable lmdb spool,
// the queue throttled so nothing is delivered), sends N messages of S bytes in parallel, one
// per SMTP session, and samples the server's /proc/PID/status (VmRSS, VmHWM) every 20 ms. The
// in-flight bytes are the message bytes being received at once (N × S) and, when the HTTP API
// is up, the peak of the server's own gauge kumo_ts_smtp_inflight_bytes.
// Target (issue 9 item 3): peak RSS ≤ 1.3 × in-flight bytes + 150 MB.
//
//   node dist/bench/data-memory.js [--messages 50] [--size 19922944] [--size-param yes|no]
//   [--max-inflight 6GB]   (the server's [server] max_inflight_bytes; default: its default)
import { cpus, totalmem } from 'node:os';
import { benchArgs } from './lab/args.js';
import { HOLDING_QUEUE, startBenchKumo } from './lab/kumo-config.js';
import { memoryStatus as status } from './lab/proc.js';
import { freePort } from './lab/serve.js';
import { Session } from './lab/smtp-session.js';

const args = benchArgs();
const MESSAGES = Number(args.get('messages') ?? 50);
const SIZE = Number(args.get('size') ?? 19 * 1024 * 1024);
const SIZE_PARAM = (args.get('size-param') ?? 'no') === 'yes';
const MAX_INFLIGHT = args.get('max-inflight');
const MB = 1024 * 1024;

/** A message of about `size` bytes: headers and base64-looking 76-character lines. */
function makeMessage(size: number, i: number): Buffer {
  const head = `From: bench@example.org\r\nTo: rcpt@example.test\r\nSubject: memory ${i}\r\nMessage-ID: <mem-${i}-${process.pid}@example.org>\r\n` +
    `MIME-Version: 1.0\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n`;
  const line = Buffer.from('QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0\r\n');
  const n = Math.max(1, Math.floor((size - head.length - 3) / line.length));
  const buf = Buffer.allocUnsafe(head.length + n * line.length + 3);
  let o = buf.write(head, 'latin1');
  for (let k = 0; k < n; k++) o += line.copy(buf, o);
  buf.write('.\r\n', o, 'latin1');
  return buf;
}

async function scrapeInflight(httpPort: number): Promise<number> {
  try {
    const r = await fetch(`http://127.0.0.1:${httpPort}/metrics`);
    const m = /^kumo_ts_smtp_inflight_bytes(?:\{[^}]*\})? (\d+(?:\.\d+)?(?:e\+\d+)?)/m.exec(await r.text());
    return m ? Number(m[1]) : NaN;
  } catch {
    return NaN;
  }
}

const port = await freePort();
const httpPort = await freePort();
// BENCH_NODE_ARGS="--trace-gc": extra node flags for the server (its stdout is shown then)
const nodeArgs = process.env.BENCH_NODE_ARGS?.split(/\s+/).filter(Boolean);
const kumo = await startBenchKumo({
  name: 'datamem',
  server: MAX_INFLIGHT ? `max_inflight_bytes = "${MAX_INFLIGHT}"` : undefined,
  httpPort,
  smtp: { port, maxMessageSize: `${Math.ceil((SIZE * 1.1) / MB)}MB` },
  files: { 'queues.toml': HOLDING_QUEUE },
  nodeArgs,
});
const pid = kumo.child.pid!;
try {
  await new Promise((r) => setTimeout(r, 1000));
  const idle = status(pid);
  const messages = Array.from({ length: MESSAGES }, (_, i) => makeMessage(SIZE, i));
  const inflight = messages.reduce((a, m) => a + m.length - 3, 0);

  let peakRss = 0;
  let atPeak = { anon: 0, file: 0 };
  let peakGauge = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const st = status(pid);
      if (st.rss > peakRss) {
        peakRss = st.rss;
        atPeak = st;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const scraper = (async () => {
    while (sampling) {
      const g = await scrapeInflight(httpPort);
      if (g > peakGauge) peakGauge = g;
      await new Promise((r) => setTimeout(r, 100));
    }
  })();

  const replies: string[] = [];
  const t0 = performance.now();
  // every session reaches DATA first, then all bodies go at once: all messages are in flight together
  const sessions = await Promise.all(messages.map(async (m, i) => {
    const s = await Session.open(port, { noDelay: false });
    await s.reply();
    await s.cmd(`EHLO mem${i}.example`);
    await s.cmd(`MAIL FROM:<bench@example.org>${SIZE_PARAM ? ` SIZE=${m.length}` : ''}`);
    await s.cmd(`RCPT TO:<rcpt${i}@example.test>`);
    const d = await s.cmd('DATA');
    return { s, d, m };
  }));
  await Promise.all(sessions.map(async ({ s, d, m }) => {
    if (!d.startsWith('354')) return void replies.push(d);
    s.write(m);
    replies.push(await s.reply());
    s.close();
  }));
  const secs = (performance.now() - t0) / 1000;
  await new Promise((r) => setTimeout(r, 3000));
  sampling = false;
  await Promise.all([sampler, scraper]);
  const after = status(pid);
  const peak = Math.max(peakRss, after.hwm);
  const accepted = replies.filter((r) => r.startsWith('250')).length;
  const target = 1.3 * inflight + 150 * MB;
  const f = (b: number) => `${(b / MB).toFixed(0)} MB`;
  console.log(`data-memory: ${MESSAGES} × ${f(SIZE)} in parallel${SIZE_PARAM ? ' (MAIL FROM SIZE=)' : ''}, ${accepted} accepted in ${secs.toFixed(1)} s`);
  if (accepted < MESSAGES) console.log(`  not accepted: ${[...new Set(replies.filter((r) => !r.startsWith('250')))].join(' | ')}`);
  console.log(`  server RSS idle ${f(idle.rss)}; peak (VmHWM) ${f(peak)} (sampled peak: ${f(atPeak.anon)} anonymous, ${f(atPeak.file)} file/shared); 3 s after the last reply ${f(after.rss)}`);
  console.log(`  in-flight bytes: ${f(inflight)} sent at once; server gauge peak ${peakGauge > 0 ? f(peakGauge) : 'n/a'}`);
  console.log(`  peak RSS / in-flight = ${(peak / inflight).toFixed(2)}; (peak − 150 MB) / in-flight = ${((peak - 150 * MB) / inflight).toFixed(2)}; ` +
    `target ≤ ${f(target)}: ${peak <= target ? 'met' : 'NOT met'}`);
  console.log(`  machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${(totalmem() / 1024 ** 3).toFixed(0)} GiB, Node ${process.versions.node}, ${new Date().toISOString().slice(0, 10)}`);
  console.log(JSON.stringify({ bench: 'data-memory', messages: MESSAGES, size: SIZE, sizeParam: SIZE_PARAM, accepted, secs, idleRss: idle.rss, peakRss: peak, afterRss: after.rss, inflight, gaugePeak: peakGauge }));
  if (accepted < MESSAGES || peak > target) process.exitCode = 1;
} finally {
  await kumo.stop();
}
