// A real webhook receiver for the hook tests: a node http server on loopback that verifies the
// HMAC signature of every request, records each log record it got by id (duplicates counted)
// and can be told to answer with another status.
import { createServer } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { LogRecord } from '../../src/logging/types.js';

export interface Receiver {
  readonly port: number;
  /** every record received, in order (duplicates included) */
  readonly records: LogRecord[];
  /** how often each (type, id, recipient) arrived */
  readonly seen: Map<string, number>;
  /** raw bodies with their signature header, for tamper checks */
  readonly requests: { body: Buffer; signature: string | undefined; auth: string | undefined; contentType: string | undefined }[];
  badSignatures: number;
  /** status to answer (default 200) */
  status: number;
  /** ms before answering */
  delayMs: number;
  listen(): Promise<void>;
  close(): Promise<void>;
  duplicates(): number;
}

/** One event's identity: a message delivered twice has two Delivery records (their times differ). */
export const recordKey = (r: LogRecord) => `${r.type} ${r.id} ${String(r.recipient)} ${r.event_time} ${r.num_attempts}`;

export function verifySignature(secret: string, body: Buffer, header: string | undefined): boolean {
  if (!header?.startsWith('sha256=')) return false;
  const want = Buffer.from(createHmac('sha256', secret).update(body).digest('hex'));
  const got = Buffer.from(header.slice(7));
  return got.length === want.length && timingSafeEqual(got, want);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => resolve(Buffer.concat(parts)));
    req.on('error', reject);
  });
}

/** A receiver for `port` (not listening until `listen()`: a test can start with it down). */
export function webhookReceiver(port: number, opts: { secret?: string; header?: string } = {}): Receiver {
  let server: Server | undefined;
  const header = (opts.header ?? 'x-kumo-signature').toLowerCase();
  const rx: Receiver = {
    port,
    records: [],
    seen: new Map(),
    requests: [],
    badSignatures: 0,
    status: 200,
    delayMs: 0,
    async listen() {
      server = createServer(async (req, res) => {
        const body = await readBody(req);
        const signature = req.headers[header] as string | undefined;
        rx.requests.push({ body, signature, auth: req.headers.authorization, contentType: req.headers['content-type'] });
        if (opts.secret !== undefined && !verifySignature(opts.secret, body, signature)) {
          rx.badSignatures++;
          res.writeHead(401).end();
          return;
        }
        if (rx.delayMs) await new Promise((r) => setTimeout(r, rx.delayMs));
        if (rx.status >= 200 && rx.status < 300) {
          const text = body.toString('utf8');
          let parsed: LogRecord[];
          try {
            const v = JSON.parse(text) as LogRecord | LogRecord[];
            parsed = Array.isArray(v) ? v : [v];
          } catch {
            parsed = text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as LogRecord); // templated JSON lines
          }
          for (const r of parsed) {
            rx.records.push(r);
            rx.seen.set(recordKey(r), (rx.seen.get(recordKey(r)) ?? 0) + 1);
          }
        }
        res.writeHead(rx.status, { 'content-type': 'text/plain' }).end('ok');
      });
      server.keepAliveTimeout = 60_000;
      await new Promise<void>((resolve, reject) => {
        server!.once('error', reject);
        server!.listen(port, '127.0.0.1', () => resolve());
      });
    },
    async close() {
      if (!server) return;
      const s = server;
      server = undefined;
      s.closeAllConnections();
      await new Promise<void>((r) => s.close(() => r()));
    },
    duplicates() {
      let n = 0;
      for (const c of rx.seen.values()) n += c - 1;
      return n;
    },
  };
  return rx;
}
