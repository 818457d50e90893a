// bench/hooks: what a durable webhook log hook costs while relaying. The same relay runs twice
// (SMTP in -> spool -> SMTP out to a `kumo-ts sink` child), first without hooks, then with a
// webhook hook taking every record (Reception + Delivery: 2 events per message) in batches of
// 100 to a node http receiver in this process. Printed: relay msgs/s, hook events/s (first to
// last event at the receiver), and the server's CPU per message in each run.
//
//   node dist/bench/hooks.js [--messages 5000] [--sessions 10] [--size 2048]
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, freePort, startServe } from './_serve.js';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1] ?? '');
const MESSAGES = Number(args.get('messages') ?? 5_000);
const SESSIONS = Number(args.get('sessions') ?? 10);
const SIZE = Number(args.get('size') ?? 2048);

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

async function startKumo(sinkPort: number, hookPort: number | undefined): Promise<{ child: ChildProcess; port: number; root: string }> {
  const root = mkdtempSync(join(tmpdir(), 'kumo-bench-hooks-'));
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
${hookPort ? `[log_hook.bench]\nkind = "webhook"\nurl = "http://127.0.0.1:${hookPort}/events"\nbatch_size = 100\nbatch_wait = "1s"\nhmac = { secret = { key_data = "bench secret" } }\n` : ''}
`);
  writeFileSync(join(conf, 'zone.toml'), '["bench.test"]\nmx = ["10 mx.bench.test"]\n["mx.bench.test"]\na = ["127.0.0.1"]\n');
  writeFileSync(join(conf, 'sources.toml'), `[source."unspecified"]\nremote_port = ${sinkPort}\n`);
  writeFileSync(join(conf, 'shaping.toml'), '["bench.test"]\nconnection_limit = 20\nmax_deliveries_per_connection = 100000\nmax_connection_rate = "100/s"\n');
  const child = await startServe({ conf, cwd: root, port });
  return { child, port, root };
}

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
  const kumo = await startKumo(sink.port, rx?.port);
  try {
    const cpu0 = cpuSeconds(kumo.child.pid);
    const t0 = Date.now();
    const done = sink.reached(MESSAGES);
    const r = await inject(kumo.port);
    const tOut = await Promise.race([done, new Promise<number>((res) => setTimeout(() => res(NaN), 180_000))]);
    if (rx) await waitFor(() => rx.st.events >= 2 * MESSAGES, 180_000);
    const cpu = cpuSeconds(kumo.child.pid) - cpu0;
    const end = rx ? Math.max(tOut, rx.st.last) : tOut;
    return {
      accepted: r.accepted, relayRate: MESSAGES / ((tOut - t0) / 1000), cpuPerMsgUs: (cpu / MESSAGES) * 1e6, cpu, secs: (end - t0) / 1000,
      events: rx?.st.events ?? 0, requests: rx?.st.requests ?? 0,
      eventRate: rx && rx.st.last > rx.st.first ? rx.st.events / ((rx.st.last - t0) / 1000) : 0,
    };
  } finally {
    kumo.child.kill('SIGTERM');
    await new Promise((r) => kumo.child.once('exit', r));
    sink.child.kill('SIGTERM');
    await rx?.close();
    rmSync(kumo.root, { recursive: true, force: true });
  }
}

const load0 = loadavg()[0]!;
const base = await run(false);
const hook = await run(true);
const load1 = loadavg()[0]!;
const added = (hook.cpuPerMsgUs / base.cpuPerMsgUs - 1) * 100;
console.log(`machine: ${cpus().length} cores, node ${process.version}, load average ${load0.toFixed(1)} -> ${load1.toFixed(1)}`);
console.log(`no hook:   ${base.accepted} msgs, relay ${base.relayRate.toFixed(0)} msgs/s, server CPU ${base.cpuPerMsgUs.toFixed(0)} µs/msg`);
console.log(`with hook: ${hook.accepted} msgs, relay ${hook.relayRate.toFixed(0)} msgs/s, server CPU ${hook.cpuPerMsgUs.toFixed(0)} µs/msg; ${hook.events} events in ${hook.requests} requests, ${hook.eventRate.toFixed(0)} events/s (first MAIL FROM to last event)`);
console.log(`RESULT hooks: webhook hook (every record, batches of 100, HMAC) adds ${added.toFixed(1)} % server CPU per message (target <= 25 %); ${hook.eventRate.toFixed(0)} events/s`);
