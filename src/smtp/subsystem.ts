import { Reporter } from '../config/report.js';
import type { Snapshot } from '../config/snapshot.js';
import { createResolver } from '../dns/create.js';
import type { Resolver } from '../dns/resolver.js';
import type { LogWriter } from '../logging/types.js';
import type { QueueIntake } from '../queue/types.js';
import { registerSubsystem } from '../server.js';
import type { ServerContext, Subsystem } from '../server.js';
import type { Spool } from '../spool/types.js';
import { SmtpService } from './service.js';

/**
 * 'smtp': the inbound listeners. Starts after storage and the queue (it needs 'spool' and
 * 'records'; 'intake' is used when present) and stops first, so nothing is accepted that
 * cannot be stored.
 */
export class SmtpSubsystem implements Subsystem {
  readonly name = 'smtp';
  service: SmtpService | undefined;

  async start(ctx: ServerContext): Promise<void> {
    const { services, store } = ctx;
    const log = ctx.log.child({ subsystem: 'smtp' });
    let own: { epoch: number; resolver: Resolver } | undefined;
    const resolver = (): Resolver | undefined => {
      if (services.has('resolver')) return services.get<() => Resolver>('resolver')();
      // no shared resolver service: build the configured one (never cached across epochs)
      const snap = store.current;
      if (own?.epoch !== snap.epoch) own = { epoch: snap.epoch, resolver: createResolver(snap.main.dns, new Reporter()).resolver };
      return own.resolver;
    };
    this.service = new SmtpService({
      store,
      log,
      resolver,
      reception: {
        store,
        spool: services.get<Spool>('spool'),
        records: services.has('records') ? services.get<LogWriter>('records') : undefined,
        intake: () => (services.has('intake') ? services.get<QueueIntake>('intake') : undefined),
        log,
      },
    });
    // a listener that cannot bind (or load its certificate) now fails the start; later
    // reconciles keep retrying it instead (service.ts)
    await this.service.start(store.current);
  }

  async apply(next: Snapshot): Promise<void> {
    await this.service?.reconcile(next);
  }

  async stop(deadlineMs: number): Promise<void> {
    await this.service?.stop(deadlineMs);
  }
}

registerSubsystem(() => new SmtpSubsystem());
