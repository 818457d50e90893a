import { AggregatorRegistry, Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import type { ConfigStore } from '../config/store.js';

/**
 * Prometheus metrics. One registry per process; subsystems add their own metrics to it
 * through `metricsRegistry()`.
 */
const registry = new Registry();
let started = false;

export function metricsRegistry(): Registry {
  return registry;
}

/** One process's metrics as prom-client's JSON (what crosses the IPC channel). */
export type ProcessMetrics = MetricObjectWithValues<MetricValue<string>>[];

let otherProcesses: (() => Promise<ProcessMetrics[]>) | undefined;

/** The owner of reception workers (src/runtime/owner-hub.ts): /metrics adds up theirs and its own. */
export function setWorkerMetrics(collect: (() => Promise<ProcessMetrics[]>) | undefined): void {
  otherProcesses = collect;
}

/** The text of /metrics: this process's registry, merged with its workers' (AggregatorRegistry: counters summed). */
export async function metricsText(): Promise<string> {
  if (!otherProcesses) return registry.metrics();
  const [own, others] = await Promise.all([registry.getMetricsAsJSON(), otherProcesses()]);
  return AggregatorRegistry.aggregate([own, ...others] as Parameters<typeof AggregatorRegistry.aggregate>[0]).metrics();
}

/** Config metrics: the live epoch, whether the last change was rejected, and how often. */
export function registerConfigMetrics(store: ConfigStore): void {
  if (started) return;
  started = true;
  collectDefaultMetrics({ register: registry, prefix: 'kumo_ts_' });
  new Gauge({
    name: 'kumo_ts_config_epoch',
    help: 'Epoch of the config snapshot in force',
    registers: [registry],
    // with reception workers: the owner's (its JSON comes first)
    aggregator: 'first',
    collect() {
      this.set(store.loaded ? store.current.epoch : 0);
    },
  });
  new Gauge({
    name: 'kumo_ts_config_rejected',
    help: '1 while the newest config on disk was rejected and an older epoch keeps serving',
    registers: [registry],
    aggregator: 'max',
    collect() {
      this.set(store.lastFailure ? 1 : 0);
    },
  });
  const rejected = new Counter({ name: 'kumo_ts_config_rejections_total', help: 'Config changes rejected since start', registers: [registry] });
  store.on('failure', () => rejected.inc());
}
