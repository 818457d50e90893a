import { Counter, Gauge } from 'prom-client';
import { metricsRegistry } from '../http/metrics.js';
import { certificateExpiries } from '../tls/cert-store.js';

/** Inbound SMTP metrics, registered once in the process-wide registry served at /metrics. */
const registers = [metricsRegistry()];

export const receivedMessages = new Counter({
  name: 'kumo_ts_smtp_received_total',
  help: 'Messages accepted (250) by an SMTP listener',
  labelNames: ['listener'] as const,
  registers,
});

export const rejectedReplies = new Counter({
  name: 'kumo_ts_smtp_rejections_total',
  help: 'Error replies (4xx/5xx) sent by an SMTP listener, by reply code',
  labelNames: ['listener', 'code'] as const,
  registers,
});

export const dataTimeouts = new Counter({
  name: 'kumo_ts_smtp_data_timeouts_total',
  help: 'Sessions disconnected with 421 4.4.2 during DATA: past data_timeout (reason="deadline") or below min_data_rate (reason="rate")',
  labelNames: ['listener', 'reason'] as const,
  registers,
});

/** Connections refused or cut by a listener's connection policy (per-IP cap, early talker, command deadline, bad UTF-8). */
export const refusedConnections = new Counter({
  name: 'kumo_ts_smtp_refused_total',
  help: 'Connections or commands refused by an SMTP listener\'s connection policy, by reason',
  labelNames: ['listener', 'reason'] as const,
  registers,
});

/** Live listeners register here so that the gauge can count their connections at scrape time. */
export const liveListeners = new Set<{ readonly name: string; readonly connectionCount: number }>();

new Gauge({
  name: 'kumo_ts_smtp_connections',
  help: 'Open client connections per SMTP listener',
  labelNames: ['listener'] as const,
  registers,
  collect() {
    this.reset();
    for (const l of liveListeners) this.inc({ listener: l.name }, l.connectionCount);
  },
});

new Gauge({
  name: 'kumo_ts_tls_certificate_not_after_seconds',
  help: 'Expiry (notAfter, unix seconds) of each certificate an SMTP listener serves',
  labelNames: ['listener', 'name', 'sha256'] as const,
  registers,
  // every reception worker serves the same certificates: one value, not their sum
  aggregator: 'min',
  collect() {
    this.reset();
    for (const e of certificateExpiries()) this.set({ listener: e.store, name: e.name, sha256: e.fingerprint256 }, Math.floor(e.notAfter / 1000));
  },
});
