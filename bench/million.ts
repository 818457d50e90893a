// bench/million: many messages queued for a suspended destination (issue 10 item 4).
//
//   node dist/bench/million.js [--messages 1000000] [--sessions 20] [--size 2048] [--profile DIR]
//
// `--profile DIR`: a CPU profile of the restarted server (restart scan and delivery) in DIR.
//
// 1. `kumo-ts sink` and `kumo-ts serve` (temp config: durable lmdb spool and records outside the
//    config root, example.net routed by mx_list to the sink, HTTP API on loopback); the domain
//    is suspended through the admin API (`POST /api/admin/suspend/v1`) before anything is sent.
// 2. N messages are injected over S sessions, MAIL/RCPT/DATA pipelined, sessions reused (the
//    fastest honest path: each 250 comes after the durable spool write).
// 3. Figures: RSS (VmRSS, RssAnon) of the server before and after, per queued message; the
//    spool's size on disk.
// 4. Restart: SIGTERM, then a new `kumo-ts serve` on the same spool; restart-to-scheduled = from
//    the spawn to queue-summary counting N scheduled (the suspension is admin state kept on
//    disk, so nothing leaves). RSS again.
// 5. The suspension is lifted (DELETE): delivery rate until the sink has counted N.
//
// Every figure is printed with the 1-minute load average when it was taken: the machine may be
// shared with other work.
import { readdirSync, statSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { benchArgs } from './lab/args.js';
import { localShaping, mxListQueue, SINK_HOST_ZONE, writeBenchConfig } from './lab/kumo-config.js';
import { memoryStatus as memory, sleep, stopChild as stop } from './lab/proc.js';
import { freePort, startServe, waitPort } from './lab/serve.js';
import { startSinkChild } from './lab/sink.js';
import { loremMessage, pipelinedInject } from './lab/smtp-session.js';

const args = benchArgs();
const MESSAGES = Number(args.get('messages') ?? 1_000_000);
const SESSIONS = Number(args.get('sessions') ?? 20);
const SIZE = Number(args.get('size') ?? 2048);
const PROFILE_DIR = args.get('profile');
const load = () => `[load ${loadavg()[0]!.toFixed(1)}]`;

// ---------- kumo-ts ----------

async function writeConfig(sinkPort: number): Promise<{ root: string; conf: string; smtp: number; http: number; cleanup(): void }> {
  const smtp = await freePort();
  const http = await freePort();
  const cfg = writeBenchConfig({
    name: 'million',
    smtp: { port: smtp, maxMessagesPerConnection: 10_000_000 },
    httpPort: http,
    zone: SINK_HOST_ZONE,
    files: { 'queues.toml': mxListQueue('example.net', sinkPort), 'shaping.toml': localShaping('example.net', { mxRollup: false, perConnection: 10_000_000, rate: '1000/s' }) },
  });
  return { ...cfg, smtp, http };
}

async function api<T>(http: number, method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
  // a connection per call: an idle keep-alive connection that the server closes just as the
  // next call is sent fails that call ("other side closed")
  const res = await request(`http://127.0.0.1:${http}${path}`, {
    method,
    reset: true,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`${method} ${path}: ${res.statusCode} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

interface Summary {
  totals: { scheduled: number; ready: number; received_total: number; delivered_total: number };
}

function diskBytes(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) n += diskBytes(p);
    else n += statSync(p).blocks * 512;
  }
  return n;
}

// ---------- load: pipelined sessions ----------

async function inject(port: number, serverPid: number): Promise<{ accepted: number; failed: number; secs: number; peakRss: number }> {
  let peakRss = 0;
  const sampler = setInterval(() => {
    try {
      peakRss = Math.max(peakRss, memory(serverPid).rss);
    } catch {
      /* gone */
    }
  }, 500);
  let lastReport = Date.now();
  const t0 = performance.now();
  const r = await pipelinedInject({
    port,
    messages: MESSAGES,
    sessions: SESSIONS,
    ehlo: (w) => `million${w}.example`,
    rcpt: (i) => `rcpt${i % 1000}@example.net`,
    message: (i) => loremMessage(`From: bench@example.org\r\nTo: rcpt@example.net\r\nSubject: million ${i}\r\nMessage-ID: <m-${i}-${process.pid}@example.org>\r\n\r\n`, SIZE),
    afterMessage: (w, { accepted }) => {
      if (w === 0 && Date.now() - lastReport > 10_000) {
        lastReport = Date.now();
        const secs = (performance.now() - t0) / 1000;
        console.log(`  ... ${accepted} accepted in ${secs.toFixed(0)} s (${Math.round(accepted / secs)}/s) ${load()}, server RSS ${(memory(serverPid).rss / 2 ** 20).toFixed(0)} MB`);
      }
    },
  });
  clearInterval(sampler);
  return { accepted: r.accepted, failed: r.failed, secs: (performance.now() - t0) / 1000, peakRss };
}

// ---------- the run ----------

const mb = (b: number) => `${(b / 2 ** 20).toFixed(0)} MB`;
const perMsg = (b: number) => `${(b / MESSAGES / 1024).toFixed(2)} KB/message`;
console.log(`million: ${MESSAGES} messages of ${SIZE} B over ${SESSIONS} pipelined sessions, held by a suspension; machine ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}, ${new Date().toISOString()}`);
const sink = await startSinkChild('100ms');
const cfg = await writeConfig(sink.port);
const root = cfg.root;
let server = await startServe({ conf: cfg.conf, cwd: root, port: cfg.smtp });
await waitPort(cfg.http);
let exitCode = 0;
try {
  const sus = await api<{ id: string }>(cfg.http, 'POST', '/api/admin/suspend/v1', { domain: 'example.net', reason: 'bench/million holds the queue', duration: '24h' });
  await sleep(1000); // let start-up garbage settle before the baseline
  const m0 = memory(server.pid!);
  console.log(`  idle server ${load()}: RSS ${mb(m0.rss)} (anonymous ${mb(m0.anon)})`);

  const inj = await inject(cfg.smtp, server.pid!);
  const m1 = memory(server.pid!);
  console.log(`  injected ${inj.accepted} (${inj.failed} failed) in ${inj.secs.toFixed(1)} s = ${Math.round(inj.accepted / inj.secs)} msgs/s ${load()}`);
  console.log(`  RSS after injection ${mb(m1.rss)} (peak sampled ${mb(inj.peakRss)}), anonymous ${mb(m1.anon)}: +${mb(m1.rss - m0.rss)} = ${perMsg(m1.rss - m0.rss)} RSS, ${perMsg(m1.anon - m0.anon)} anonymous`);
  const held = await api<Summary>(cfg.http, 'GET', '/api/admin/queue-summary/v1');
  console.log(`  queue: ${held.totals.scheduled} scheduled, ${held.totals.ready} ready, ${held.totals.delivered_total} delivered (suspended: nothing may leave)`);
  if (sink.messages) console.log(`  WARNING: the sink received ${sink.messages} while suspended`);
  const spool = diskBytes(join(root, 'data/spool'));
  console.log(`  spool on disk: ${mb(spool)} = ${perMsg(spool)} (bodies ${SIZE} B + trace headers + metadata)`);

  const stopMs = await stop(server);
  console.log(`  SIGTERM: stopped in ${stopMs} ms`);
  const tStart = Date.now();
  server = await startServe({ conf: cfg.conf, cwd: root, port: cfg.smtp, cpuProfDir: PROFILE_DIR });
  const listening = Date.now() - tStart;
  await waitPort(cfg.http);
  let s: Summary;
  for (;;) {
    s = await api<Summary>(cfg.http, 'GET', '/api/admin/queue-summary/v1');
    if (s.totals.scheduled + s.totals.ready >= inj.accepted) break;
    await sleep(250);
  }
  const scheduledMs = Date.now() - tStart;
  const m2 = memory(server.pid!);
  console.log(`  restart ${load()}: SMTP listening after ${listening} ms; all ${s.totals.scheduled + s.totals.ready} scheduled after ${(scheduledMs / 1000).toFixed(1)} s (target ≤ 60 s)`);
  console.log(`  RSS after restart ${mb(m2.rss)} (anonymous ${mb(m2.anon)}) = ${perMsg(m2.rss)} total (target ≤ 1.5 KB/message at 1,000,000)`);

  const sinkBefore = sink.messages;
  const tOpen = Date.now();
  try {
    await api(cfg.http, 'DELETE', '/api/admin/suspend/v1', { id: sus.id });
  } catch (e) {
    console.error(`  lifting the suspension failed: ${(e as Error).message}\n  kumo-ts stderr (tail):\n${server.stderrTail()}`);
    throw e;
  }
  let lastSeen = sink.messages;
  let lastChange = Date.now();
  let lastReport = Date.now();
  while (sink.messages - sinkBefore < inj.accepted) {
    if (sink.messages !== lastSeen) {
      lastSeen = sink.messages;
      lastChange = Date.now();
    } else if (Date.now() - lastChange > 60_000) break;
    if (Date.now() - lastReport > 10_000) {
      lastReport = Date.now();
      console.log(`  ... ${sink.messages - sinkBefore} delivered ${load()}`);
    }
    await sleep(50);
  }
  const openSecs = (Date.now() - tOpen) / 1000;
  const delivered = sink.messages - sinkBefore;
  console.log(`  opened ${load()}: ${delivered} delivered in ${openSecs.toFixed(1)} s = ${Math.round(delivered / openSecs)} msgs/s`);
  console.log(JSON.stringify({ bench: 'million', messages: MESSAGES, size: SIZE, injected: inj.accepted, injectRate: inj.accepted / inj.secs, rssIdle: m0.rss, rssAfterInject: m1.rss, anonAfterInject: m1.anon, spoolBytes: spool, restartToScheduledMs: scheduledMs, rssAfterRestart: m2.rss, delivered, deliveryRate: delivered / openSecs, load: loadavg()[0] }));
  if (delivered < inj.accepted || inj.failed) exitCode = 1;
} finally {
  await stop(server);
  await sink.stop();
  cfg.cleanup();
}
process.exit(exitCode);
