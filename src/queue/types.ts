/* c8 ignore start -- types only: tsc emits no code for this file, so --all counts every line as unrun */
import type { SpoolMeta } from '../spool/types.js';

/**
 * How reception hands a durably spooled message to the queue manager. Called after the
 * spool write succeeded (and at start for every message found in the spool).
 */
export interface QueueIntake {
  /** `reason`: KumoMTA's insert reason, named in Delayed records ('Enumerated': found in the spool) */
  enqueue(meta: SpoolMeta, reason?: IntakeReason): void;
}

export type IntakeReason = 'Received' | 'Enumerated';
