import type { ConnectionCaps, IpSlot, SharedIpLimit } from '../smtp/ip-connections.js';
import { IpConnections } from '../smtp/ip-connections.js';
import type { OwnerToWorker, WorkerToOwner } from './ipc-messages.js';

/**
 * A worker's side of the node-wide max_connections_per_ip and max_connections: each new connection asks the owner
 * (one IPC round trip) and says when it closed. An owner that does not answer (it is gone:
 * the worker exits on disconnect anyway) is not waited on for ever: the connection is admitted.
 */
export class IpcIpLimit implements SharedIpLimit {
  private next = 1;
  private readonly waiting = new Map<number, (ok: boolean, key: string, overTotal?: boolean) => void>();

  constructor(private readonly send: (m: WorkerToOwner) => void) {}

  acquire(listener: string, ip: string, caps: ConnectionCaps): Promise<IpSlot> {
    const req = this.next++;
    return new Promise((resolve) => {
      const t = setTimeout(() => answer(true, ip), 5_000);
      const answer = (ok: boolean, key: string, overTotal?: boolean) => {
        clearTimeout(t);
        this.waiting.delete(req);
        let released = false;
        resolve(ok ? { key, release: () => {
          if (released) return;
          released = true;
          this.send({ type: 'release', req });
        } } : { key, ...(overTotal ? { overTotal } : {}) });
      };
      this.waiting.set(req, answer);
      this.send({ type: 'admit', req, listener, ip, max: caps.perIp, maxTotal: caps.total });
    });
  }

  /** the owner's answer */
  onAdmitted(m: Extract<OwnerToWorker, { type: 'admitted' }>): void {
    this.waiting.get(m.req)?.(m.ok, m.key, m.overTotal);
  }
}

/**
 * The owner's counts: per listener name its open connections in total and per client key, and
 * per worker what it holds (released when it dies).
 */
export class OwnerIpCounts {
  private readonly byListener = new Map<string, { perIp: IpConnections; total: number }>();
  private readonly held = new Map<number, Map<number, () => void>>();

  admit(worker: number, m: Extract<WorkerToOwner, { type: 'admit' }>): { ok: boolean; key: string; overTotal?: boolean } {
    let c = this.byListener.get(m.listener);
    if (!c) this.byListener.set(m.listener, (c = { perIp: new IpConnections(), total: 0 }));
    if (c.total >= m.maxTotal) return { ok: false, key: m.ip, overTotal: true };
    const slot = c.perIp.acquire(m.ip, m.max);
    if (!slot.release) return { ok: false, key: slot.key };
    const listener = c;
    listener.total++;
    const releaseIp = slot.release;
    let mine = this.held.get(worker);
    if (!mine) this.held.set(worker, (mine = new Map()));
    mine.set(m.req, () => {
      releaseIp();
      listener.total--;
    });
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
