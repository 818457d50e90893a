// bench/inbound: SMTP reception throughput with the durable spool. A load generator of ours
// sends N messages of S bytes over C concurrent sessions (MAIL/RCPT/DATA pipelined, one
// session reused for many messages) and reports accepted messages per second and the p50/p99
// latency of the final 250 (from the end of DATA to the reply, i.e. parse + trace headers +
// spool write with group commit).
//
//   node dist/bench/inbound.js                         # starts bin/kumo-ts serve itself
//   node dist/bench/inbound.js --port 2525 [--host H]  # against a running server
//   options: --messages 20000 --concurrency 20 --size 2048
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startServe } from './_serve.js';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1] ?? '');
const MESSAGES = Number(args.get('messages') ?? 20_000);
const CONCURRENCY = Number(args.get('concurrency') ?? 20);
const SIZE = Number(args.get('size') ?? 2048);
const HOST = args.get('host') ?? '127.0.0.1';


/** Starts `kumo-ts serve` on a temp config: durable spool, a queue that holds the messages. */
async function startServer(): Promise<{ port: number; stop: () => Promise<void> }> {
  // the config root is a subdirectory: the config monitor must not watch the spool and logs
  const root = mkdtempSync(join(tmpdir(), 'kumo-bench-inbound-'));
  const conf = join(root, 'config');
  mkdirSync(conf);
  const port = await freePort();
  writeFileSync(join(conf, 'kumo.toml'), `
[http]
enabled = false
[spool]
path = "data/spool"
[logs]
path = "data/logs"
[dns]
mode = "static"
zone_file = "zone.toml"
[listener.smtp]
listen = "127.0.0.1:${port}"
max_messages_per_connection = 100000
`);
  writeFileSync(join(conf, 'zone.toml'), '');
  // the scheduled queue releases 1 message per hour: the bench measures reception only
  writeFileSync(join(conf, 'queues.toml'), `[queue.default]\nmax_message_rate = "1/h"\nmx_list = ["[127.0.0.1]:9"]\n`);
  const child = await startServe({ conf, cwd: root, port, cpuProfDir: process.env.BENCH_CPU_PROF });
  return {
    port,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** One SMTP session as a tiny state machine over raw replies. */
class Session {
  private buf = '';
  private waiters: ((line: string) => void)[] = [];
  private lines: string[] = [];
  private constructor(private readonly s: Socket) {
    s.setNoDelay(true);
    s.setEncoding('latin1');
    s.on('data', (d: string) => {
      this.buf += d;
      let nl: number;
      while ((nl = this.buf.indexOf('\r\n')) >= 0) {
        const line = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 2);
        if (line[3] === '-') continue; // multi-line reply: wait for the last line
        const w = this.waiters.shift();
        if (w) w(line);
        else this.lines.push(line);
      }
    });
  }
  static open(port: number): Promise<Session> {
    return new Promise((resolve, reject) => {
      const s = connect(port, HOST, () => resolve(new Session(s)));
      s.once('error', reject);
    });
  }
  reply(): Promise<string> {
    const l = this.lines.shift();
    if (l !== undefined) return Promise.resolve(l);
    return new Promise((r) => this.waiters.push(r));
  }
  write(d: string): void {
    this.s.write(d);
  }
  close(): void {
    this.s.end('QUIT\r\n');
  }
}

function body(i: number): string {
  const head = `From: bench@example.org\r\nTo: rcpt@example.test\r\nSubject: bench ${i}\r\nMessage-ID: <bench-${i}-${process.pid}@example.org>\r\nDate: ${new Date().toUTCString()}\r\n\r\n`;
  const line = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor.\r\n';
  let b = head;
  while (b.length + line.length < SIZE) b += line;
  return b + '.\r\n';
}

async function run(port: number) {
  let next = 0;
  const lat: number[] = [];
  let failed = 0;
  const worker = async (w: number) => {
    const s = await Session.open(port);
    await s.reply(); // greeting
    s.write(`EHLO bench${w}.example\r\n`);
    await s.reply();
    while (next < MESSAGES) {
      const i = next++;
      s.write(`MAIL FROM:<bench@example.org>\r\nRCPT TO:<rcpt${i % 100}@example.test>\r\nDATA\r\n`);
      const [m, r, d] = [await s.reply(), await s.reply(), await s.reply()];
      if (!m.startsWith('250') || !r.startsWith('250') || !d.startsWith('354')) {
        failed++;
        if (!d.startsWith('354')) continue;
      }
      const t = performance.now();
      s.write(body(i));
      const fin = await s.reply();
      if (fin.startsWith('250')) lat.push(performance.now() - t);
      else failed++;
    }
    s.close();
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, (_, w) => worker(w)));
  const secs = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  const pct = (p: number) => lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))] ?? NaN;
  return { accepted: lat.length, failed, secs, rate: lat.length / secs, p50: pct(50), p99: pct(99) };
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
