import type { AddressInfo, Socket } from 'node:net';
import { SMTPServer } from 'smtp-server';
import type { SMTPServerDataStream, SMTPServerOptions, SMTPServerSession } from 'smtp-server';
import { deliverToMaildir } from '../delivery/maildir.js';
import { generateSelfSigned } from '../tls/self-signed.js';
import '../smtp/quoted-local-part.js';

export interface SinkOptions {
  host?: string;
  /** 0 = any free port */
  port?: number;
  /** deliver accepted messages into this maildir (tmp → new) */
  maildir?: string;
  /** offer STARTTLS (with this certificate and key, PEM; a fresh self-signed one for `name` if absent) */
  starttls?: boolean;
  cert?: string | Buffer;
  key?: string | Buffer;
  /** banner host name */
  name?: string;
  /** called for every accepted message (tests); keeps the data in RAM only when given */
  onMessage?: (m: SinkMessage) => void;
  /** decides per recipient instead of the local-part rules (tests: fail once, then accept) */
  verdict?: (address: string) => Verdict;
  /** answer the end of DATA this much later (a slow receiver, for shutdown tests) */
  dataDelayMs?: number;
}

export type Verdict = { kind: 'accept' } | { kind: 'disconnect' } | { kind: 'reject'; code: number; text: string };

export interface SinkMessage {
  readonly from: string;
  /** accepted recipients */
  readonly to: string[];
  readonly data: Buffer;
  readonly remoteAddress: string;
  /** the client's EHLO/HELO name */
  readonly helo: string;
  readonly secure: boolean;
}

export interface SinkStats {
  connections: number;
  messages: number;
  recipients: number;
  bytes: number;
  /** rejected recipients by reply code */
  rejected: Record<string, number>;
  disconnects: number;
}

export interface Sink {
  readonly host: string;
  readonly port: number;
  readonly stats: SinkStats;
  close(): Promise<void>;
}

/**
 * What the local part asks for: `tempfail` → 451, `permfail` → 550, `450-some-text` /
 * `550-some-text` → that code and text, `disconnect` → drop the connection; else accept.
 * A `+suffix` is ignored (`tempfail+1@x` is a tempfail), so tests can make addresses unique.
 */
export function sinkVerdict(address: string): Verdict {
  const at = address.lastIndexOf('@');
  const local = (at >= 0 ? address.slice(0, at) : address).toLowerCase().replace(/\+.*$/, '');
  if (local === 'tempfail') return { kind: 'reject', code: 451, text: '4.3.0 temporary failure requested by the recipient address' };
  if (local === 'permfail') return { kind: 'reject', code: 550, text: '5.1.1 permanent failure requested by the recipient address' };
  if (local === 'disconnect') return { kind: 'disconnect' };
  const m = /^([45]\d\d)-(.+)$/.exec(local);
  if (m) return { kind: 'reject', code: Number(m[1]), text: m[2].replace(/[-_]/g, ' ') };
  return { kind: 'accept' };
}

/** A fast SMTP receiver for tests, labs and benchmarks. */
export async function startSink(opts: SinkOptions = {}): Promise<Sink> {
  const stats: SinkStats = { connections: 0, messages: 0, recipients: 0, bytes: 0, rejected: {}, disconnects: 0 };
  const name = opts.name ?? 'sink.kumo-ts.local';
  // never smtp-server's built-in test certificate: it has expired
  const tls = opts.starttls ? (opts.cert && opts.key ? { cert: opts.cert, key: opts.key } : await generateSelfSigned(name)) : undefined;
  const options: SMTPServerOptions = {
    name,
    banner: 'kumo-ts sink',
    logger: false,
    authOptional: true,
    disabledCommands: opts.starttls ? ['AUTH'] : ['AUTH', 'STARTTLS'],
    hideSTARTTLS: !opts.starttls,
    size: 0,
    maxClients: 10_000,
    socketTimeout: 120_000,
    closeTimeout: 1_000,
    ...(tls ? { cert: tls.cert, key: tls.key } : {}),
    onConnect(_session, cb) {
      stats.connections++;
      cb();
    },
    onRcptTo(address, session, cb) {
      const v = (opts.verdict ?? sinkVerdict)(address.address);
      if (v.kind === 'accept') return cb();
      if (v.kind === 'disconnect') {
        stats.disconnects++;
        socketOf(server, session)?.destroy();
        return;
      }
      stats.rejected[v.code] = (stats.rejected[v.code] ?? 0) + 1;
      const err = new Error(v.text) as Error & { responseCode: number };
      err.responseCode = v.code;
      cb(err);
    },
    onData(stream: SMTPServerDataStream, session: SMTPServerSession, cb) {
      const keep = !!(opts.maildir || opts.onMessage);
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('data', (c: Buffer) => {
        size += c.length;
        if (keep) chunks.push(c);
      });
      stream.on('end', () => {
        const to = session.envelope.rcptTo.map((r) => r.address);
        const finish = (err?: Error) => {
          if (err) return cb(Object.assign(new Error(`4.3.0 sink could not store the message: ${err.message}`), { responseCode: 451 }));
          stats.messages++;
          stats.recipients += to.length;
          stats.bytes += size;
          if (opts.onMessage) {
            const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
            opts.onMessage({ from, to, data, remoteAddress: session.remoteAddress, helo: session.hostNameAppearsAs, secure: !!session.secure });
          }
          cb(null, 'OK: queued by kumo-ts sink');
        };
        const data = keep ? Buffer.concat(chunks, size) : Buffer.alloc(0);
        const store = () => {
          if (opts.maildir) deliverToMaildir(opts.maildir, data, { fsync: false }).then(() => finish(), finish);
          else finish();
        };
        if (opts.dataDelayMs) setTimeout(store, opts.dataDelayMs);
        else store();
      });
    },
  };
  const server = new SMTPServer(options);
  server.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      server.server.off('error', reject);
      resolve();
    });
  });
  const addr = server.server.address() as AddressInfo;
  return {
    host: addr.address,
    port: addr.port,
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // smtp-server waits for clients to leave; drop them so a test or Ctrl-C is quick
        for (const c of (server as unknown as { connections: Set<{ _socket?: Socket }> }).connections) c._socket?.destroy();
      }),
  };
}

function socketOf(server: SMTPServer, session: SMTPServerSession): Socket | undefined {
  const conns = (server as unknown as { connections: Set<{ session?: SMTPServerSession; _socket?: Socket }> }).connections;
  for (const c of conns) if (c.session === session) return c._socket;
  /* c8 ignore start -- guard: a session's connection stays in smtp-server's set while its handlers run */
  return undefined;
}
/* c8 ignore stop */

/** One line summary of the counters. */
export function formatStats(s: SinkStats): string {
  const rej = Object.entries(s.rejected).map(([c, n]) => `${c}×${n}`).join(', ') || 'none';
  return `sink: ${s.messages} messages, ${s.recipients} recipients, ${s.bytes} bytes, ${s.connections} connections; rejected: ${rej}; disconnects: ${s.disconnects}`;
}
