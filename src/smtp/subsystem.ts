import { Reporter } from '../config/report.js';
import type { Snapshot } from '../config/snapshot.js';
import { createResolver } from '../dns/create.js';
import type { Resolver } from '../dns/resolver.js';
import type { LogWriter } from '../logging/types.js';
import type { RecordJournal } from '../logging/record-journal.js';
import type { QueueIntake } from '../queue/types.js';
import type { RuntimeContext, Subsystem } from '../runtime/subsystem.js';
import type { Spool } from '../spool/types.js';
import type { SharedIpLimit } from './ip-connections.js';
import type { SharedAuthFailures } from '../auth/failure-limit.js';
import type { ReceptionDeps } from './reception.js';
import { SmtpService } from './service.js';

export interface SmtpSubsystemDeps {
  readonly spool: Spool;
  readonly records?: LogWriter;
  /** Reception records stored with the message's spool write (the same writer as `records`) */
  readonly journal?: RecordJournal;
  readonly intake?: QueueIntake;
  /**
   * Run the SMTP listeners here (default true). The owner of a node with reception workers
   * keeps only the reception path (HTTP inject, TLS-RPT mail): its workers listen.
   */
  readonly listen?: boolean;
  /** max_connections_per_ip counted node-wide (a reception worker asks its owner) */
  readonly sharedIpLimit?: SharedIpLimit;
  /** AUTH failures counted node-wide (a reception worker asks its owner) */
  readonly sharedAuthFailures?: SharedAuthFailures;
}

/**
 * 'smtp': the inbound listeners. Starts after storage and the queue and stops first, so
 * nothing is accepted that cannot be stored. `reception` is the same path for every other
 * way in (HTTP inject).
 */
export class SmtpSubsystem implements Subsystem {
  readonly name = 'smtp';
  service: SmtpService | undefined;
  private receptionDeps: ReceptionDeps | undefined;

  constructor(private readonly deps: SmtpSubsystemDeps) {}

  /** what reception needs (store, spool, records, intake, log); only after start */
  get reception(): ReceptionDeps {
    if (!this.receptionDeps) throw new Error('smtp: reception used before start');
    return this.receptionDeps;
  }

  async start(ctx: Pick<RuntimeContext, 'store' | 'log'>): Promise<void> {
    const { store } = ctx;
    const log = ctx.log.child({ subsystem: 'smtp' });
    let own: { epoch: number; resolver: Resolver } | undefined;
    const resolver = (): Resolver => {
      // the configured resolver, never cached across epochs
      const snap = store.current;
      if (own?.epoch !== snap.epoch) own = { epoch: snap.epoch, resolver: createResolver(snap.main.dns, new Reporter()).resolver };
      return own.resolver;
    };
    const intake = this.deps.intake;
    this.receptionDeps = { store, spool: this.deps.spool, records: this.deps.records, journal: this.deps.journal, intake: () => intake, log };
    if (this.deps.listen === false) return;
    this.service = new SmtpService({ store, log, resolver, reception: this.receptionDeps, sharedIpLimit: this.deps.sharedIpLimit, sharedAuthFailures: this.deps.sharedAuthFailures });
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
