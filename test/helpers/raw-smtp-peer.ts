// A minimal receiving SMTP server written on node:net for tests that watch the connection
// itself (when it opens, whether QUIT came, when it closes): it accepts every envelope and
// message, and records each connection's life.
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { EventEmitter } from 'node:events';

export interface PeerConnection {
  readonly openedAt: number;
  closedAt?: number;
  quit: boolean;
  messages: string[];
}

export class RawSmtpPeer extends EventEmitter {
  readonly connections: PeerConnection[] = [];
  private readonly sockets = new Set<Socket>();
  private constructor(private readonly server: Server, readonly host: string, readonly port: number) {
    super();
  }

  static async start(host = '127.0.0.1', port = 0): Promise<RawSmtpPeer> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    const peer = new RawSmtpPeer(server, host, (server.address() as { port: number }).port);
    server.on('connection', (s) => peer.accept(s));
    return peer;
  }

  /** Connections open now. */
  get open(): number {
    return this.connections.filter((c) => c.closedAt === undefined).length;
  }

  get messages(): string[] {
    return this.connections.flatMap((c) => c.messages);
  }

  private accept(s: Socket): void {
    const c: PeerConnection = { openedAt: Date.now(), quit: false, messages: [] };
    this.connections.push(c);
    this.sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => {
      c.closedAt = Date.now();
      this.sockets.delete(s);
      this.emit('close', c);
    });
    let buf = '';
    let data: string[] | undefined;
    s.write('220 raw.peer.test ESMTP\r\n');
    s.on('data', (d) => {
      buf += d.toString('latin1');
      let i;
      while ((i = buf.indexOf('\r\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (data) {
          if (line === '.') {
            c.messages.push(data.join('\r\n'));
            data = undefined;
            s.write('250 2.0.0 ok\r\n');
            this.emit('message', c);
          } else data.push(line.startsWith('..') ? line.slice(1) : line);
          continue;
        }
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO') s.write('250-raw.peer.test\r\n250-PIPELINING\r\n250 8BITMIME\r\n');
        else if (verb === 'HELO') s.write('250 raw.peer.test\r\n');
        else if (verb === 'DATA') {
          data = [];
          s.write('354 go ahead\r\n');
        } else if (verb === 'QUIT') {
          c.quit = true;
          s.end('221 2.0.0 bye\r\n');
        } else s.write('250 2.0.0 ok\r\n');
      }
    });
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
