import { Counter, Gauge } from 'prom-client';
import { metricsRegistry } from '../http/metrics.js';
import { readyQueueTracked } from '../metrics/queue-metrics.js';

/** Queue metrics, registered once in the process-wide registry served at /metrics. */
const registers = [metricsRegistry()];

/** KumoMTA's delayed_due_to_ready_queue_full, by scheduled queue. */
export const delayedReadyFull = new Counter({
  name: 'kumo_ts_delayed_due_to_ready_queue_full_total',
  help: 'Messages sent back to their scheduled queue because their ready queue held max_ready messages',
  labelNames: ['queue'] as const,
  registers,
});

/** KumoMTA's delay_due_to_message_rate_throttle: held by the scheduled queue's max_message_rate. */
export const delayedRateThrottle = new Counter({
  name: 'kumo_ts_delayed_due_to_message_rate_throttle_total',
  help: "Messages held back by their scheduled queue's max_message_rate",
  labelNames: ['queue'] as const,
  registers,
});

/** KumoMTA's delay_due_to_throttle_insert_ready: held by a tenant's or campaign's overall_max_message_rate. */
export const delayedThrottleInsertReady = new Counter({
  name: 'kumo_ts_delayed_due_to_throttle_insert_ready_total',
  help: "Messages held back by their tenant's or campaign's overall_max_message_rate",
  labelNames: ['queue'] as const,
  registers,
});

/** What the ready-queue gauges read at scrape time (the live queue managers register here). */
export interface ReadyQueueView {
  readonly key: string;
  readonly size: number;
  readonly peak: number;
}
export const liveReadyQueues = new Set<() => Iterable<ReadyQueueView>>();

function collectReady(gauge: Gauge<'queue'>, value: (rq: ReadyQueueView) => number): void {
  gauge.reset();
  // a ready queue idle for reap_interval drops its series with the others (src/metrics/queue-metrics.ts)
  for (const list of liveReadyQueues) for (const rq of list()) if (readyQueueTracked(rq.key)) gauge.set({ queue: rq.key }, value(rq));
}

new Gauge({
  name: 'kumo_ts_ready_queue_size',
  help: 'Messages waiting in each ready queue (source->site) for a connection',
  labelNames: ['queue'] as const,
  registers,
  collect() {
    collectReady(this, (rq) => rq.size);
  },
});

new Gauge({
  name: 'kumo_ts_ready_queue_peak',
  help: 'Most messages each ready queue (source->site) has held at once since it was created',
  labelNames: ['queue'] as const,
  registers,
  collect() {
    collectReady(this, (rq) => rq.peak);
  },
});
