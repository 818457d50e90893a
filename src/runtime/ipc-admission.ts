import type { IpSlot, SharedIpLimit } from '../smtp/ip-connections.js';
import { IpConnections } from '../smtp/ip-connections.js';
import type { OwnerToWorker, WorkerToOwner } from './ipc-messages.js';

/**
 * A worker's side of the node-wide max_connections_per_ip: each new connection asks the owner
 * (one IPC round trip) and says when it closed. An owner that does not answer (it is gone:
 * the worker exits on disconnect anyway) is not waited on for ever: the connection is admitted.
 */
export class IpcIpLimit implements SharedIpLimit {
  private next = 1;
  private readonly waiting = new Map<number, (ok: boolean, key: string) => void>();

  constructor(private readonly send: (m: WorkerToOwner) => void) {}

  acquire(listener: string, ip: string, max: number): Promise<IpSlot> {
    const req = this.next++;
    return new Promise((resolve) => {
      const t = setTimeout(() => answer(true, ip), 5_000);
      const answer = (ok: boolean, key: string) => {
        clearTimeout(t);
        this.waiting.delete(req);
        let released = false;
        resolve(ok ? { key, release: () => {
          if (released) return;
          released = true;
          this.send({ type: 'release', req });
        } } : { key });
      };
      this.waiting.set(req, answer);
      this.send({ type: 'admit', req, listener, ip, max });
    });
  }

  /** the owner's answer */
  onAdmitted(m: Extract<OwnerToWorker, { type: 'admitted' }>): void {
    this.waiting.get(m.req)?.(m.ok, m.key);
  }
}

/** The owner's counts: one IpConnections per listener name, and per worker what it holds (released when it dies). */
export class OwnerIpCounts {
  private readonly byListener = new Map<string, IpConnections>();
  private readonly held = new Map<number, Map<number, () => void>>();

  admit(worker: number, m: Extract<WorkerToOwner, { type: 'admit' }>): { ok: boolean; key: string } {
    let c = this.byListener.get(m.listener);
    if (!c) this.byListener.set(m.listener, (c = new IpConnections()));
    const slot = c.acquire(m.ip, m.max);
    if (!slot.release) return { ok: false, key: slot.key };
    let mine = this.held.get(worker);
    if (!mine) this.held.set(worker, (mine = new Map()));
    mine.set(m.req, slot.release);
    return { ok: true, key: slot.key };
  }

  release(worker: number, req: number): void {
    const mine = this.held.get(worker);
    mine?.get(req)?.();
    mine?.delete(req);
  }

  /** a worker died: its connections died with it */
  releaseAll(worker: number): void {
    for (const r of this.held.get(worker)?.values() ?? []) r();
    this.held.delete(worker);
  }
}
