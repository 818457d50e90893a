// bench/inbound: SMTP reception throughput with the durable spool. A load generator of ours
// sends N messages of S bytes over C concurrent sessions (MAIL/RCPT/DATA pipelined, one
// session reused for many messages) and reports accepted messages per second and the p50/p99
// latency of the final 250 (from the end of DATA to the reply, i.e. parse + trace headers +
// spool write with group commit).
//
//   node dist/bench/inbound.js                         # starts bin/kumo-ts serve itself
//   node dist/bench/inbound.js --port 2525 [--host H]  # against a running server
//   options: --messages 20000 --concurrency 20 --size 2048
import { cpus } from 'node:os';
import { benchArgs } from './lab/args.js';
import { HOLDING_QUEUE, startBenchKumo } from './lab/kumo-config.js';
import { freePort } from './lab/serve.js';
import { loremMessage, pipelinedInject } from './lab/smtp-session.js';

const args = benchArgs();
const MESSAGES = Number(args.get('messages') ?? 20_000);
const CONCURRENCY = Number(args.get('concurrency') ?? 20);
const SIZE = Number(args.get('size') ?? 2048);
const HOST = args.get('host') ?? '127.0.0.1';

/** Starts `kumo-ts serve` on a temp config: durable spool, a queue that holds the messages. */
async function startServer(): Promise<{ port: number; stop: () => Promise<void> }> {
  return startBenchKumo({
    name: 'inbound',
    smtp: { port: await freePort(), maxMessagesPerConnection: 100_000 },
    files: { 'queues.toml': HOLDING_QUEUE },
    cpuProfDir: process.env.BENCH_CPU_PROF,
  });
}

async function run(port: number) {
  const t0 = performance.now();
  const r = await pipelinedInject({
    port,
    host: HOST,
    messages: MESSAGES,
    sessions: CONCURRENCY,
    ehlo: (w) => `bench${w}.example`,
    rcpt: (i) => `rcpt${i % 100}@example.test`,
    message: (i) =>
      loremMessage(`From: bench@example.org\r\nTo: rcpt@example.test\r\nSubject: bench ${i}\r\nMessage-ID: <bench-${i}-${process.pid}@example.org>\r\nDate: ${new Date().toUTCString()}\r\n\r\n`, SIZE),
  });
  const secs = (performance.now() - t0) / 1000;
  const lat = r.latencies.sort((a, b) => a - b);
  const pct = (p: number) => lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))] ?? NaN;
  return { accepted: lat.length, failed: r.failed, secs, rate: lat.length / secs, p50: pct(50), p99: pct(99) };
}

const given = args.get('port');
const server = given ? { port: Number(given), stop: async () => undefined } : await startServer();
try {
  const real = MESSAGES;
  const r = await run(server.port);
  console.log(`inbound: ${r.accepted} messages of ${SIZE} B over ${CONCURRENCY} sessions in ${r.secs.toFixed(2)} s`);
  console.log(`  accepted: ${Math.round(r.rate)} msgs/s (${r.failed} failed)`);
  console.log(`  final 250 latency: p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms`);
  console.log(`  machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), Node ${process.versions.node}, ${new Date().toISOString().slice(0, 10)}`);
  console.log(JSON.stringify({ bench: 'inbound', messages: real, size: SIZE, concurrency: CONCURRENCY, ...r }));
  if (r.failed) process.exitCode = 1;
} finally {
  await server.stop();
}
