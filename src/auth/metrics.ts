import { Counter } from 'prom-client';
import { metricsRegistry } from '../http/metrics.js';

/** Credentials files whose new content was refused (the previous users kept serving). */
export const credentialRejections = new Counter({
  name: 'kumo_ts_auth_credentials_rejected_total',
  help: 'Reloads of an AUTH credentials file rejected because the new content does not parse; the previous users stay',
  labelNames: ['listener'] as const,
  registers: [metricsRegistry()],
});
