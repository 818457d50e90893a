import { connect, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';

/**
 * A TCP relay in front of a sink that counts the connections it carries: how many are open
 * right now and the most that were ever open at once. Several proxies may share one `Counter`
 * to measure a limit shared by several sites.
 */
export class Counter {
  open = 0;
  max = 0;
  total = 0;
  up(): void {
    this.open++;
    this.total++;
    if (this.open > this.max) this.max = this.open;
  }
  down(): void {
    this.open--;
  }
}

export interface CountingProxy {
  readonly host: string;
  readonly port: number;
  readonly counter: Counter;
  close(): Promise<void>;
}

export async function countingProxy(host: string, port: number, target: { host: string; port: number }, counter = new Counter()): Promise<CountingProxy> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    counter.up();
    const upstream = connect(target.port, target.host);
    sockets.add(client).add(upstream);
    // A connection stops counting as soon as either side has finished it (its FIN reaches the
    // relay): causally that is before kumo-ts can give its lease back and connect again.
    // Counting until 'close' would let the relay's own event order make up overlaps.
    let counted = true;
    const finished = () => {
      if (!counted) return;
      counted = false;
      counter.down();
    };
    const end = () => {
      finished();
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.pipe(upstream).pipe(client);
    for (const s of [client, upstream]) {
      s.on('end', finished);
      s.on('close', end);
      s.on('error', end);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    host,
    port: (server.address() as { port: number }).port,
    counter,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
