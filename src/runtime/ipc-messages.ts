import type { ProcessMetrics } from '../http/metrics.js';
import type { SpoolMeta } from '../spool/types.js';

/**
 * The messages between the owner (cluster primary) and its reception workers, over the
 * cluster IPC channel (JSON). Bodies never cross it: a worker sends the SpoolMeta of a message
 * it has committed to the shared lmdb spool, the owner reads the body from there.
 */
export type WorkerToOwner =
  /** a message committed to the spool (sent before its 250): the owner schedules it */
  | { readonly type: 'spooled'; readonly meta: SpoolMeta }
  /** the worker's listeners are bound: it serves this epoch */
  | { readonly type: 'ready'; readonly epoch: number; readonly hash: string }
  /** an epoch the owner announced is live in this worker (its own compile's hash) */
  | { readonly type: 'epoch-live'; readonly epoch: number; readonly hash: string }
  /** the worker could not compile the announced epoch: it keeps serving its previous one */
  | { readonly type: 'epoch-refused'; readonly epoch: number; readonly errors: readonly string[] }
  /** may a new connection from `ip` on `listener` be served (node-wide caps)? */
  | { readonly type: 'admit'; readonly req: number; readonly listener: string; readonly ip: string; readonly max: number; readonly maxTotal: number }
  /** AUTH failures of `ip` on `listener` within the window, node-wide; with `failedUser` a new failure first */
  | { readonly type: 'auth-count'; readonly req: number; readonly listener: string; readonly ip: string; readonly windowMs: number; readonly failedUser?: string }
  /** a successful AUTH: that username's failures from `ip` are forgotten */
  | { readonly type: 'auth-ok'; readonly listener: string; readonly ip: string; readonly user: string }
  /** this worker's metrics, for the owner's /metrics */
  | { readonly type: 'metrics'; readonly req: number; readonly metrics: ProcessMetrics }
  /** the connection admitted by `admit` #req has closed */
  | { readonly type: 'release'; readonly req: number }
  /** batch #seq of this worker's records (JSON lines, one event-loop turn) for the owner's log hooks */
  | { readonly type: 'records'; readonly seq: number; readonly lines: readonly string[] };

export type OwnerToWorker =
  /** the owner's config monitor made epoch `epoch` (content hash `hash`) live */
  | { readonly type: 'epoch'; readonly epoch: number; readonly hash: string }
  /** the owner started compiling changed files as `epoch`: the worker may compile them now, and swaps on 'epoch' */
  | { readonly type: 'prepare'; readonly epoch: number }
  /** stop accepting, finish the messages in DATA, exit before `deadline` (epoch ms) */
  | { readonly type: 'drain'; readonly deadline: number }
  /** send your metrics (`metrics` #req) */
  | { readonly type: 'metrics-req'; readonly req: number }
  /** the answer to an `admit` (`overTotal`: refused for the listener's max_connections) */
  | { readonly type: 'admitted'; readonly req: number; readonly ok: boolean; readonly key: string; readonly overTotal?: boolean }
  /** the answer to an `auth-count` */
  | { readonly type: 'auth-counted'; readonly req: number; readonly count: number }
  /** every `records` batch up to #seq is in the hooks' event store on disk (`error`: it could not be queued) */
  | { readonly type: 'records-durable'; readonly seq: number; readonly error?: string };

const WORKER_TYPES = new Set(['spooled', 'ready', 'epoch-live', 'epoch-refused', 'admit', 'release', 'auth-count', 'auth-ok', 'metrics', 'records']);
const OWNER_TYPES = new Set(['epoch', 'prepare', 'drain', 'admitted', 'auth-counted', 'metrics-req', 'records-durable']);

function typed(m: unknown, types: Set<string>): boolean {
  return typeof m === 'object' && m !== null && types.has((m as { type?: unknown }).type as string);
}

/** Narrows what a worker sent (anything else on the channel, e.g. prom-client's, is not ours). */
export function isWorkerMessage(m: unknown): m is WorkerToOwner {
  return typed(m, WORKER_TYPES);
}

export function isOwnerMessage(m: unknown): m is OwnerToWorker {
  return typed(m, OWNER_TYPES);
}
