import type { ConfigMonitor } from '../config/monitor.js';
import type { ConfigStore } from '../config/store.js';
import type { Snapshot } from '../config/snapshot.js';
import type { Logger } from '../logging/logger.js';

/**
 * A part of the running server. Every subsystem is built by the composition root
 * (src/runtime/compose.ts) with the objects it depends on, reads the current snapshot for each
 * decision, and may react to a new one (`apply`) to reconcile resources such as listening
 * sockets or connection pools.
 */
export interface Subsystem {
  readonly name: string;
  start(ctx: RuntimeContext): Promise<void>;
  apply?(next: Snapshot, prev: Snapshot | undefined): Promise<void> | void;
  /** Stop intake, finish or hand back in-flight work, flush; must finish within the deadline. */
  stop(deadlineMs: number): Promise<void>;
}

/** What every subsystem gets at start: the config and the process log. Nothing else is shared by name. */
export interface RuntimeContext {
  readonly store: ConfigStore;
  readonly log: Logger;
  readonly monitor: ConfigMonitor;
}

/** What the subsystems of a reception worker get (it runs no config monitor of its own). */
export type ReceptionContext = Pick<RuntimeContext, 'store' | 'log'>;

/** A subsystem could not start; the process must exit non-zero (`serve` prints the reason). */
export class StartupError extends Error {
  readonly code = 'STARTUP_FAILED';
  constructor(readonly subsystem: string, cause: Error) {
    super(cause.message, { cause });
    this.name = 'StartupError';
  }
}
