import { Counter, Gauge } from 'prom-client';
import { metricsRegistry } from '../http/metrics.js';

/** Hook metrics, in the process registry served at /metrics; one series per configured hook (bounded by the config). */
const registers = [metricsRegistry()];

/** Events that left a hook's queue, by outcome: delivered (taken), failed (refused for good), expired (max_age). */
export const hookEvents = new Counter({
  name: 'kumo_ts_hook_events_total',
  help: 'Log hook events that left their queue, by hook and outcome (delivered, failed, expired)',
  labelNames: ['hook', 'outcome'] as const,
  registers,
});

/** Sends of a batch that must be retried (receiver down, 429/5xx, timeout, unconfirmed). */
export const hookRetries = new Counter({
  name: 'kumo_ts_hook_retries_total',
  help: 'Log hook batches sent again after a transient failure, by hook',
  labelNames: ['hook'] as const,
  registers,
});

/** What the backlog gauges read at scrape time (the live hook queues register here). */
export interface HookQueueView {
  readonly hook: string;
  readonly backlog: number;
  readonly inflight: number;
  readonly oldestAgeS: number;
}
export const liveHookQueues = new Set<() => Iterable<HookQueueView>>();

function collect(g: Gauge<'hook'>, value: (v: HookQueueView) => number): void {
  g.reset();
  for (const list of liveHookQueues) for (const v of list()) g.set({ hook: v.hook }, value(v));
}

new Gauge({
  name: 'kumo_ts_hook_backlog',
  help: 'Log hook events queued (durably) and not yet taken by the receiver, by hook (in flight included)',
  labelNames: ['hook'] as const,
  registers,
  collect() {
    collect(this, (v) => v.backlog);
  },
});

new Gauge({
  name: 'kumo_ts_hook_inflight',
  help: 'Log hook events being sent right now, by hook',
  labelNames: ['hook'] as const,
  registers,
  collect() {
    collect(this, (v) => v.inflight);
  },
});

new Gauge({
  name: 'kumo_ts_hook_oldest_age_seconds',
  help: 'Age of the oldest event waiting in each log hook queue',
  labelNames: ['hook'] as const,
  registers,
  collect() {
    collect(this, (v) => v.oldestAgeS);
  },
});
