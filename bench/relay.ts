// bench/relay: end-to-end relay throughput. 20,000 messages of 2 KB go in over 20 SMTP
// sessions (MAIL/RCPT/DATA pipelined) to `kumo-ts serve` (durable spool, group commit), which
// routes them by MX (static zone) to a `kumo-ts sink` child process. The figure is messages
// per second from the first MAIL FROM to the last message counted by the sink.
//
//   node dist/bench/relay.js [--messages 20000] [--sessions 20] [--size 2048] [--profile DIR]
//   --profile DIR: runs kumo-ts under --cpu-prof and leaves the .cpuprofile in DIR
import { cpus } from 'node:os';
import { join } from 'node:path';
import { benchArgs } from './lab/args.js';
import { childPids, cpuSeconds, cpuSecondsOf, recordCounts } from './lab/proc.js';
import { relayInject, startRelayKumo } from './lab/relay-lab.js';
import { startSinkChild } from './lab/sink.js';
import { speedLine } from './lab/speed.js';

const args = benchArgs();
const MESSAGES = Number(args.get('messages') ?? 20_000);
const SESSIONS = Number(args.get('sessions') ?? 20);
const SIZE = Number(args.get('size') ?? 2048);
const PROFILE = args.get('profile');

// timed before the children start: the workload runs alone
const speed = speedLine();
const sink = await startSinkChild();
const kumo = await startRelayKumo({ name: 'relay', sinkPort: sink.port, cpuProfDir: PROFILE });
try {
  // the owner, and its reception workers (alive, so not in the owner's cutime)
  const workers = childPids(kumo.child.pid);
  const cpu0 = { kumo: cpuSeconds(kumo.child.pid), workers: cpuSecondsOf(workers, false), sink: cpuSeconds(sink.child.pid), self: process.cpuUsage() };
  const t0 = Date.now();
  const done = sink.reached(MESSAGES);
  const r = await relayInject(kumo.port, { messages: MESSAGES, sessions: SESSIONS, size: SIZE });
  const tIn = Date.now();
  const tOut = await Promise.race([done, new Promise<number>((res) => setTimeout(() => res(NaN), 120_000).unref())]);
  const self = process.cpuUsage(cpu0.self);
  const secs = (tOut - t0) / 1000;
  const rate = MESSAGES / secs;
  const ownerCpu = cpuSeconds(kumo.child.pid) - cpu0.kumo;
  const workersCpu = cpuSecondsOf(workers, false) - cpu0.workers;
  const kumoCpu = ownerCpu + workersCpu;
  const sinkCpu = cpuSeconds(sink.child.pid) - cpu0.sink;
  console.log(`relay: ${MESSAGES} messages of ${SIZE} B in over ${SESSIONS} sessions, out to kumo-ts sink`);
  console.log(`  injected (250 after the durable spool write): ${r.accepted} in ${((tIn - t0) / 1000).toFixed(2)} s = ${Math.round(r.accepted / ((tIn - t0) / 1000))} msgs/s (${r.failed} failed)`);
  console.log(`  delivered to the sink: ${sink.messages}; end to end ${secs.toFixed(2)} s = ${Math.round(rate)} msgs/s (target >= 4000)`);
  console.log(`  CPU seconds: kumo-ts ${kumoCpu.toFixed(1)} (owner ${ownerCpu.toFixed(1)}, ${workers.length} reception workers ${workersCpu.toFixed(1)}) = ${((kumoCpu / MESSAGES) * 1000).toFixed(2)} ms/message, sink ${sinkCpu.toFixed(1)}, load generator ${((self.user + self.system) / 1e6).toFixed(1)}`);
  console.log(`  machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), Node ${process.versions.node}, ${new Date().toISOString().slice(0, 10)}; ${speed}`);
  console.log(JSON.stringify({ bench: 'relay', messages: MESSAGES, size: SIZE, sessions: SESSIONS, injectSecs: (tIn - t0) / 1000, secs, rate, kumoCpu, sinkCpu }));
  // messages that found the ready queue full (max_ready) logged a Delayed record (KumoMTA's ReadyQueueWasFull)
  console.log(`  records: ${JSON.stringify(recordCounts(join(kumo.root, 'data/logs')))}`);
  if (r.failed || !(sink.messages >= MESSAGES)) process.exitCode = 1;
} finally {
  await kumo.stop();
  await sink.stop();
}
