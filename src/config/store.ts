import { EventEmitter } from 'node:events';
import type { ConfigIssue } from './issues.js';
import type { Snapshot } from './snapshot.js';

export interface ConfigFailure {
  readonly at: number;
  readonly hash: string;
  readonly issues: readonly ConfigIssue[];
}

/**
 * Holds the current snapshot. `current` is the only way subsystems read config; `swap` is
 * atomic (one assignment) and emits `snapshot` so that listeners and pools can reconcile.
 * The last failed compile stays visible (`lastFailure`) until a good config replaces it.
 */
export class ConfigStore extends EventEmitter<{ snapshot: [Snapshot, Snapshot | undefined]; failure: [ConfigFailure] }> {
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

  reject(failure: ConfigFailure): void {
    this.failure = failure;
    this.failures++;
    this.emit('failure', failure);
  }
}
