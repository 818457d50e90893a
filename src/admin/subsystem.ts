import type { RuntimeContext, Subsystem } from '../runtime/subsystem.js';
import { AdminState } from './admin-state.js';

/**
 * The durable admin state (bounce rules, suspensions), kept in the spool directory. Starts
 * after storage and before the queue: the spool scan at start already obeys the saved rules.
 */
export class AdminSubsystem implements Subsystem {
  readonly name = 'admin';
  private started: AdminState | undefined;

  /** `dir`: the open spool's directory */
  constructor(private readonly deps: { readonly dir: string }) {}

  get state(): AdminState {
    if (!this.started) throw new Error('admin: state used before start');
    return this.started;
  }

  async start(ctx: RuntimeContext): Promise<void> {
    const state = new AdminState({ dir: this.deps.dir, log: ctx.log.child({ subsystem: 'admin' }) });
    await state.start();
    this.started = state;
  }

  async stop(): Promise<void> {
    await this.started?.stop();
  }
}
