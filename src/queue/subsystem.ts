import type { RuntimeContext, Subsystem } from '../runtime/subsystem.js';
import { createShapingGate } from '../shaping/gate.js';
import type { ShapingGate } from '../shaping/gate.js';
import type { RecordJournal } from '../logging/record-journal.js';
import type { LogWriter } from '../logging/types.js';
import type { Spool } from '../spool/types.js';
import { QueueManager } from './manager.js';
import type { AdminState } from '../admin/admin-state.js';
import type { TlsPolicyEngine } from '../tls-policy/decide.js';

export interface QueueSubsystemDeps {
  readonly spool: Spool;
  readonly records: LogWriter;
  /** outcome records journaled with the spool writes (src/logging/record-journal.ts) */
  readonly journal?: RecordJournal;
  /** a shaping gate shared with another user in this process; the subsystem makes its own when absent */
  readonly gate?: ShapingGate;
  /** admin bounces and suspensions, obeyed from the spool scan on */
  readonly admin?: AdminState;
  /** MTA-STS / DANE decisions with TLS-RPT counting (src/tls-policy/) */
  readonly tlsPolicy?: TlsPolicyEngine;
}

/**
 * Scheduled queues, ready queues and delivery. `manager` is the intake for reception and the
 * handle for the admin API; at start every message found in the spool is re-queued (retry
 * state included).
 */
export class QueueSubsystem implements Subsystem {
  readonly name = 'queue';
  private started: QueueManager | undefined;
  private gate: { gate: ShapingGate; owned: boolean } | undefined;

  constructor(private readonly deps: QueueSubsystemDeps) {}

  /** the queue manager; only after start */
  get manager(): QueueManager {
    if (!this.started) throw new Error('queue: manager used before start');
    return this.started;
  }

  async start(ctx: RuntimeContext): Promise<void> {
    const log = ctx.log.child({ subsystem: 'queue' });
    const { spool, records } = this.deps;
    this.gate = this.deps.gate
      ? { gate: this.deps.gate, owned: false }
      : { gate: createShapingGate(ctx.store, ctx.log.child({ subsystem: 'shaping' })), owned: true };
    const manager = new QueueManager({ store: ctx.store, spool, records, journal: this.deps.journal, gate: this.gate.gate, log, admin: this.deps.admin, tlsPolicy: this.deps.tlsPolicy });
    this.started = manager;
    const t0 = Date.now();
    let n = 0;
    for await (const meta of spool.scan()) {
      manager.enqueue(meta, 'Enumerated');
      n++;
    }
    log.info('queue: spool scanned', { messages: n, ms: Date.now() - t0 });
  }

  apply(): void {
    // decisions read the current snapshot; give ready queues a chance to use new limits now
    for (const rq of this.started?.readyQueues().values() ?? []) rq.kick();
  }

  async stop(deadlineMs: number): Promise<void> {
    if (!this.started) return;
    await this.started.stop(deadlineMs);
    this.started.log.info('queue: stopped', { ...this.started.stats });
    if (this.gate?.owned) await this.gate.gate.close().catch(() => undefined);
  }
}
