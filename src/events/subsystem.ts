import { join } from 'node:path';
import type { Snapshot } from '../config/snapshot.js';
import type { ConfigStore } from '../config/store.js';
import type { Logger } from '../logging/logger.js';
import type { RecordTap, RecordWriter } from '../logging/record-writer.js';
import type { LogRecord } from '../logging/types.js';
import type { RuntimeContext, Subsystem } from '../runtime/subsystem.js';
import { EventStore } from './event-store.js';
import { hookQueueName } from './hook-config.js';
import type { LogHookSettings } from './hook-config.js';
import { HookQueue } from './hook-queue.js';
import { liveHookQueues } from './metrics.js';
import { hookWants } from './payload.js';
import type { HookSender } from './sender.js';
import { WebhookSender } from './webhook-sender.js';
import { AmqpSender } from './amqp-sender.js';

export interface HookSubsystemDeps {
  /** the mail spool's directory: the event queue lives in `<spool>/hooks`, under the spool's lock */
  readonly spoolPath: string;
  readonly records: RecordWriter;
  /** replaces the protocol clients (never needed outside tests of the queue itself) */
  readonly makeSender?: (s: LogHookSettings) => HookSender;
}

export function defaultSender(s: LogHookSettings, log?: Logger): HookSender {
  return s.kind === 'webhook' ? new WebhookSender(s) : new AmqpSender(s, log);
}

/**
 * 'hooks': the log hooks (`[log_hook.NAME]`, DESIGN §5/§8). Taps the record writer: every
 * record a hook wants is written to the durable event queue in the same turn, and the
 * writer's durable barrier (which the mail queue awaits before it removes a delivered
 * message) waits for it. Each hook has its own queue `hook:NAME`, recovered from the store at
 * start; hooks are added, changed and removed live with the config epoch. Starts after the
 * storage and before the mail queue, stops after it.
 */
export class HookSubsystem implements Subsystem {
  readonly name = 'hooks';
  private store: EventStore | undefined;
  private cfg: ConfigStore | undefined;
  private log: Logger | undefined;
  private readonly hooks = new Map<string, HookQueue>();
  private droppedAfterStop = 0;

  constructor(private readonly deps: HookSubsystemDeps) {}

  private readonly view = () => [...this.hooks.values()].map((q) => q.view());

  /** What the queue summary and the metrics show of each hook queue. */
  views(): ReturnType<HookQueue['view']>[] {
    return this.view();
  }

  async start(ctx: RuntimeContext): Promise<void> {
    this.cfg = ctx.store;
    this.log = ctx.log.child({ subsystem: 'hooks' });
    const store = EventStore.open(join(this.deps.spoolPath, 'hooks'), this.log, ctx.store.current.main.spool.groupCommitWindowMs);
    this.store = store;
    const configured = ctx.store.current.main.logHooks;
    let recovered = 0;
    for (const [name, seqs] of store.scan()) {
      recovered += seqs.length;
      if (!configured.has(name)) this.log.warn(`${hookQueueName(name)}: ${seqs.length} queued events of a hook that is not configured stay in the spool until it is again`, { hook: name, events: seqs.length });
      this.queue(name).push(...seqs);
    }
    for (const name of configured.keys()) this.queue(name);
    this.deps.records.addTap(this.tap);
    liveHookQueues.add(this.view);
    this.log.info('hooks: started', { hooks: [...configured.keys()], recovered_events: recovered });
  }

  apply(next: Snapshot, prev: Snapshot | undefined): void {
    const now = next.main.logHooks;
    for (const name of now.keys()) this.queue(name).kick();
    for (const name of prev?.main.logHooks.keys() ?? []) {
      if (now.has(name)) continue;
      const q = this.hooks.get(name);
      this.log?.warn(`${hookQueueName(name)}: hook removed from the config; its ${q?.backlog ?? 0} queued events stay in the spool`, { hook: name });
      void q?.retire(Date.now() + 10_000);
    }
  }

  async stop(deadlineMs: number): Promise<void> {
    this.deps.records.removeTap(this.tap);
    liveHookQueues.delete(this.view);
    await Promise.all([...this.hooks.values()].map((q) => q.stop(deadlineMs - 500)));
    for (const q of this.hooks.values()) this.log?.info(`${hookQueueName(q.name)}: stopped`, { hook: q.name, backlog: q.backlog, ...q.stats });
    await this.store?.close();
  }

  private queue(name: string): HookQueue {
    let q = this.hooks.get(name);
    if (!q) {
      const cfg = this.cfg!;
      q = new HookQueue({
        name,
        store: this.store!,
        settings: () => cfg.current.main.logHooks.get(name),
        makeSender: this.deps.makeSender ?? ((s) => defaultSender(s, this.log)),
        log: this.log!,
      });
      this.hooks.set(name, q);
    }
    return q;
  }

  /**
   * Records a reception worker wrote (their JSON lines, `[server] workers` > 1): queued exactly
   * as the owner's own records (same filters, same `hook:NAME` queues); resolves once they are
   * on disk, which the worker's 250 waits for.
   */
  acceptForwarded(lines: readonly string[]): Promise<void> {
    if (!this.store) return Promise.reject(new Error('the hook event queue is not open'));
    for (const json of lines) {
      let record: LogRecord;
      try {
        record = JSON.parse(json) as LogRecord;
      } catch (e) {
        this.log?.error('a forwarded record is not JSON; not queued', { error: String(e), line: json.slice(0, 200) });
        continue;
      }
      this.tap.accept(record, json);
    }
    return this.store.durable();
  }

  private readonly tap: RecordTap = {
    accept: (record: LogRecord, json: string) => {
      const store = this.store;
      if (!store || !this.cfg) return;
      const hooks = this.cfg.current.main.logHooks;
      if (!hooks.size) return;
      const now = Date.now();
      for (const h of hooks.values()) {
        if (!hookWants(h, record)) continue;
        let added: { seq: number; written: Promise<void> };
        try {
          added = store.add(h.name, json, now);
        } catch (e) {
          if (this.droppedAfterStop++ === 0) this.log?.error('a record came after the hook queue closed; not queued', { hook: h.name, id: record.id, error: String(e) });
          continue;
        }
        const q = this.queue(h.name);
        // sent only once on disk: the receiver never sees an event a crash could lose
        added.written.then(() => q.push(added.seq), () => undefined);
      }
    },
    durable: () => this.store?.durable() ?? Promise.resolve(),
  };
}
