import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerProcess } from '../helpers/server-process.js';
import { startSink } from '../../src/sink/sink.js';
import type { Sink, SinkMessage } from '../../src/sink/sink.js';
import { freePort, inject, labConfig, seqOf, startLabServer, tagged, waitUntil } from '../queue/lab.js';
import type { Outgoing } from '../queue/lab.js';
import { Counter, countingProxy } from './counting-proxy.js';
import type { CountingProxy } from './counting-proxy.js';

/**
 * Shaping enforced on the real delivery path: a kumo-ts child process delivers to kumo-ts
 * sinks through counting TCP relays (one per MX address, all on the source's remote_port).
 */
const ZONE = `
["conn.test"]
mx = ["10 mx.conn.test"]
["mx.conn.test"]
a = ["127.0.0.2"]
["rate.test"]
mx = ["10 mx.rate.test"]
["mx.rate.test"]
a = ["127.0.0.3"]
["p1.test"]
mx = ["10 mx1.site-a.lab-provider.test"]
["mx1.site-a.lab-provider.test"]
a = ["127.0.0.4"]
["p2.test"]
mx = ["10 mx.site-b.lab-provider.test"]
["mx.site-b.lab-provider.test"]
a = ["127.0.0.5"]
`;

const SHAPING = `
["conn.test"]
connection_limit = 3
max_deliveries_per_connection = 5

["rate.test"]
max_message_rate = "10/s"

[provider."lab"]
match = [{ MXSuffix = ".lab-provider.test" }]
provider_connection_limit = 2
connection_limit = 5
max_deliveries_per_connection = 5
`;

/** Relays on each host, all on one port (retried when a port is taken on one of them). */
async function relaysOnOnePort(hosts: string[], target: Sink, counters: Counter[]): Promise<CountingProxy[]> {
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const out: CountingProxy[] = [];
    try {
      for (const [i, h] of hosts.entries()) out.push(await countingProxy(h, port, { host: target.host, port: target.port }, counters[i]));
      return out;
    } catch (e) {
      for (const p of out) await p.close();
      if (attempt > 5) throw e;
    }
  }
}

describe('shaping enforced on the delivery path', { timeout: 120_000 }, () => {
  const cleanups: (() => unknown)[] = [];
  const got: { at: number; m: SinkMessage }[] = [];
  let kumo: ServerProcess;
  let smtpPort: number;
  let sink: Sink;
  const conn = new Counter();
  const rate = new Counter();
  const provider = new Counter();

  before(async () => {
    sink = await startSink({ onMessage: (m) => got.push({ at: performance.now(), m }), dataDelayMs: 20 });
    cleanups.push(() => sink.close());
    const relays = await relaysOnOnePort(['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'], sink, [conn, rate, provider, provider]);
    cleanups.push(...relays.map((r) => () => r.close()));
    smtpPort = await freePort();
    const lab = labConfig({ smtpPort, sinkPort: relays[0].port, zone: ZONE });
    lab.write('config/shaping.toml', SHAPING);
    cleanups.push(lab.cleanup);
    kumo = await startLabServer(lab.dir);
    cleanups.push(() => kumo.stop());
  });
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  const batch = (n: number, domain: (i: number) => string, base: number): Outgoing[] =>
    Array.from({ length: n }, (_, i) => ({ from: 'shaper@kumo.test', to: [`user${i}@${domain(i)}`], data: tagged(base + i) }));
  const countSeq = (lo: number, hi: number) => got.filter((g) => { const s = seqOf(g.m.data); return s >= lo && s < hi; }).length;

  test('connection_limit = 3: the sink never sees more than 3 concurrent connections', async () => {
    const accepted = await inject(smtpPort, batch(300, () => 'conn.test', 0), 10);
    assert.equal(accepted.size, 300);
    await waitUntil(() => countSeq(0, 300) >= 300, 60_000, '300 messages at the sink');
    assert.ok(conn.max <= 3, `saw ${conn.max} concurrent connections`);
    assert.ok(conn.max >= 2, `the limit was actually used (max ${conn.max})`);
    assert.ok(conn.total >= 60, `max_deliveries_per_connection = 5 → at least 60 connections (got ${conn.total})`);
  });

  // the measured rate is a figure of bench/latency; here: the throttle holds deliveries back
  test('max_message_rate = "10/s": after the burst, 100 messages take at least 8 s', async () => {
    const n = 120;
    const start = got.length;
    const accepted = await inject(smtpPort, batch(n, () => 'rate.test', 1000), 4);
    assert.equal(accepted.size, n);
    await waitUntil(() => countSeq(1000, 1000 + n) >= n, 30_000, `${n} messages at the sink`);
    const times = got.slice(start).filter((g) => seqOf(g.m.data) >= 1000).map((g) => g.at).sort((a, b) => a - b);
    // GCRA allows a burst of max_burst (= 10) first; the steady rate is measured after it,
    // over the next 100 messages (10 s at 10/s)
    // (a slow machine only makes this longer: no upper bound)
    const span = times[110] - times[10];
    assert.ok(span >= 8_000, `100 messages after the burst took ${(span / 1000).toFixed(1)} s; 10/s needs 10 s`);
  });

  test('provider_connection_limit = 2 is shared by two sites of the provider', async () => {
    const accepted = await inject(smtpPort, batch(200, (i) => (i % 2 ? 'p1.test' : 'p2.test'), 2000), 10);
    assert.equal(accepted.size, 200);
    await waitUntil(() => countSeq(2000, 2200) >= 200, 60_000, '200 messages at the sink');
    assert.ok(provider.max <= 2, `saw ${provider.max} concurrent connections to the provider's two sites`);
    assert.equal(provider.max, 2);
  });
});
