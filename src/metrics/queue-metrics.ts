import { Counter, Gauge } from 'prom-client';
import { metricsRegistry } from '../http/metrics.js';
import { messageDeliveryLatency } from './latency.js';
import { SeriesReaper } from './series-reaper.js';

/**
 * Per-queue, per-provider and per-source metrics with KumoMTA's names (prefixed kumo_ts_).
 * Gauges are read from the live queue managers at scrape time; counters are bumped by the
 * outcome recorder. Every labelled series is reaped once its queue (or provider, or source)
 * has been idle for reap_interval, so the series count is bounded by what was active recently.
 */
const registers = [metricsRegistry()];

/** What the gauges read from a queue manager (registered while it runs). */
export interface QueueMetricsView {
  /** jobs waiting in scheduled queues (not yet in a ready queue, not being sent) */
  scheduledJobs(): Iterable<{ readonly queue: string; readonly receivedAt: number }>;
  readyQueues(): Iterable<ReadyQueueMetrics>;
  /** reap_interval of a scheduled queue; of [queue.default] without one */
  reapIntervalMs(queue?: string): number;
}

export interface ReadyQueueMetrics {
  /** the ready queue name (KumoMTA's service label) */
  readonly name: string;
  readonly size: number;
  readonly connections: number;
  /** the shaping provider of its site, else the site name (as KumoMTA) */
  readonly provider: string;
}

/** The attempt facts a counter is labelled with (src/queue/records.ts AttemptContext). */
export interface OutcomeLabels {
  readonly queue: string;
  readonly readyQueue?: string;
  readonly site?: string;
  readonly source?: string;
  readonly pool?: string;
  readonly provider?: string;
}

const views = new Set<QueueMetricsView>();
let timer: NodeJS.Timeout | undefined;
/** Also reaped without scrapes (counters of idle queues would otherwise stay in memory). */
const REAP_EVERY_MS = 30_000;

export function registerQueueView(v: QueueMetricsView): void {
  views.add(v);
  if (!timer) {
    timer = setInterval(() => scan(true), REAP_EVERY_MS);
    timer.unref();
  }
}

export function unregisterQueueView(v: QueueMetricsView): void {
  views.delete(v);
  if (!views.size && timer) {
    clearInterval(timer);
    timer = undefined;
  }
}

const DEFAULT_REAP_MS = 10 * 60_000;
const defaultReap = () => {
  for (const v of views) return v.reapIntervalMs();
  return DEFAULT_REAP_MS;
};
const queueReap = (queue: string) => {
  for (const v of views) return v.reapIntervalMs(queue);
  return DEFAULT_REAP_MS;
};

type Kind = 'delivered' | 'transfail' | 'fail';
const KINDS: readonly Kind[] = ['delivered', 'transfail', 'fail'];
const HELP: Record<Kind, string> = {
  delivered: 'Recipients delivered (Delivery records)',
  transfail: 'Delivery attempts that failed transiently (TransientFailure records)',
  fail: 'Delivery attempts that failed permanently (Bounce records)',
};

const counter = <L extends string>(name: string, kind: Kind, by: string, labelNames: readonly L[]) =>
  new Counter<L>({
    name, help: `${HELP[kind]}, by ${by}`, labelNames, registers,
    // reap before the scrape serializes the counter (it comes before the gauges that also scan)
    collect() {
      scan();
    },
  });

const byService = Object.fromEntries(KINDS.map((k) => [k, counter(`kumo_ts_total_messages_${k}`, k, 'ready queue (service)', ['service'])])) as Record<Kind, Counter<'service'>>;
const byQueue = Object.fromEntries(KINDS.map((k) => [k, counter(`kumo_ts_total_messages_${k}_by_queue`, k, 'scheduled queue', ['queue'])])) as Record<Kind, Counter<'queue'>>;
const byProvider = Object.fromEntries(KINDS.map((k) => [k, counter(`kumo_ts_total_messages_${k}_by_provider`, k, 'provider (or site)', ['provider'])])) as Record<Kind, Counter<'provider'>>;
const byProviderSource = Object.fromEntries(
  KINDS.map((k) => [k, counter(`kumo_ts_total_messages_${k}_by_provider_and_source`, k, 'provider, egress source and pool', ['provider', 'source', 'pool'])]),
) as Record<Kind, Counter<'provider' | 'source' | 'pool'>>;

const scheduledCount = new Gauge({
  name: 'kumo_ts_scheduled_count',
  help: 'Messages in each scheduled queue',
  labelNames: ['queue'] as const,
  registers,
  collect() {
    const s = scan();
    fill(this, 'queue', queues.keys(), (q) => s.scheduled.get(q)?.count ?? 0);
  },
});
const scheduledOldest = new Gauge({
  name: 'kumo_ts_scheduled_oldest_age_seconds',
  help: 'Age (since reception) of the oldest message in each scheduled queue; 0 when empty',
  labelNames: ['queue'] as const,
  registers,
  collect() {
    const s = scan();
    fill(this, 'queue', queues.keys(), (q) => {
      const e = s.scheduled.get(q);
      return e ? Math.max(0, (s.at - e.oldest) / 1000) : 0;
    });
  },
});
const readyCount = new Gauge({
  name: 'kumo_ts_ready_count',
  help: 'Messages in each ready queue (service = ready queue name)',
  labelNames: ['service'] as const,
  registers,
  collect() {
    const s = scan();
    fill(this, 'service', services.keys(), (k) => s.ready.get(k)?.size ?? 0);
  },
});
const connectionCount = new Gauge({
  name: 'kumo_ts_connection_count',
  help: 'Open delivery connections of each ready queue (service = ready queue name)',
  labelNames: ['service'] as const,
  registers,
  collect() {
    const s = scan();
    fill(this, 'service', services.keys(), (k) => s.ready.get(k)?.connections ?? 0);
  },
});
const connectionsByProvider = new Gauge({
  name: 'kumo_ts_connection_count_by_provider',
  help: 'Open delivery connections by provider (or site)',
  labelNames: ['provider'] as const,
  registers,
  collect() {
    const s = scan();
    fill(this, 'provider', providers.keys(), (k) => s.providers.get(k)?.connections ?? 0);
  },
});
const readyByProvider = new Gauge({
  name: 'kumo_ts_ready_count_by_provider',
  help: 'Messages in ready queues by provider (or site)',
  labelNames: ['provider'] as const,
  registers,
  collect() {
    const s = scan();
    fill(this, 'provider', providers.keys(), (k) => s.providers.get(k)?.size ?? 0);
  },
});

const queues = new SeriesReaper((queue) => {
  for (const k of KINDS) byQueue[k].remove({ queue });
  scheduledCount.remove({ queue });
  scheduledOldest.remove({ queue });
});
const services = new SeriesReaper((service) => {
  for (const k of KINDS) byService[k].remove({ service });
  readyCount.remove({ service });
  connectionCount.remove({ service });
});
const providers = new SeriesReaper((provider) => {
  for (const k of KINDS) byProvider[k].remove({ provider });
  connectionsByProvider.remove({ provider });
  readyByProvider.remove({ provider });
});
const sources = new SeriesReaper((key) => {
  const [provider, source, pool] = JSON.parse(key) as [string, string, string];
  for (const k of KINDS) byProviderSource[k].remove({ provider, source, pool });
});

interface Scan {
  at: number;
  scheduled: Map<string, { count: number; oldest: number }>;
  ready: Map<string, { size: number; connections: number }>;
  providers: Map<string, { size: number; connections: number }>;
}
let last: Scan | undefined;

/**
 * Reads the live queue managers once per scrape (the gauges' collect calls share it) and
 * reaps what has been idle past its horizon.
 */
function scan(force = false): Scan {
  const now = Date.now();
  if (!force && last && now - last.at < 200) return last;
  const s: Scan = { at: now, scheduled: new Map(), ready: new Map(), providers: new Map() };
  for (const v of views) {
    for (const j of v.scheduledJobs()) {
      const q = s.scheduled.get(j.queue);
      if (q) {
        q.count++;
        if (j.receivedAt < q.oldest) q.oldest = j.receivedAt;
      } else s.scheduled.set(j.queue, { count: 1, oldest: j.receivedAt });
    }
    for (const rq of v.readyQueues()) {
      add(s.ready, rq.name, rq);
      add(s.providers, rq.provider, rq);
    }
  }
  const dflt = defaultReap();
  for (const q of s.scheduled.keys()) queues.touch(q, queueReap(q), now);
  for (const r of s.ready.keys()) services.touch(r, dflt, now);
  for (const p of s.providers.keys()) providers.touch(p, dflt, now);
  queues.reap(new Set(s.scheduled.keys()), now);
  services.reap(new Set(s.ready.keys()), now);
  providers.reap(new Set(s.providers.keys()), now);
  // a source series lives while its provider does, or while it counts
  const liveSources = new Set<string>();
  for (const k of sources.keys()) if (s.providers.has((JSON.parse(k) as string[])[0]!)) liveSources.add(k);
  sources.reap(liveSources, now);
  last = s;
  return s;
}

function add(m: Map<string, { size: number; connections: number }>, key: string, rq: ReadyQueueMetrics): void {
  const e = m.get(key);
  if (e) {
    e.size += rq.size;
    e.connections += rq.connections;
  } else m.set(key, { size: rq.size, connections: rq.connections });
}

/** Sets a gauge for every tracked key (0 for one idle but not reaped yet). */
function fill<L extends string>(g: Gauge<L>, label: L, keys: Iterable<string>, value: (key: string) => number): void {
  g.reset();
  for (const k of keys) g.set({ [label]: k } as Record<L, string>, value(k));
}

new Gauge({
  name: 'kumo_ts_scheduled_count_total',
  help: 'Messages in all scheduled queues',
  registers,
  collect() {
    let n = 0;
    for (const q of scan().scheduled.values()) n += q.count;
    this.set(n);
  },
});
new Gauge({
  name: 'kumo_ts_scheduled_queue_count',
  help: 'Scheduled queues tracked (with messages, or empty for less than their reap_interval)',
  registers,
  collect() {
    scan();
    this.set(queues.size);
  },
});

const KIND_OF: Readonly<Record<string, Kind>> = { Delivery: 'delivered', TransientFailure: 'transfail', Bounce: 'fail' };

/**
 * Counts one recipient's outcome record (Delivery, TransientFailure, Bounce; other types are
 * not delivery attempts) under its scheduled queue, ready queue, provider and source.
 */
export function countOutcome(type: string, ctx: OutcomeLabels, receivedAt: number, now = Date.now()): void {
  const kind = KIND_OF[type];
  if (!kind) return;
  const dflt = defaultReap();
  byQueue[kind].inc({ queue: ctx.queue });
  queues.touch(ctx.queue, queueReap(ctx.queue), now);
  const service = ctx.readyQueue ?? (ctx.site === 'maildir' ? 'maildir' : undefined);
  if (service) {
    byService[kind].inc({ service });
    services.touch(service, dflt, now);
  }
  const provider = ctx.provider ?? ctx.site;
  if (provider) {
    byProvider[kind].inc({ provider });
    providers.touch(provider, dflt, now);
    if (ctx.source) {
      const pool = ctx.pool ?? '';
      byProviderSource[kind].inc({ provider, source: ctx.source, pool });
      sources.touch(JSON.stringify([provider, ctx.source, pool]), dflt, now);
    }
  }
  if (kind === 'delivered') messageDeliveryLatency.observe(Math.max(0, (now - receivedAt) / 1000));
}

/** Whether a ready queue's series are kept (not reaped yet); for the older ready-queue gauges. */
export function readyQueueTracked(name: string): boolean {
  scan();
  return services.has(name);
}
