import { Counter, Gauge } from 'prom-client';
import { metricsRegistry } from '../http/metrics.js';

const registers = [metricsRegistry()];

export const acmeNextRenewal = new Gauge({
  name: 'kumo_ts_acme_next_renewal_timestamp_seconds',
  help: 'When kumo-ts next orders each ACME certificate (epoch seconds; a past value: an order is running or retrying)',
  labelNames: ['cert'],
  registers,
});

export const acmeCertExpiry = new Gauge({
  name: 'kumo_ts_acme_certificate_expiry_timestamp_seconds',
  help: 'notAfter of the certificate served for each ACME certificate (epoch seconds)',
  labelNames: ['cert'],
  registers,
});

export const acmeLastFailure = new Gauge({
  name: 'kumo_ts_acme_last_failure_timestamp_seconds',
  help: 'When the last order of each ACME certificate failed (epoch seconds; 0: none since start)',
  labelNames: ['cert'],
  registers,
});

export const acmeOrders = new Counter({
  name: 'kumo_ts_acme_orders_total',
  help: 'ACME certificate orders by outcome (issued, failed)',
  labelNames: ['cert', 'outcome'],
  registers,
});

/** A certificate no longer configured drops its series (bounded by the configured certificates). */
export function forgetCertMetrics(cert: string): void {
  for (const g of [acmeNextRenewal, acmeCertExpiry, acmeLastFailure]) g.remove(cert);
}
