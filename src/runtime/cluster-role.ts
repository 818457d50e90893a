import cluster from 'node:cluster';

/** The environment a worker is forked with (owner-hub.ts). */
export const WORKER_ID_ENV = 'KUMO_TS_WORKER_ID';
export const WORKER_EPOCH_ENV = 'KUMO_TS_WORKER_EPOCH';

/**
 * A forked reception worker knows itself from its environment (id 1..N, stable across its
 * replacements; the owner's live epoch when it was forked). Undefined in the owner or in the
 * single process of `workers = 1`.
 */
export function workerRole(): { readonly id: number; readonly epoch: number } | undefined {
  if (!cluster.isWorker) return undefined;
  const id = Number(process.env[WORKER_ID_ENV]);
  if (!Number.isInteger(id) || id < 1) throw new Error(`cluster worker without a valid ${WORKER_ID_ENV}`);
  return { id, epoch: Number(process.env[WORKER_EPOCH_ENV]) || 1 };
}

/** The tag of a worker's records files and log lines. */
export function workerTag(id: number): string {
  return `w${id}`;
}
