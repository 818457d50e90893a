// The relay lab of bench/relay and bench/hooks: `kumo-ts serve` relaying bench.test by MX
// (static zone) to a `kumo-ts sink` child, and the pipelined load into it.
import { BENCH_MX_ZONE, localShaping, sinkSource, startBenchKumo } from './kumo-config.js';
import type { BenchKumo } from './kumo-config.js';
import { freePort } from './serve.js';
import { loremMessage, pipelinedInject } from './smtp-session.js';

/** `kumo-ts serve` on a temp config that relays bench.test to the sink at `sinkPort` by MX. */
export async function startRelayKumo(o: { name: string; sinkPort: number; extra?: string; cpuProfDir?: string }): Promise<BenchKumo> {
  return startBenchKumo({
    name: o.name,
    smtp: { port: await freePort(), maxMessagesPerConnection: 100_000 },
    zone: BENCH_MX_ZONE,
    allowLoopback: true,
    extra: o.extra,
    files: { 'sources.toml': sinkSource(o.sinkPort), 'shaping.toml': localShaping('bench.test') },
    cpuProfDir: o.cpuProfDir,
  });
}

/** `messages` messages of about `size` bytes to rcptN@bench.test over `sessions` sessions. */
export function relayInject(port: number, o: { messages: number; sessions: number; size: number }): Promise<{ accepted: number; failed: number }> {
  return pipelinedInject({
    port,
    messages: o.messages,
    sessions: o.sessions,
    ehlo: (w) => `client${w}.example.org`,
    rcpt: (i) => `rcpt${i}@bench.test`,
    message: (i) =>
      loremMessage(`From: bench@example.org\r\nTo: rcpt@bench.test\r\nSubject: relay bench ${i}\r\nMessage-ID: <relay-${i}-${process.pid}@example.org>\r\nDate: ${new Date().toUTCString()}\r\n\r\n`, o.size),
  });
}
