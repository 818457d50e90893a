import { Histogram } from 'prom-client';
import { metricsRegistry } from '../http/metrics.js';

/** Latency histograms (no pruning: their labels are a handful of fixed protocol names). */
const registers = [metricsRegistry()];

/** KumoMTA's buckets for its latency histograms (seconds). */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** KumoMTA's deliver_message_latency_rollup: one delivery attempt, by protocol. */
export const deliverLatency = new Histogram({
  name: 'kumo_ts_deliver_message_latency_rollup',
  help: 'Seconds one delivery attempt takes (the send on an open connection, or the HTTP request), by protocol: smtp_client, http_client, maildir',
  labelNames: ['service'] as const,
  buckets: BUCKETS,
  registers,
});

/** From the end of DATA (or of the inject request's parsing) to the message spooled and queued. */
export const receptionLatency = new Histogram({
  name: 'kumo_ts_reception_latency_seconds',
  help: 'Seconds from a message received (end of DATA or HTTP inject) to it durably spooled and queued, by reception protocol (ESMTP, HTTP)',
  labelNames: ['protocol'] as const,
  buckets: BUCKETS,
  registers,
});

/** End to end: reception to the Delivery record of a recipient. */
export const messageDeliveryLatency = new Histogram({
  name: 'kumo_ts_message_delivery_latency_seconds',
  help: 'Seconds from reception to delivery of each recipient (retries included)',
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 14400, 86400],
  registers,
});
