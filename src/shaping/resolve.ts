// STUB — the shaping work (issue 5) replaces this with layered resolution.
import type { Snapshot } from '../config/snapshot.js';
import { DEFAULT_SHAPING } from './types.js';
import type { EffectiveShaping, ShapingQuery } from './types.js';

/** The effective shaping for a destination path, from the snapshot's compiled shaping layers. */
export function resolveShaping(_snapshot: Snapshot, _q: ShapingQuery): EffectiveShaping {
  return DEFAULT_SHAPING;
}
