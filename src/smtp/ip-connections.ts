import { clientKey } from '../net/client-key.js';

/** A connection counted against max_connections_per_ip; `release` is absent when it is over the cap. */
export interface IpSlot {
  readonly key: string;
  readonly release?: () => void;
  /** refused because the listener as a whole is at max_connections (shared counts only) */
  readonly overTotal?: boolean;
}

/** A listener's caps as a shared count applies them. */
export interface ConnectionCaps {
  /** max_connections_per_ip */
  readonly perIp: number;
  /** max_connections, for the whole listener */
  readonly total: number;
}

/**
 * max_connections_per_ip and max_connections counted for the whole node rather than one
 * process: with reception workers the owner holds the counts (src/runtime/ipc-admission.ts).
 */
export interface SharedIpLimit {
  acquire(listener: string, ip: string, caps: ConnectionCaps): Promise<IpSlot>;
}

/**
 * Open connections per client key (IPv4 address, IPv6 /64; see clientKey), for a listener's
 * max_connections_per_ip. `acquire` counts a connection if the key is under the cap; the
 * caller gives it back with the returned release function, once, when the connection closes.
 */
export class IpConnections {
  private readonly open = new Map<string, number>();

  acquire(ip: string, max: number): IpSlot {
    const key = clientKey(ip);
    const n = this.open.get(key) ?? 0;
    if (n >= max) return { key };
    this.open.set(key, n + 1);
    let done = false;
    return {
      key,
      release: () => {
        if (done) return;
        done = true;
        const left = (this.open.get(key) ?? 1) - 1;
        if (left > 0) this.open.set(key, left);
        else this.open.delete(key);
      },
    };
  }

  count(ip: string): number {
    return this.open.get(clientKey(ip)) ?? 0;
  }
}
