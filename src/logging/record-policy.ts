import type { RecordType } from './types.js';

/** `[logs.per_record.<Type>]` keys (KumoMTA's per_record), plus `Any` for every type not named. */
export type PerRecordKey = RecordType | 'Any';

export const PER_RECORD_KEYS: readonly PerRecordKey[] = [
  'Reception', 'Delivery', 'TransientFailure', 'Bounce', 'Expiration', 'AdminBounce', 'OOB', 'Feedback', 'Rejection', 'Delayed', 'Any',
];

/** Whether records of `type` are written: its own `enable`, else `Any`'s, else true (KumoMTA's record_is_enabled). */
export function recordEnabled(perRecord: ReadonlyMap<PerRecordKey, boolean> | undefined, type: RecordType): boolean {
  if (!perRecord?.size) return true;
  return perRecord.get(type) ?? perRecord.get('Any') ?? true;
}
