import { EventEmitter } from 'node:events';
import type { ConfigIssue } from './issues.js';
import type { Snapshot } from './snapshot.js';

export interface ConfigFailure {
  readonly at: number;
  readonly hash: string;
  readonly issues: readonly ConfigIssue[];
}

/** A compile the monitor has begun: its epoch if it succeeds. */
export interface ConfigCompiling {
  readonly epoch: number;
}

/**
 * Holds the current snapshot. `current` is the only way subsystems read config; `swap` is
 * atomic (one assignment) and emits `snapshot` so that listeners and pools can reconcile.
 * The last failed compile stays visible (`lastFailure`) until a good config replaces it.
 * `compiling` announces a compile in progress (no snapshot yet).
 */
export class ConfigStore extends EventEmitter<{ snapshot: [Snapshot, Snapshot | undefined]; failure: [ConfigFailure]; compiling: [ConfigCompiling] }> {
  private snap: Snapshot | undefined;
  private failure: ConfigFailure | undefined;
  /** count of rejected configs since start (for metrics) */
  failures = 0;

  get current(): Snapshot {
    if (!this.snap) throw new Error('no config snapshot loaded yet');
    return this.snap;
  }

  get loaded(): boolean {
    return this.snap !== undefined;
  }

  get lastFailure(): ConfigFailure | undefined {
    return this.failure;
  }

  swap(next: Snapshot): void {
    const prev = this.snap;
    this.snap = next;
    this.failure = undefined;
    this.emit('snapshot', next, prev);
  }

  /**
   * The monitor saw the files change and starts compiling them as `epoch`: processes that
   * compile the same files themselves (reception workers) may start now, in parallel, and
   * swap when the epoch comes. Nothing changes until `swap`.
   */
  compiling(c: ConfigCompiling): void {
    this.emit('compiling', c);
  }

  reject(failure: ConfigFailure): void {
    this.failure = failure;
    this.failures++;
    this.emit('failure', failure);
  }
}
