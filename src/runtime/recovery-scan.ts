import type { QueueIntake } from '../queue/types.js';
import type { Spool } from '../spool/types.js';

export interface RecoveryDeps {
  readonly spool: Spool;
  /** the queue: `has` is true for a message it holds or is still writing (a removal not yet committed) */
  readonly intake: QueueIntake & { has(id: string): boolean };
}

export interface RecoveryResult {
  /** messages the scan read */
  readonly scanned: number;
  /** messages nobody held, handed to the queue */
  readonly recovered: number;
}

/**
 * Hands the queue every spooled message from `fromId` on that it does not hold: what a dead
 * reception worker committed but never announced. The scan reads one snapshot and yields to
 * the loop as it goes, so meanwhile the queue may deliver and remove a message the snapshot
 * still shows; enqueued from there it would be delivered twice. The scan therefore only
 * collects candidates; they are read again from a fresh snapshot and checked against the queue
 * in one synchronous step, where no removal can slip in between.
 */
export async function recoverSpooled(deps: RecoveryDeps, fromId: string): Promise<RecoveryResult> {
  const candidates: string[] = [];
  let scanned = 0;
  for await (const meta of deps.spool.scan(fromId)) {
    scanned++;
    if (!deps.intake.has(meta.id)) candidates.push(meta.id);
  }
  let recovered = 0;
  for (const meta of deps.spool.current(candidates)) {
    if (deps.intake.has(meta.id)) continue;
    deps.intake.enqueue(meta, 'Enumerated');
    recovered++;
  }
  return { scanned, recovered };
}
