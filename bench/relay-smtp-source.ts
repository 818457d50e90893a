// bench/relay-smtp-source: end-to-end relay measured with Postfix's own load tools (issue 10),
// kumo-ts and Postfix interleaved on the same box, into the same sink:
//
//   smtp-source -s 20 -m N -l SIZE -f from@example.com -t to@example.net 127.0.0.1:PORT
//   → MTA → smtp-sink -c 127.0.0.1:SINKPORT 1000
//
// One message per connection, no pipelining by default (how most applications submit mail);
// `-d` makes smtp-source reuse each connection. The figure is messages counted by smtp-sink
// per second, from the start of smtp-source to the last message counted. Rounds: kumo-ts,
// Postfix, kumo-ts, Postfix, ... Each run gets a fresh MTA (temp spool/queue) and a fresh sink.
//
// Latency of the final 250 (end of DATA → 250): smtp-source does not report it, so a probe
// client opens one extra connection every --probe-interval ms (default 100; 0 disables) during
// the load and times its end-of-data → 250 (one message per connection, like smtp-source).
// Probe messages go to the sink too and are counted in "delivered".
//
// Postfix: a private instance under a temp dir (postfix -c DIR start-fg/stop); skipped, with the
// reason, when postfix, smtp-source or smtp-sink are not installed or the instance will not start.
//
//   node dist/bench/relay-smtp-source.js [--messages 20000] [--sessions 20] [--size 2048]
//        [-d] [--rounds 2] [--probe-interval 100] [--warmup 0] [--no-postfix] [--profile DIR]
//        [--node-args "--flag ..."]
//
// `--warmup N` sends N messages the same way before the clock starts, and waits until they
// are delivered: the figure is then of a running MTA (kumo-ts's code JIT-compiled, Postfix's
// daemons spawned) rather than of a fresh start.
//
// `--profile DIR` writes a CPU profile (`--cpu-prof`) of each kumo-ts run into DIR.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { PrivatePostfix, postfixUnavailable, postfixVersion } from '../test/peers/private-postfix.js';
import { benchArgs } from './lab/args.js';
import { localShaping, mxListQueue, SINK_HOST_ZONE, startBenchKumo } from './lab/kumo-config.js';
import { childPids, cpuSecondsOf, sleep, waitExit } from './lab/proc.js';

/** CPU seconds of pids, with (default) or without their waited-for children */
const cpuSeconds = (pids: number[], children = true) => cpuSecondsOf(pids, children);
import { freePort, portUp } from './lab/serve.js';
import { speedLine } from './lab/speed.js';

const args = benchArgs(['-d', '--reuse', '--no-postfix']);
const MESSAGES = Number(args.get('messages') ?? 20_000);
const SESSIONS = Number(args.get('sessions') ?? 20);
const SIZE = Number(args.get('size') ?? 2048);
const ROUNDS = Number(args.get('rounds') ?? 2);
const PROBE_MS = Number(args.get('probe-interval') ?? 100);
const REUSE = args.has('d') || args.has('reuse');
const PROFILE_DIR = args.get('profile');
const WARMUP = Number(args.get('warmup') ?? 0);
/** `--node-args "--flag ..."`: V8/Node flags for kumo-ts (its workers inherit them), for experiments */
const NODE_ARGS = (args.get('node-args') ?? '').split(' ').filter(Boolean);
const SBIN = '/usr/sbin';
const SMTP_SOURCE = join(SBIN, 'smtp-source');
const SMTP_SINK = join(SBIN, 'smtp-sink');
const IS_ROOT = process.getuid?.() === 0;

// ---------- the sink: smtp-sink -c, its running counter parsed from stdout ----------

interface Sink {
  child: ChildProcess;
  port: number;
  count: number;
  /** Date.now() when count last grew */
  lastAt: number;
}

async function startSink(): Promise<Sink> {
  const port = await freePort();
  // smtp-sink refuses to run as root without -u. Its stdout is block-buffered into a pipe, so
  // its counter only shows up live on a terminal: run it under script(1)'s pty, in its own
  // process group (stopped with the group).
  const cmd = [SMTP_SINK, ...(IS_ROOT ? ['-u', 'nobody'] : []), '-c', `127.0.0.1:${port}`, '1000'].join(' ');
  const child = spawn('script', ['-qfc', cmd, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  const sink: Sink = { child, port, count: 0, lastAt: 0 };
  let err = '';
  let tail = '';
  child.stderr!.on('data', (d) => (err += d));
  child.stdout!.on('data', (d: Buffer) => {
    tail = (tail + d.toString('latin1')).slice(-200);
    const all = [...tail.matchAll(/mesg=(\d+)/g)];
    const n = all.length ? Number(all[all.length - 1]![1]) : 0;
    if (n > sink.count) {
      sink.count = n;
      sink.lastAt = Date.now();
    }
  });
  const t0 = Date.now();
  while (!(await portUp(port))) {
    if (child.exitCode !== null || Date.now() - t0 > 10_000) throw new Error(`smtp-sink did not start: ${err}`);
    await sleep(50);
  }
  return sink;
}

/** smtp-sink's pid(s): script(1)'s children, the sink started by it */
function sinkPids(sink: Sink): number[] {
  return childPids(sink.child.pid);
}

// ---------- kumo-ts ----------

interface Mta {
  name: string;
  port: number;
  pid(): number[];
  stop(): Promise<void>;
}

async function startKumo(sinkPort: number): Promise<Mta> {
  const kumo = await startBenchKumo({
    name: 'smtpsrc',
    smtp: { port: await freePort(), maxMessagesPerConnection: 100_000 },
    // nothing is resolved: example.net is routed by mx_list
    zone: SINK_HOST_ZONE,
    files: {
      'queues.toml': mxListQueue('example.net', sinkPort),
      // a local receiver: as many connections as Postfix's default_destination_concurrency_limit
      // here (20), reused without limit, instead of the builtin defaults for internet destinations
      'shaping.toml': localShaping('example.net', { mxRollup: false }),
    },
    cpuProfDir: PROFILE_DIR,
    ...(NODE_ARGS.length ? { nodeArgs: NODE_ARGS } : {}),
  });
  return {
    name: 'kumo-ts',
    port: kumo.port,
    // with [server] workers > 1 (KUMO_TS_WORKERS) the reception workers are its children
    pid: () => [kumo.child.pid!, ...childPids(kumo.child.pid)],
    stop: () => kumo.stop(10_000),
  };
}

// ---------- Postfix: a private instance under a temp dir ----------

function postfixAbsent(): string | undefined {
  if (args.has('no-postfix')) return '--no-postfix given';
  return postfixUnavailable() || undefined;
}

async function startPostfix(sinkPort: number): Promise<Mta> {
  const port = await freePort();
  const pf = new PrivatePostfix({
    prefix: 'postfix-bench-',
    services: [{ port }],
    myhostname: 'bench.localdomain',
    mydomain: 'localdomain',
    main: () => `relayhost = [127.0.0.1]:${sinkPort}\ndefault_destination_concurrency_limit = 20\nsmtputf8_enable = no\n`,
  });
  await pf.start();
  return { name: 'Postfix', port, pid: () => pf.pids(), stop: () => pf.stop() };
}

// ---------- load: smtp-source, plus the latency probe ----------

/** One message on a fresh connection, no pipelining; ms from end of DATA to the 250, or NaN. */
function probe(port: number, i: number): Promise<number> {
  return new Promise((res) => {
    const s = connect(port, '127.0.0.1');
    s.setNoDelay(true);
    s.setEncoding('latin1');
    let buf = '';
    let step = 0;
    let tDot = 0;
    const bodyLine = 'X'.repeat(78) + '\r\n';
    let body = `From: probe@example.com\r\nTo: to@example.net\r\nSubject: probe ${i}\r\n\r\n`;
    while (body.length + bodyLine.length < SIZE) body += bodyLine;
    const fail = () => {
      s.destroy();
      res(NaN);
    };
    s.setTimeout(60_000, fail);
    s.on('error', fail);
    s.on('data', (d: string) => {
      buf += d;
      for (let nl; (nl = buf.indexOf('\r\n')) >= 0; ) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 2);
        if (line[3] === '-') continue;
        const code = line.slice(0, 3);
        switch (step++) {
          case 0: if (code !== '220') return fail(); s.write('EHLO probe.example.com\r\n'); break;
          case 1: if (code !== '250') return fail(); s.write('MAIL FROM:<from@example.com>\r\n'); break;
          case 2: if (code !== '250') return fail(); s.write('RCPT TO:<to@example.net>\r\n'); break;
          case 3: if (code !== '250') return fail(); s.write('DATA\r\n'); break;
          case 4:
            if (code !== '354') return fail();
            s.write(body);
            tDot = performance.now();
            s.write('.\r\n');
            break;
          case 5: {
            const ms = performance.now() - tDot;
            s.end('QUIT\r\n');
            s.removeAllListeners('error');
            s.on('error', () => {});
            return res(code === '250' ? ms : NaN);
          }
        }
      }
    });
  });
}

/** Sends WARMUP messages with smtp-source as the run will, waits until the sink has them all; the sink's count then. */
async function warmUp(port: number, sink: Sink): Promise<number> {
  const source = spawn(SMTP_SOURCE, [...(REUSE ? ['-d'] : []), '-s', String(SESSIONS), '-m', String(WARMUP), '-l', String(SIZE), '-f', 'from@example.com', '-t', 'to@example.net', `127.0.0.1:${port}`], { stdio: 'ignore' });
  await new Promise((res) => source.once('exit', res));
  const t0 = Date.now();
  while (sink.count < WARMUP && Date.now() - t0 < 60_000) await sleep(20);
  await sleep(500);
  return sink.count;
}

function pct(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

interface RunResult {
  mta: string;
  delivered: number;
  secs: number;
  rate: number;
  injectSecs: number;
  probes: number;
  probeFailed: number;
  p50: number;
  p99: number;
  cpu: number;
  /** the MTA's CPU split: the first pid (kumo-ts's owner, Postfix's master) and the rest */
  cpuSplit: [number, number];
  /** smtp-source's CPU, and smtp-sink's: the load tools share the machine */
  toolsCpu: [number, number];
  sourceRc: number | null;
  sourceErr: string;
  /** 1-minute load average when the run started (the machine may be shared) */
  load: number;
}

// what to stop if the bench is interrupted
let active: { mta?: Mta; sink?: Sink } = {};
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    void (async () => {
      if (active.sink) try { process.kill(-active.sink.child.pid!, 'SIGTERM'); } catch { /* gone */ }
      await active.mta?.stop();
      process.exit(130);
    })();
  });
}

async function run(kind: 'kumo-ts' | 'Postfix'): Promise<RunResult> {
  const sink = await startSink();
  let mta: Mta | undefined;
  active = { sink };
  try {
    mta = kind === 'kumo-ts' ? await startKumo(sink.port) : await startPostfix(sink.port);
    active.mta = mta;
    const port = mta.port;
    // --warmup N: N messages first, the same way, all delivered before the clock starts, so
    // that the figure is of a running MTA (kumo-ts's JIT compiled, Postfix's daemons spawned)
    const base = WARMUP > 0 ? await warmUp(port, sink) : 0;
    const load = loadavg()[0]!;
    const pids0 = mta.pid();
    const cpu0 = cpuSeconds(pids0);
    const split0: [number, number] = [cpuSeconds(pids0.slice(0, 1)), cpuSeconds(pids0.slice(1))];
    const self0 = cpuSeconds([process.pid]) - cpuSeconds([process.pid], false);
    const t0 = Date.now();
    const source = spawn(SMTP_SOURCE, [...(REUSE ? ['-d'] : []), '-s', String(SESSIONS), '-m', String(MESSAGES), '-l', String(SIZE), '-f', 'from@example.com', '-t', 'to@example.net', `127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    let sourceErr = '';
    source.stderr!.on('data', (d) => (sourceErr += d));
    let sourceDone = false;
    const sourceExit = new Promise<number | null>((res) => source.once('exit', (c) => {
      sourceDone = true;
      res(c);
    }));
    // latency probes while smtp-source runs, one at a time, every PROBE_MS
    const lat: number[] = [];
    let probes = 0;
    let probeFailed = 0;
    const prober = (async () => {
      if (!(PROBE_MS > 0)) return;
      while (!sourceDone) {
        const t = Date.now();
        const ms = await probe(port, probes++);
        if (Number.isNaN(ms)) probeFailed++;
        else lat.push(ms);
        await sleep(Math.max(0, PROBE_MS - (Date.now() - t)));
      }
    })();
    const sourceRc = await sourceExit;
    const tIn = Date.now();
    await prober;
    const want = base + MESSAGES + probes - probeFailed;
    // the sink's counter: wait until every accepted message arrived, or 60 s without progress
    let lastSeen = sink.count;
    let lastChange = Date.now();
    while (sink.count < want) {
      if (sink.count !== lastSeen) {
        lastSeen = sink.count;
        lastChange = Date.now();
      } else if (Date.now() - lastChange > 60_000) break;
      await sleep(20);
    }
    const pids1 = mta.pid();
    const cpu = cpuSeconds(pids1) - cpu0;
    const cpuSplit: [number, number] = [cpuSeconds(pids1.slice(0, 1)) - split0[0], cpuSeconds(pids1.slice(1)) - split0[1]];
    // smtp-source exited and was waited for: its CPU is in this process's cutime + cstime
    const sourceCpu = cpuSeconds([process.pid]) - cpuSeconds([process.pid], false) - self0;
    const sinkCpu = cpuSeconds(sinkPids(sink));
    const secs = ((sink.lastAt || Date.now()) - t0) / 1000;
    lat.sort((a, b) => a - b);
    return {
      mta: kind,
      delivered: sink.count - base,
      secs,
      rate: (sink.count - base) / secs,
      injectSecs: (tIn - t0) / 1000,
      probes,
      probeFailed,
      p50: pct(lat, 50),
      p99: pct(lat, 99),
      cpu,
      cpuSplit,
      toolsCpu: [sourceCpu, sinkCpu],
      sourceRc,
      load,
      sourceErr: sourceErr.trim().split('\n').slice(0, 5).join('\n'),
    };
  } finally {
    await mta?.stop();
    active = {};
    try {
      process.kill(-sink.child.pid!, 'SIGTERM');
    } catch {
      /* gone */
    }
    await waitExit(sink.child, 10_000);
  }
}

const perMsg = (r: RunResult, secs: number) => `${((secs / Math.max(1, r.delivered)) * 1000).toFixed(2)}`;

function line(r: RunResult): string {
  const lat = Number.isNaN(r.p50) ? '' : `; final-250 latency p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms (${r.probes} probes${r.probeFailed ? `, ${r.probeFailed} failed` : ''})`;
  const err = r.sourceRc !== 0 ? `\n      smtp-source exit ${r.sourceRc}: ${r.sourceErr}` : '';
  return `  ${r.mta.padEnd(8)} [load ${r.load.toFixed(1)}] ${Math.round(r.rate).toString().padStart(6)} delivered/s  (${r.delivered} at the sink in ${r.secs.toFixed(2)} s; smtp-source done in ${r.injectSecs.toFixed(2)} s; MTA CPU ${r.cpu.toFixed(1)} s = ${((r.cpu / Math.max(1, r.delivered)) * 1000).toFixed(2)} ms/message (${r.mta === 'kumo-ts' ? 'owner' : 'master'} ${perMsg(r, r.cpuSplit[0])}, ${r.mta === 'kumo-ts' ? 'workers' : 'the rest'} ${perMsg(r, r.cpuSplit[1])}; smtp-source ${perMsg(r, r.toolsCpu[0])}, smtp-sink ${perMsg(r, r.toolsCpu[1])})${lat})${err}`;
}

for (const tool of [SMTP_SOURCE, SMTP_SINK]) {
  if (!existsSync(tool)) {
    console.log(`relay-smtp-source: skipped: ${tool} not installed (apt-get install postfix)`);
    process.exit(0);
  }
}
const noPostfix = postfixAbsent();
console.log(`relay-smtp-source: smtp-source ${REUSE ? '-d ' : ''}-s ${SESSIONS} -m ${MESSAGES} -l ${SIZE} -f from@example.com -t to@example.net 127.0.0.1:PORT → MTA → smtp-sink -c 127.0.0.1:SINKPORT 1000`);
console.log(`  ${REUSE ? 'connections reused (-d)' : 'one message per connection, no pipelining'}; latency probe every ${PROBE_MS > 0 ? `${PROBE_MS} ms` : '(off)'}; ${WARMUP > 0 ? `${WARMUP} messages of warm-up first` : 'no warm-up (a fresh MTA)'}`);
console.log(`  machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}, Postfix ${noPostfix ? '-' : postfixVersion()}, ${new Date().toISOString().slice(0, 10)}`);
console.log(`  ${speedLine()}`);
if (noPostfix) console.log(`  Postfix skipped: ${noPostfix}`);

const results: RunResult[] = [];
let postfixBroken: string | undefined = noPostfix;
let failed = false;
for (let round = 1; round <= ROUNDS; round++) {
  console.log(` round ${round}`);
  for (const kind of ['kumo-ts', 'Postfix'] as const) {
    if (kind === 'Postfix' && postfixBroken) continue;
    try {
      const r = await run(kind);
      results.push(r);
      console.log(line(r));
      if (r.delivered < MESSAGES) failed = true;
    } catch (e) {
      if (kind === 'Postfix') {
        postfixBroken = (e as Error).message;
        console.log(`  Postfix skipped: ${postfixBroken}`);
      } else throw e;
    }
  }
}
const mean = (k: string) => {
  const rs = results.filter((r) => r.mta === k);
  return rs.length ? rs.reduce((a, r) => a + r.rate, 0) / rs.length : NaN;
};
const kumo = mean('kumo-ts');
const postfix = mean('Postfix');
const target = SIZE >= 100 * 1024 ? 1.5 : 2.5;
console.log(`  mean: kumo-ts ${Math.round(kumo)}/s${Number.isNaN(postfix) ? '' : `, Postfix ${Math.round(postfix)}/s, ratio ${(kumo / postfix).toFixed(2)}× (target ≥ ${target}×)`}`);
for (let i = 0; i < results.length - 1; i++) {
  const a = results[i]!;
  const b = results[i + 1]!;
  if (a.mta === 'kumo-ts' && b.mta === 'Postfix') console.log(`  round ratio: ${(a.rate / b.rate).toFixed(2)}×`);
}
console.log(JSON.stringify({ bench: 'relay-smtp-source', messages: MESSAGES, warmup: WARMUP, size: SIZE, sessions: SESSIONS, reuse: REUSE, kumo, postfix, ratio: kumo / postfix, runs: results.map(({ sourceErr: _e, ...r }) => r) }));
if (failed) process.exitCode = 1;
