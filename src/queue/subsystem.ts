import { registerSubsystem } from '../server.js';
import type { ServerContext, Subsystem } from '../server.js';
import { createShapingGate } from '../shaping/gate.js';
import type { ShapingGate } from '../shaping/gate.js';
import type { LogWriter } from '../logging/types.js';
import type { Spool } from '../spool/types.js';
import { QueueManager } from './manager.js';

/** The shaping gate of this process: shared through services so that every user sees one. */
function shapingGate(ctx: ServerContext): { gate: ShapingGate; owned: boolean } {
  if (ctx.services.has('shaping-gate')) return { gate: ctx.services.get<ShapingGate>('shaping-gate'), owned: false };
  const gate = createShapingGate(ctx.store, ctx.log.child({ subsystem: 'shaping' }));
  ctx.services.provide('shaping-gate', gate);
  return { gate, owned: true };
}

/**
 * Scheduled queues, ready queues and delivery. Provides 'intake' (QueueIntake) to reception
 * and, at start, re-queues every message found in the spool (retry state included).
 */
class QueueSubsystem implements Subsystem {
  readonly name = 'queue';
  private manager: QueueManager | undefined;
  private gate: { gate: ShapingGate; owned: boolean } | undefined;

  async start(ctx: ServerContext): Promise<void> {
    const log = ctx.log.child({ subsystem: 'queue' });
    const spool = ctx.services.get<Spool>('spool');
    const records = ctx.services.get<LogWriter>('records');
    this.gate = shapingGate(ctx);
    const manager = new QueueManager({ store: ctx.store, spool, records, gate: this.gate.gate, log });
    this.manager = manager;
    ctx.services.provide('intake', manager);
    ctx.services.provide('queue-manager', manager);
    const t0 = Date.now();
    let n = 0;
    for await (const meta of spool.scan()) {
      manager.enqueue(meta);
      n++;
    }
    log.info('queue: spool scanned', { messages: n, ms: Date.now() - t0 });
  }

  apply(): void {
    // decisions read the current snapshot; give ready queues a chance to use new limits now
    for (const rq of this.manager?.readyQueues().values() ?? []) rq.kick();
  }

  async stop(deadlineMs: number): Promise<void> {
    if (!this.manager) return;
    await this.manager.stop(deadlineMs);
    this.manager.log.info('queue: stopped', { ...this.manager.stats });
    if (this.gate?.owned) await this.gate.gate.close().catch(() => undefined);
  }
}

registerSubsystem(() => new QueueSubsystem());
