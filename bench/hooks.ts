// bench/hooks: what a durable webhook log hook costs while relaying. The same relay (SMTP in ->
// spool -> SMTP out to a `kumo-ts sink` child) runs without hooks and with a webhook hook taking
// every record (Reception + Delivery: 2 events per message) in batches of 100 to a node http
// receiver in this process, alternating for --rounds pairs (default 3) so that both see the
// same load. Printed per run: relay msgs/s, hook events/s (first to last event at the
// receiver), the server's CPU per message; then the median of each and the added CPU.
//
//   node dist/bench/hooks.js [--messages 5000] [--sessions 10] [--size 2048] [--rounds 3] [--cpu-prof-dir DIR]
import { createServer } from 'node:http';
import { cpus, loadavg } from 'node:os';
import { benchArgs } from './lab/args.js';
import { cpuSeconds } from './lab/proc.js';
import { relayInject, startRelayKumo } from './lab/relay-lab.js';
import { startSinkChild } from './lab/sink.js';
import { speedLine } from './lab/speed.js';

const args = benchArgs();
const MESSAGES = Number(args.get('messages') ?? 5_000);
const SESSIONS = Number(args.get('sessions') ?? 10);
const SIZE = Number(args.get('size') ?? 2048);
const ROUNDS = Number(args.get('rounds') ?? 3);
// a .cpuprofile per server run, for finding what the hook costs
const CPU_PROF_DIR = args.get('cpu-prof-dir');

/** Resolves with `value` after `ms` unless cleared first; the timer never keeps the process alive. */
function timeout<T>(ms: number, value: T): Promise<T> {
  return new Promise<T>((res) => setTimeout(() => res(value), ms).unref());
}

/** A webhook receiver counting records (bodies are JSON arrays of batches). */
async function startReceiver() {
  const st = { events: 0, requests: 0, first: 0, last: 0 };
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const v = JSON.parse(Buffer.concat(parts).toString('utf8')) as unknown;
      const n = Array.isArray(v) ? v.length : 1;
      const now = Date.now();
      if (!st.first) st.first = now;
      st.last = now;
      st.events += n;
      st.requests++;
      res.writeHead(200).end();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { st, port: (server.address() as { port: number }).port, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** The webhook log hook taking every record to the receiver at `port`. */
const hookConfig = (port: number) =>
  `[log_hook.bench]\nkind = "webhook"\nurl = "http://127.0.0.1:${port}/events"\nbatch_size = 100\nbatch_wait = "1s"\nhmac = { secret = { key_data = "bench secret" } }\n`;

async function waitFor(pred: () => boolean, ms: number): Promise<boolean> {
  const t0 = Date.now();
  while (!pred()) {
    if (Date.now() - t0 > ms) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
  return true;
}

async function run(withHook: boolean) {
  const sink = await startSinkChild();
  const rx = withHook ? await startReceiver() : undefined;
  const kumo = await startRelayKumo({ name: 'hooks', sinkPort: sink.port, extra: rx ? hookConfig(rx.port) : undefined, cpuProfDir: CPU_PROF_DIR ? `${CPU_PROF_DIR}/${withHook ? 'hook' : 'base'}` : undefined });
  try {
    const cpu0 = cpuSeconds(kumo.child.pid);
    const t0 = Date.now();
    const done = sink.reached(MESSAGES);
    const r = await relayInject(kumo.port, { messages: MESSAGES, sessions: SESSIONS, size: SIZE });
    const tOut = await Promise.race([done, timeout(180_000, NaN)]);
    if (rx) await waitFor(() => rx.st.events >= 2 * MESSAGES, 180_000);
    const cpu = cpuSeconds(kumo.child.pid) - cpu0;
    const end = rx ? Math.max(tOut, rx.st.last) : tOut;
    return {
      accepted: r.accepted, relayRate: MESSAGES / ((tOut - t0) / 1000), cpuPerMsgUs: (cpu / MESSAGES) * 1e6, cpu, secs: (end - t0) / 1000,
      events: rx?.st.events ?? 0, requests: rx?.st.requests ?? 0,
      eventRate: rx && rx.st.last > rx.st.first ? rx.st.events / ((rx.st.last - t0) / 1000) : 0,
    };
  } finally {
    await kumo.stop();
    await sink.stop();
    await rx?.close();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const load0 = loadavg()[0]!;
const bases: Awaited<ReturnType<typeof run>>[] = [];
const hooks: Awaited<ReturnType<typeof run>>[] = [];
for (let i = 1; i <= ROUNDS; i++) {
  const base = await run(false);
  bases.push(base);
  console.log(`round ${i} [load ${loadavg()[0]!.toFixed(1)}] no hook:   ${base.accepted} msgs, relay ${base.relayRate.toFixed(0)} msgs/s, server CPU ${base.cpuPerMsgUs.toFixed(0)} µs/msg`);
  const hook = await run(true);
  hooks.push(hook);
  console.log(`round ${i} [load ${loadavg()[0]!.toFixed(1)}] with hook: ${hook.accepted} msgs, relay ${hook.relayRate.toFixed(0)} msgs/s, server CPU ${hook.cpuPerMsgUs.toFixed(0)} µs/msg; ${hook.events} events in ${hook.requests} requests, ${hook.eventRate.toFixed(0)} events/s (first MAIL FROM to last event)`);
}
const load1 = loadavg()[0]!;
const baseCpu = median(bases.map((b) => b.cpuPerMsgUs));
const hookCpu = median(hooks.map((h) => h.cpuPerMsgUs));
const eventRate = median(hooks.map((h) => h.eventRate));
const added = (hookCpu / baseCpu - 1) * 100;
console.log(`machine: ${cpus().length} cores, node ${process.version}, load average ${load0.toFixed(1)} -> ${load1.toFixed(1)}; ${speedLine()}`);
console.log(`medians of ${ROUNDS}: no hook ${baseCpu.toFixed(0)} µs/msg, with hook ${hookCpu.toFixed(0)} µs/msg`);
console.log(`RESULT hooks: webhook hook (every record, batches of 100, HMAC) adds ${added.toFixed(1)} % server CPU per message (target <= 25 %); ${eventRate.toFixed(0)} events/s`);
