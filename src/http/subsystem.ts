import type { RuntimeContext, Subsystem } from '../runtime/subsystem.js';
import type { LogWriter } from '../logging/types.js';
import type { QueueManager } from '../queue/manager.js';
import type { ReceptionDeps } from '../smtp/reception.js';
import type { Spool } from '../spool/types.js';
import type { Snapshot } from '../config/snapshot.js';
import { TemplateSandbox } from '../inject/render-sandbox.js';
import type { ApiDeps } from './api-deps.js';
import { HttpListener } from './listener.js';
import { registerConfigMetrics } from './metrics.js';

/**
 * The HTTP API: one listener for `[http]` ("default") and one per `[http.listener.NAME]`, each
 * a separate fastify app with the same routes (routes.ts), reconciled with every new snapshot:
 * new listeners start, removed or disabled ones stop, changed ones rebind or reload their
 * certificates and credentials, and the others are not touched. Loopback-only by default:
 * peers outside `trusted_hosts` must authenticate (auth.ts); browser requests (DNS rebinding,
 * cross-site forms) are refused by browser-guard.ts. A listener that cannot bind does not stop
 * the process: it is logged, exported as kumo_ts_http_listener_up 0 and retried at the next
 * config change.
 */
export interface HttpSubsystemDeps {
  readonly spool: Spool;
  readonly records: LogWriter;
  readonly queue: QueueManager;
  /** the reception path shared with SMTP (HTTP inject) */
  readonly reception: ReceptionDeps;
  /** durable admin rules: bounces, suspensions (src/admin/) */
  readonly admin: import('../admin/admin-state.js').AdminState;
  /** the log hook queues, shown in the queue summary */
  readonly hooks?: { views(): import('../events/metrics.js').HookQueueView[] };
  /** the reception workers' state, for the config status */
  readonly workers?: () => readonly import('./api-deps.js').WorkerStatus[];
}

export class HttpSubsystem implements Subsystem {
  readonly name = 'http';
  private readonly live = new Map<string, HttpListener>();
  private ctx!: RuntimeContext;
  private api!: ApiDeps;
  /** reconciliations run one at a time, in snapshot order */
  private chain: Promise<void> = Promise.resolve();
  private stopped = false;
  /** inject templates are rendered there, started at the first request that has one */
  private sandbox?: TemplateSandbox;

  constructor(readonly deps: HttpSubsystemDeps) {}

  async start(ctx: RuntimeContext): Promise<void> {
    this.ctx = ctx;
    const log = ctx.log.child({ subsystem: 'http' });
    this.sandbox = new TemplateSandbox(log);
    this.api = { ...this.deps, store: ctx.store, monitor: ctx.monitor, log, renderer: this.sandbox };
    registerConfigMetrics(ctx.store);
    await this.apply(ctx.store.current);
  }

  /** The running listeners by name (tests, admin). */
  get listeners(): ReadonlyMap<string, HttpListener> {
    return this.live;
  }

  apply(next: Snapshot): Promise<void> {
    const run = this.chain.then(() => this.reconcile(next));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async reconcile(next: Snapshot): Promise<void> {
    if (this.stopped) return;
    const want = new Map([...next.main.http.listeners].filter(([, s]) => s.enabled));
    // removed first, so that an address moving from one listener to another is free
    for (const [name, l] of this.live) {
      if (want.has(name)) continue;
      this.live.delete(name);
      await l.close(Date.now() + 5_000);
    }
    await Promise.all([...want].map(async ([name, s]) => {
      const l = this.live.get(name);
      if (l) return l.update(s);
      const fresh = new HttpListener(s, this.api, this.ctx.store, this.ctx.log);
      this.live.set(name, fresh);
      await fresh.start();
    }));
  }

  async stop(deadlineMs: number): Promise<void> {
    this.stopped = true;
    await this.chain;
    await Promise.all([...this.live.values()].map((l) => l.close(deadlineMs)));
    this.live.clear();
    this.sandbox?.stop();
  }
}
