import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startSink } from '../../src/sink/sink.js';
import type { Sink, SinkMessage } from '../../src/sink/sink.js';
import type { ServerProcess } from '../helpers/server-process.js';
import { spooledCount } from '../helpers/spool-peek.js';
import { countBy, freePort, inject, labConfig, readRecords, seqOf, startLabServer, tagged, waitUntil } from '../queue/lab.js';

/**
 * max_ready on the real delivery path: a kumo-ts child delivers to a slow sink over a single
 * connection, so the ready queue backs up; it must never hold more than max_ready messages,
 * the overflow goes back to its scheduled queue (a Delayed record as KumoMTA's, not an attempt) and every
 * message still arrives exactly once.
 */
const ZONE = `
["ready.test"]
mx = ["10 mx.ready.test"]
["mx.ready.test"]
a = ["127.0.0.2"]
`;

const SHAPING = `
["ready.test"]
connection_limit = 1
max_ready = 5
`;

const N = 30;
// fresh from reception: KumoMTA's insert context "Received, ReadyQueueWasFull"
const READY_FULL = /^Context: Received, ReadyQueueWasFull\. Next due in (?:\d+(?:d|h|m|s|ms) ?)+ at (\S+)$/;

/** `kumo_ts_<name>{queue="...ready.test..."} value` lines of a Prometheus scrape, by queue. */
function metric(text: string, name: string): Map<string, number> {
  const out = new Map<string, number>();
  const re = new RegExp(`^kumo_ts_${name}\\{queue="([^"]*)"\\} (\\S+)$`, 'gm');
  for (const m of text.matchAll(re)) out.set(m[1], Number(m[2]));
  return out;
}

describe('max_ready bounds the ready queue', { timeout: 60_000 }, () => {
  const cleanups: (() => unknown)[] = [];
  const got: SinkMessage[] = [];
  let kumo: ServerProcess;
  let smtpPort: number;
  let httpPort: number;
  let logs: string;
  let labDir: string;
  let sink: Sink;

  before(async () => {
    sink = await startSink({ host: '127.0.0.2', port: 0, onMessage: (m) => got.push(m), dataDelayMs: 150 });
    cleanups.push(() => sink.close());
    smtpPort = await freePort();
    httpPort = await freePort();
    const lab = labConfig({ smtpPort, sinkPort: sink.port, zone: ZONE, httpPort });
    lab.write('config/shaping.toml', SHAPING);
    cleanups.push(lab.cleanup);
    logs = join(lab.dir, 'logs');
    labDir = lab.dir;
    kumo = await startLabServer(lab.dir);
    cleanups.push(() => kumo.stop());
  });
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  const scrape = async () => (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();

  test('max_ready = 5 with one slow connection: never more than 5 ready, overflow delayed, all delivered once', async () => {
    // sample the live ready-queue size while the backlog drains (the peak gauge is exact; this is a cross-check)
    let sampledMax = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        try {
          for (const [q, v] of metric(await scrape(), 'ready_queue_size')) if (q.includes('ready.test')) sampledMax = Math.max(sampledMax, v);
        } catch {
          // the server may be busy; the next sample will do
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    })();

    const msgs = Array.from({ length: N }, (_, i) => ({ from: 'ready@kumo.test', to: [`user${i}@ready.test`], data: tagged(i) }));
    const accepted = await inject(smtpPort, msgs, 5);
    assert.equal(accepted.size, N);
    const deliveries = () => readRecords(logs).filter((r) => r.type === 'Delivery');
    await waitUntil(() => got.length >= N && deliveries().length >= N, 35_000, `${N} messages at the sink`);
    // every message finished (removed from the spool): no duplicate can still be on its way
    await waitUntil(() => spooledCount(join(labDir, 'spool')) === 0, 20_000, 'an empty spool');
    sampling = false;
    await sampler;

    // (a) every message delivered exactly once
    const seqs = countBy(got, (m) => String(seqOf(m.data)));
    assert.equal(got.length, N, `sink got ${got.length} messages`);
    for (let i = 0; i < N; i++) assert.equal(seqs[String(i)], 1, `message ${i} arrived ${seqs[String(i)] ?? 0} times`);
    const recs = readRecords(logs);
    const delivered = recs.filter((r) => r.type === 'Delivery');
    assert.equal(delivered.length, N);
    assert.equal(new Set(delivered.map((r) => r.recipient)).size, N);
    // being delayed for a full ready queue is not a delivery attempt
    assert.ok(delivered.every((r) => r.num_attempts === 1), `num_attempts: ${JSON.stringify(countBy(delivered, (r) => String(r.num_attempts)))}`);

    // (b) KumoMTA's Delayed records for the full ready queue: 400, no enhanced code, the due
    // time of the safety net; no site, pool, source nor attempt; not a TransientFailure
    const full = recs.filter((r) => r.type === 'Delayed');
    assert.ok(full.length >= 1, 'some messages found their ready queue full');
    for (const r of full) {
      const m = READY_FULL.exec(r.response.content);
      assert.ok(m, `content: ${r.response.content}`);
      const due = Date.parse(m[1]);
      assert.ok(due - r.timestamp * 1000 >= 29_000 && due - r.timestamp * 1000 <= 61_000, `due ${m[1]} at ${r.event_time}`);
      assert.equal(r.response.code, 400);
      assert.equal(r.response.enhanced_code, null);
      assert.equal(r.response.command, null);
      assert.equal(r.num_attempts, 0);
      assert.equal(r.queue, 'ready.test');
      assert.equal(r.site, '');
      assert.equal(r.egress_pool, null);
      assert.equal(r.egress_source, null);
      assert.equal(r.delivery_protocol, null);
      assert.equal(r.bounce_classification, 'Uncategorized');
    }
    assert.equal(recs.filter((r) => r.type === 'TransientFailure').length, 0, 'no transient failures');
    // every delayed message was delivered later
    const deliveredTo = new Set(delivered.map((r) => String(r.recipient)));
    for (const r of full) assert.ok(deliveredTo.has(String(r.recipient)));

    // (c) the ready queue never held more than max_ready
    const text = await scrape();
    const peaks = [...metric(text, 'ready_queue_peak')].filter(([q]) => q.includes('ready.test'));
    assert.equal(peaks.length, 1, `one ready queue for ready.test: ${JSON.stringify(peaks)}`);
    const peak = peaks[0][1];
    assert.ok(peak <= 5, `ready queue peaked at ${peak}`);
    assert.equal(peak, 5, 'the bound was actually reached');
    assert.ok(sampledMax <= 5, `sampled ready queue size reached ${sampledMax}`);
    const delayed = [...metric(text, 'delayed_due_to_ready_queue_full_total')].find(([q]) => q === 'ready.test')?.[1] ?? 0;
    assert.equal(delayed, full.length, 'one delay counted per Delayed record');
  });
});
