import { Counter, Gauge } from 'prom-client';
import { metricsRegistry } from '../http/metrics.js';
import type { SpoolHealth } from './health.js';

/** Health of the open spools (normally one), read at scrape time. */
export const liveSpools = new Set<SpoolHealth>();

const registers = [metricsRegistry()];

new Gauge({
  name: 'kumo_ts_spool_healthy',
  help: '1 while the spool can write; 0 while it cannot (disk full, I/O errors) and new mail is refused with 451',
  registers,
  // with reception workers each process has the spool open: unhealthy when any of them cannot write (not their sum)
  aggregator: 'min',
  collect() {
    let ok = 1;
    for (const h of liveSpools) if (!h.healthy) ok = 0;
    this.set(ok);
  },
});

/** Incremented by the spool for every failed write. */
export const spoolWriteFailures = new Counter({
  name: 'kumo_ts_spool_write_failures_total',
  help: 'Spool writes (new messages, state updates, removals, probes) that failed since start',
  registers,
});
