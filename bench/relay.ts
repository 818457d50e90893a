// bench/relay: end-to-end relay throughput. 20,000 messages of 2 KB go in over 20 SMTP
// sessions (MAIL/RCPT/DATA pipelined) to `kumo-ts serve` (durable spool, group commit), which
// routes them by MX (static zone) to a `kumo-ts sink` child process. The figure is messages
// per second from the first MAIL FROM to the last message counted by the sink.
//
//   node dist/bench/relay.js [--messages 20000] [--sessions 20] [--size 2048] [--profile DIR]
//   --profile DIR: runs kumo-ts under --cpu-prof and leaves the .cpuprofile in DIR
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, freePort, startServe } from './_serve.js';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1] ?? '');
const MESSAGES = Number(args.get('messages') ?? 20_000);
const SESSIONS = Number(args.get('sessions') ?? 20);
const SIZE = Number(args.get('size') ?? 2048);
const PROFILE = args.get('profile');


/** CPU seconds used so far by a process (user + system), from /proc. */
function cpuSeconds(pid: number | undefined): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return NaN;
  }
}

interface SinkChild {
  child: ChildProcess;
  port: number;
  messages: number;
  /** resolves when the sink has counted n messages; the time it saw them */
  reached(n: number): Promise<number>;
}

/** `kumo-ts sink` in its own process, reporting its counters every 50 ms. */
async function startSinkChild(): Promise<SinkChild> {
  const child = spawn(process.execPath, [BIN, 'sink', '--listen', '127.0.0.1:0', '--json', '--stats-interval', '50ms'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let buf = '';
  let port = 0;
  const state: SinkChild = {
    child,
    port: 0,
    messages: 0,
    reached: (n) =>
      new Promise((res) => {
        const check = () => {
          if (state.messages >= n) {
            clearInterval(t);
            res(last);
          }
        };
        const t = setInterval(check, 10);
      }),
  };
  let last = 0;
  await new Promise<void>((res, rej) => {
    child.once('exit', () => rej(new Error('sink exited')));
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      for (let i; (i = buf.indexOf('\n')) >= 0; buf = buf.slice(i + 1)) {
        const ev = JSON.parse(buf.slice(0, i)) as { event: string; port?: number; messages?: number; at?: number };
        if (ev.event === 'listening') {
          port = ev.port!;
          state.port = port;
          res();
        } else if (ev.messages !== undefined && ev.messages > state.messages) {
          state.messages = ev.messages;
          last = ev.at!;
        }
      }
    });
  });
  return state;
}

/** `kumo-ts serve` on a temp config that relays bench.test to the sink by MX. */
async function startKumo(sinkPort: number): Promise<{ child: ChildProcess; port: number; root: string }> {
  const root = mkdtempSync(join(tmpdir(), 'kumo-bench-relay-'));
  // data outside the config root: the config monitor watches everything under the root
  const conf = join(root, 'config');
  mkdirSync(conf);
  const port = await freePort();
  writeFileSync(join(conf, 'kumo.toml'), `
[http]
enabled = false
[spool]
path = ${JSON.stringify(join(root, 'data/spool'))}
[logs]
path = ${JSON.stringify(join(root, 'data/logs'))}
[dns]
mode = "static"
zone_file = "zone.toml"
allow_loopback_destinations = true
[listener.smtp]
listen = "127.0.0.1:${port}"
max_messages_per_connection = 100000
`);
  writeFileSync(join(conf, 'zone.toml'), '["bench.test"]\nmx = ["10 mx.bench.test"]\n["mx.bench.test"]\na = ["127.0.0.1"]\n');
  writeFileSync(join(conf, 'sources.toml'), `[source."unspecified"]\nremote_port = ${sinkPort}\n`);
  // a local receiver: allow more than the builtin defaults for internet destinations
  // (10 connections, 100 messages per connection, 100 new connections a minute)
  writeFileSync(join(conf, 'shaping.toml'), '["bench.test"]\nconnection_limit = 20\nmax_deliveries_per_connection = 100000\nmax_connection_rate = "100/s"\n');
  const child = await startServe({ conf, cwd: root, port, cpuProfDir: PROFILE });
  return { child, port, root };
}

/** A raw SMTP client session (PIPELINING: MAIL, RCPT and DATA in one write). */
class Session {
  private buf = '';
  private waiters: ((line: string) => void)[] = [];
  private lines: string[] = [];
  private constructor(private readonly s: Socket) {
    s.setNoDelay(true);
    s.setEncoding('latin1');
    s.on('data', (d: string) => {
      this.buf += d;
      for (let nl; (nl = this.buf.indexOf('\r\n')) >= 0; ) {
        const line = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 2);
        if (line[3] === '-') continue;
        const w = this.waiters.shift();
        if (w) w(line);
        else this.lines.push(line);
      }
    });
  }
  static open(port: number): Promise<Session> {
    return new Promise((res, rej) => {
      const s = connect(port, '127.0.0.1', () => res(new Session(s)));
      s.once('error', rej);
    });
  }
  reply(): Promise<string> {
    const l = this.lines.shift();
    return l !== undefined ? Promise.resolve(l) : new Promise((r) => this.waiters.push(r));
  }
  write(d: string): void {
    this.s.write(d);
  }
  close(): void {
    this.s.end('QUIT\r\n');
  }
}

function body(i: number): string {
  const head = `From: bench@example.org\r\nTo: rcpt@bench.test\r\nSubject: relay bench ${i}\r\nMessage-ID: <relay-${i}-${process.pid}@example.org>\r\nDate: ${new Date().toUTCString()}\r\n\r\n`;
  const line = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor.\r\n';
  let b = head;
  while (b.length + line.length < SIZE) b += line;
  return b + '.\r\n';
}

async function inject(port: number): Promise<{ accepted: number; failed: number }> {
  let next = 0;
  let accepted = 0;
  let failed = 0;
  const worker = async (w: number) => {
    const s = await Session.open(port);
    await s.reply();
    s.write(`EHLO client${w}.example.org\r\n`);
    await s.reply();
    while (next < MESSAGES) {
      const i = next++;
      s.write(`MAIL FROM:<bench@example.org>\r\nRCPT TO:<rcpt${i}@bench.test>\r\nDATA\r\n`);
      const [m, r, d] = [await s.reply(), await s.reply(), await s.reply()];
      if (!d.startsWith('354')) {
        failed++;
        continue;
      }
      if (!m.startsWith('250') || !r.startsWith('250')) failed++;
      s.write(body(i));
      if ((await s.reply()).startsWith('250')) accepted++;
      else failed++;
    }
    s.close();
  };
  await Promise.all(Array.from({ length: SESSIONS }, (_, w) => worker(w)));
  return { accepted, failed };
}

const sink = await startSinkChild();
const kumo = await startKumo(sink.port);
try {
  const cpu0 = { kumo: cpuSeconds(kumo.child.pid), sink: cpuSeconds(sink.child.pid), self: process.cpuUsage() };
  const t0 = Date.now();
  const done = sink.reached(MESSAGES);
  const r = await inject(kumo.port);
  const tIn = Date.now();
  const tOut = await Promise.race([done, new Promise<number>((res) => setTimeout(() => res(NaN), 120_000))]);
  const self = process.cpuUsage(cpu0.self);
  const secs = (tOut - t0) / 1000;
  const rate = MESSAGES / secs;
  const kumoCpu = cpuSeconds(kumo.child.pid) - cpu0.kumo;
  const sinkCpu = cpuSeconds(sink.child.pid) - cpu0.sink;
  console.log(`relay: ${MESSAGES} messages of ${SIZE} B in over ${SESSIONS} sessions, out to kumo-ts sink`);
  console.log(`  injected (250 after the durable spool write): ${r.accepted} in ${((tIn - t0) / 1000).toFixed(2)} s = ${Math.round(r.accepted / ((tIn - t0) / 1000))} msgs/s (${r.failed} failed)`);
  console.log(`  delivered to the sink: ${sink.messages}; end to end ${secs.toFixed(2)} s = ${Math.round(rate)} msgs/s (target >= 1050)`);
  console.log(`  CPU seconds: kumo-ts ${kumoCpu.toFixed(1)}, sink ${sinkCpu.toFixed(1)}, load generator ${((self.user + self.system) / 1e6).toFixed(1)}`);
  console.log(`  machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), Node ${process.versions.node}, ${new Date().toISOString().slice(0, 10)}`);
  console.log(JSON.stringify({ bench: 'relay', messages: MESSAGES, size: SIZE, sessions: SESSIONS, injectSecs: (tIn - t0) / 1000, secs, rate, kumoCpu, sinkCpu }));
  if (r.failed || !(sink.messages >= MESSAGES)) process.exitCode = 1;
} finally {
  kumo.child.kill('SIGTERM');
  await new Promise((r) => kumo.child.once('exit', r));
  sink.child.kill('SIGTERM');
  await new Promise((r) => sink.child.once('exit', r));
  rmSync(kumo.root, { recursive: true, force: true });
}
