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

export const acmeFailuresInARow = new Gauge({
  name: 'kumo_ts_acme_consecutive_failures',
  help: 'Failed orders in a row for each ACME certificate (0 after a success)',
  labelNames: ['cert'],
  registers,
});

export const acmeOrders = new Counter({
  name: 'kumo_ts_acme_orders_total',
  help: 'ACME certificate orders by outcome (issued, failed, shared: installed from the order of another node)',
  labelNames: ['cert', 'outcome'],
  registers,
});

/** A certificate no longer configured drops its series (bounded by the configured certificates). */
export function forgetCertMetrics(cert: string): void {
  for (const g of [acmeNextRenewal, acmeCertExpiry, acmeLastFailure, acmeFailuresInARow]) g.remove(cert);
  seen.delete(cert);
}

const seen = new Set<string>();

export function notePlan(cert: string, at: number): void {
  acmeNextRenewal.set({ cert }, Math.floor(at / 1000));
  if (!seen.has(cert)) acmeLastFailure.set({ cert }, 0);
  seen.add(cert);
}

/** A new certificate in place: ordered here (`shared` false) or by another node. */
export function noteIssued(cert: string, notAfter: number, shared = false): void {
  acmeCertExpiry.set({ cert }, Math.floor(notAfter / 1000));
  acmeFailuresInARow.set({ cert }, 0);
  acmeOrders.inc({ cert, outcome: shared ? 'shared' : 'issued' });
}

export function noteFailure(cert: string, inARow: number): void {
  seen.add(cert);
  acmeLastFailure.set({ cert }, Math.floor(Date.now() / 1000));
  acmeFailuresInARow.set({ cert }, inARow);
  acmeOrders.inc({ cert, outcome: 'failed' });
}
