import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { SinkMessage } from '../../src/sink/sink.js';
import type { ServerProcess } from '../helpers/server-process.js';
import { countBy, freePort, inject, labConfig, readRecords, sinksOnOnePort, startLabServer, tagged, waitUntil } from '../queue/lab.js';
import { parseScrape, pick, valueOf } from './scrape.js';
import type { Sample } from './scrape.js';

/**
 * Per-queue and per-provider metrics of a real `kumo-ts serve` under load, scraped over HTTP:
 * series appear while the queues work, count every outcome, and are gone once the queue has
 * been idle for its reap_interval; a queue still holding messages keeps its series.
 */
const ZONE = `
["metrics.test"]
mx = ["10 mx.metrics.lab-prov.test"]
["mx.metrics.lab-prov.test"]
a = ["127.0.0.2"]
["metrics2.test"]
mx = ["10 mx2.metrics.lab-prov.test"]
["mx2.metrics.lab-prov.test"]
a = ["127.0.0.2"]
["held.test"]
mx = ["10 mx.held.test"]
["mx.held.test"]
a = ["127.0.0.3"]
`;

const SHAPING = `
["default"]
idle_timeout = "1s"

[provider."labprov"]
match = [{ MXSuffix = ".lab-prov.test" }]
`;

const QUEUES = `
[queue.default]
reap_interval = "2s"

[queue.'held.test']
retry_interval = "1h"
`;

const OK = 28;
/** to a second site of the same provider: the provider series sum both ready queues */
const M2 = 6;
const PERMFAIL = 2;
const HELD = 3;

describe('queue metrics: per-queue and per-provider series, reaped when idle', { timeout: 90_000 }, () => {
  const cleanups: (() => unknown)[] = [];
  const got: SinkMessage[] = [];
  let kumo: ServerProcess;
  let smtpPort: number;
  let httpPort: number;
  let logs: string;

  before(async () => {
    const sinks = await sinksOnOnePort(['127.0.0.2', '127.0.0.3'], () => ({ onMessage: (m) => got.push(m), dataDelayMs: 150 }));
    for (const s of sinks) cleanups.push(() => s.close());
    smtpPort = await freePort();
    httpPort = await freePort();
    const lab = labConfig({ smtpPort, sinkPort: sinks[0]!.port, zone: ZONE, httpPort, queues: QUEUES });
    lab.write('config/shaping.toml', SHAPING);
    cleanups.push(lab.cleanup);
    logs = join(lab.dir, 'logs');
    kumo = await startLabServer(lab.dir);
    cleanups.push(() => kumo.stop());
  });
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  /** one scrape; a connection error is tried again twice, as a scraper would at its next interval */
  const scrape = async (): Promise<Sample[]> => {
    for (let attempt = 0; ; attempt++) {
      try {
        return parseScrape(await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text());
      } catch (e) {
        if (attempt >= 2) throw e;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  };
  const mentions = (s: Sample[], re: RegExp) => s.filter((x) => Object.values(x.labels).some((v) => re.test(v)));

  test('a scrape during load, the counters after it, and the series gone once the queue ages out', async () => {
    const msgs = [
      ...Array.from({ length: OK }, (_, i) => ({ from: 'sender@kumo.test', to: [`u${i}@metrics.test`], data: tagged(i) })),
      ...Array.from({ length: M2 }, (_, i) => ({ from: 'sender@kumo.test', to: [`v${i}@metrics2.test`], data: tagged(300 + i) })),
      ...Array.from({ length: PERMFAIL }, (_, i) => ({ from: 'sender@kumo.test', to: [`permfail+${i}@metrics.test`], data: tagged(100 + i) })),
      ...Array.from({ length: HELD }, (_, i) => ({ from: 'sender@kumo.test', to: [`tempfail+${i}@held.test`], data: tagged(200 + i) })),
    ];
    // both sites in flight together: the metrics2.test messages interleaved with the others
    for (let i = 0; i < M2; i++) msgs.splice(i * 4 + 1, 0, msgs.splice(OK + i, 1)[0]!);
    const injecting = inject(smtpPort, msgs, 2);

    // during load: the ready queue of the provider's site has connections, per queue and per provider
    let during: Sample[] = [];
    const t0 = Date.now();
    for (;;) {
      during = await scrape();
      const conns = valueOf(during, 'kumo_ts_connection_count_by_provider', { provider: 'labprov' }) ?? 0;
      const svc = valueOf(during, 'kumo_ts_connection_count', { service: /lab-prov\.test@smtp_client/ }) ?? 0;
      const sites = pick(during, 'kumo_ts_ready_count', { service: /lab-prov\.test@smtp_client/ }).length;
      const delivered = valueOf(during, 'kumo_ts_total_messages_delivered_by_queue', { queue: 'metrics.test' }) ?? 0;
      if (conns > 0 && svc > 0 && sites === 2 && delivered > 0 && delivered < OK) break;
      assert.ok(got.length < OK + M2 && Date.now() - t0 < 30_000, `no scrape caught the load with per-queue and per-provider series (delivered ${got.length})`);
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(pick(during, 'kumo_ts_scheduled_count', { queue: 'metrics.test' }).length === 1, 'scheduled_count{queue="metrics.test"} during load');
    assert.ok((valueOf(during, 'kumo_ts_total_messages_delivered_by_provider', { provider: 'labprov' }) ?? 0) > 0);
    // the provider's series are the sums over its two sites' ready queues (one scan per scrape)
    const sum = (name: string) => pick(during, name, { service: /lab-prov\.test@smtp_client/ }).reduce((n, x) => n + x.value, 0);
    assert.equal(valueOf(during, 'kumo_ts_connection_count_by_provider', { provider: 'labprov' }), sum('kumo_ts_connection_count'));
    assert.equal(valueOf(during, 'kumo_ts_ready_count_by_provider', { provider: 'labprov' }), sum('kumo_ts_ready_count'));
    await injecting;

    await waitUntil(() => {
      const c = countBy(readRecords(logs).filter((r) => r.type !== 'Reception'), (r) => `${r.type}:${r.queue}`);
      return c['Delivery:metrics.test'] === OK && c['Delivery:metrics2.test'] === M2 && c['Bounce:metrics.test'] === PERMFAIL && c['TransientFailure:held.test'] === HELD;
    }, 30_000, 'every outcome logged');

    // the counters match the log records, by queue, provider, source and ready queue
    const done = await scrape();
    assert.equal(valueOf(done, 'kumo_ts_total_messages_delivered_by_queue', { queue: 'metrics.test' }), OK);
    assert.equal(valueOf(done, 'kumo_ts_total_messages_fail_by_queue', { queue: 'metrics.test' }), PERMFAIL);
    assert.equal(valueOf(done, 'kumo_ts_total_messages_delivered_by_provider', { provider: 'labprov' }), OK + M2);
    assert.equal(valueOf(done, 'kumo_ts_total_messages_fail_by_provider', { provider: 'labprov' }), PERMFAIL);
    assert.equal(valueOf(done, 'kumo_ts_total_messages_delivered_by_provider_and_source', { provider: 'labprov', source: 'unspecified', pool: 'unspecified' }), OK + M2);
    assert.equal(valueOf(done, 'kumo_ts_total_messages_delivered', { service: /->mx\.metrics\.lab-prov\.test@smtp_client/ }), OK);
    assert.equal(valueOf(done, 'kumo_ts_total_messages_delivered', { service: /mx2\.metrics\.lab-prov\.test@smtp_client/ }), M2);
    assert.equal(valueOf(done, 'kumo_ts_total_messages_transfail_by_queue', { queue: 'held.test' }), HELD);
    assert.equal(valueOf(done, 'kumo_ts_scheduled_count', { queue: 'held.test' }), HELD);
    assert.ok((valueOf(done, 'kumo_ts_scheduled_oldest_age_seconds', { queue: 'held.test' }) ?? 0) > 0);
    assert.ok((valueOf(done, 'kumo_ts_reception_latency_seconds_count', { protocol: 'ESMTP' }) ?? 0) >= OK + PERMFAIL + HELD);
    assert.ok((valueOf(done, 'kumo_ts_deliver_message_latency_rollup_count', { service: 'smtp_client' }) ?? 0) >= OK + M2);
    assert.ok((valueOf(done, 'kumo_ts_message_delivery_latency_seconds_count') ?? 0) >= OK + M2);

    // idle for reap_interval (2s) after its connections closed (idle_timeout 1s): every series
    // of the delivered queue, its ready queue and its provider is gone; held.test keeps its own
    const idle = /metrics2?\.test|lab-prov|labprov/;
    let last: Sample[] = await scrape();
    const t1 = Date.now();
    while (mentions(last, idle).length) {
      // the scrape that reaps a queue (or ready queue, or provider) drops all its series at once, counters too
      const partial = (gauge: string, label: string, v: RegExp) =>
        !pick(last, gauge, { [label]: v }).length && last.some((x) => v.test(x.labels[label] ?? ''));
      assert.ok(!partial('kumo_ts_scheduled_count', 'queue', /^metrics\.test$/), 'a scrape with part of the reaped queue series');
      assert.ok(!partial('kumo_ts_connection_count', 'service', /lab-prov/), 'a scrape with part of the reaped ready queue series');
      assert.ok(!partial('kumo_ts_connection_count_by_provider', 'provider', /^labprov$/), 'a scrape with part of the reaped provider series');
      assert.ok(Date.now() - t1 < 30_000, `the series of the idle queue were not reaped: ${JSON.stringify(mentions(last, idle))}`);
      await new Promise((r) => setTimeout(r, 250));
      last = await scrape();
    }
    assert.equal(valueOf(last, 'kumo_ts_scheduled_count', { queue: 'held.test' }), HELD);
    assert.equal(valueOf(last, 'kumo_ts_total_messages_transfail_by_queue', { queue: 'held.test' }), HELD);
  });
});
