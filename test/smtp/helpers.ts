// Test helpers for inbound SMTP: a raw SMTP client, certificates, temp config roots, and an
// in-process harness (store + spool + records + SmtpService) driven by real config files.
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import type { TLSSocket } from 'node:tls';
import { generate } from 'selfsigned';
import { compileOrThrow } from '../../src/config/compile.js';
import { ConfigStore } from '../../src/config/store.js';
import { createLogger } from '../../src/logging/logger.js';
import type { Logger } from '../../src/logging/logger.js';
import type { LogRecord } from '../../src/logging/types.js';
import { RecordWriter } from '../../src/logging/record-writer.js';
import { LmdbSpool } from '../../src/spool/lmdb-spool.js';
import type { SpoolMeta } from '../../src/spool/types.js';
import { SmtpService } from '../../src/smtp/service.js';
import type { ReceptionDeps } from '../../src/smtp/reception.js';
import type { QueueIntake } from '../../src/queue/types.js';

export interface TestCert {
  cert: string;
  key: string;
  fingerprint256: string;
}

/** A self-signed RSA certificate for `cn` (plus SANs). */
export async function makeCert(cn: string, names: string[] = [cn]): Promise<TestCert> {
  const r = await generate([{ name: 'commonName', value: cn }], {
    keySize: 2048,
    extensions: [{ name: 'subjectAltName', altNames: names.map((value) => ({ type: 2 as const, value })) }],
  });
  return { cert: r.cert, key: r.private, fingerprint256: new X509Certificate(r.cert).fingerprint256 };
}

export function tempDir(prefix = 'kumo-smtp-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function writeFiles(root: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, name)), { recursive: true });
    writeFileSync(join(root, name), text);
  }
}

import { freePort } from '../helpers/ports.js';
export { freePort };

export interface Reply {
  code: number;
  lines: string[];
  /** the text of all lines, without the codes */
  text: string;
}

/** A small raw SMTP client: exact control over every command and the TLS upgrade. */
export class SmtpClient {
  private buf = '';
  private waiting: ((r: Reply) => void)[] = [];
  private ready: Reply[] = [];
  private closedErr: Error | undefined;
  private rejecters: ((e: Error) => void)[] = [];

  private constructor(public socket: Socket | TLSSocket) {
    this.attach(socket);
  }

  static async connect(port: number, opts: { tls?: boolean; servername?: string; host?: string; preamble?: Buffer; localAddress?: string } = {}): Promise<SmtpClient> {
    const host = opts.host ?? '127.0.0.1';
    const socket = await new Promise<Socket | TLSSocket>((resolve, reject) => {
      if (opts.tls) {
        // tls.connect hands socket options such as localAddress to net.connect (not in its typings)
        const tcp = { localAddress: opts.localAddress } as Record<string, unknown>;
        const s = tlsConnect({ host, port, ...tcp, rejectUnauthorized: false, servername: opts.servername ?? 'localhost' }, () => resolve(s));
        s.once('error', reject);
      } else {
        const s = netConnect({ host, port, localAddress: opts.localAddress }, () => resolve(s));
        s.once('error', reject);
      }
    });
    if (opts.preamble) socket.write(opts.preamble);
    return new SmtpClient(socket);
  }

  private attach(socket: Socket | TLSSocket): void {
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => this.onData(d));
    socket.on('error', (e) => this.fail(e));
    socket.on('close', () => this.fail(new Error('connection closed')));
  }

  private fail(e: Error): void {
    this.closedErr ??= e;
    for (const r of this.rejecters) r(e);
    this.rejecters = [];
    this.waiting = [];
  }

  private onData(d: string): void {
    this.buf += d;
    for (;;) {
      const lines: string[] = [];
      let pos = 0;
      let done = false;
      while (true) {
        const nl = this.buf.indexOf('\r\n', pos);
        if (nl < 0) break;
        const line = this.buf.slice(pos, nl);
        lines.push(line);
        pos = nl + 2;
        if (line[3] !== '-') {
          done = true;
          break;
        }
      }
      if (!done) return;
      this.buf = this.buf.slice(pos);
      const reply: Reply = { code: Number(lines[0]!.slice(0, 3)), lines: lines.map((l) => l.slice(4)), text: lines.map((l) => l.slice(4)).join('\n') };
      const w = this.waiting.shift();
      if (w) {
        this.rejecters.shift();
        w(reply);
      } else this.ready.push(reply);
    }
  }

  /** The next reply from the server. */
  reply(timeoutMs = 10_000): Promise<Reply> {
    const r = this.ready.shift();
    if (r) return Promise.resolve(r);
    if (this.closedErr) return Promise.reject(this.closedErr);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('timed out waiting for a reply')), timeoutMs);
      this.waiting.push((x) => {
        clearTimeout(t);
        resolve(x);
      });
      this.rejecters.push((e) => {
        clearTimeout(t);
        reject(e);
      });
    });
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  async cmd(line: string): Promise<Reply> {
    this.write(line + '\r\n');
    return this.reply();
  }

  /** Reads the greeting, sends EHLO; returns the capability lines. */
  async hello(name = 'client.test', greeting = true): Promise<string[]> {
    if (greeting) {
      const g = await this.reply();
      if (g.code !== 220) throw new Error(`greeting: ${g.code} ${g.text}`);
    }
    const r = await this.cmd(`EHLO ${name}`);
    if (r.code !== 250) throw new Error(`EHLO: ${r.code} ${r.text}`);
    return r.lines.slice(1);
  }

  /** STARTTLS and the handshake; then EHLO again, returning the new capabilities. */
  async starttls(servername = 'localhost'): Promise<string[]> {
    const r = await this.cmd('STARTTLS');
    if (r.code !== 220) throw new Error(`STARTTLS: ${r.code} ${r.text}`);
    return this.tlsAfterReply(servername);
  }

  /** The handshake once the 220 to STARTTLS has been read; then EHLO again (the new capabilities). */
  async tlsAfterReply(servername = 'localhost'): Promise<string[]> {
    const raw = this.socket;
    raw.removeAllListeners('data');
    raw.removeAllListeners('close');
    raw.removeAllListeners('error');
    const t = await new Promise<TLSSocket>((resolve, reject) => {
      const s = tlsConnect({ socket: raw as Socket, servername, rejectUnauthorized: false }, () => resolve(s));
      s.once('error', reject);
    });
    this.socket = t;
    this.attach(t);
    return this.hello('client.test', false);
  }

  /** SHA-256 fingerprint of the certificate the server presented. */
  peerFingerprint(): string {
    return (this.socket as TLSSocket).getPeerX509Certificate?.()?.fingerprint256 ?? '';
  }

  tlsProtocol(): string | null {
    return (this.socket as TLSSocket).getProtocol?.() ?? null;
  }

  async authPlain(user: string, pass: string): Promise<Reply> {
    return this.cmd(`AUTH PLAIN ${Buffer.from(`\0${user}\0${pass}`).toString('base64')}`);
  }

  /** MAIL, RCPT(s), DATA and the message; returns every reply (the last is the final one). */
  async send(from: string, to: string[], message: string): Promise<{ mail: Reply; rcpts: Reply[]; data?: Reply; final?: Reply }> {
    const mail = await this.cmd(`MAIL FROM:<${from}>`);
    const rcpts: Reply[] = [];
    for (const t of to) rcpts.push(await this.cmd(`RCPT TO:<${t}>`));
    if (mail.code !== 250 || !rcpts.some((r) => r.code === 250)) {
      await this.cmd('RSET');
      return { mail, rcpts };
    }
    const data = await this.cmd('DATA');
    if (data.code !== 354) return { mail, rcpts, data };
    const body = message.replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..');
    this.write(body + (body.endsWith('\r\n') ? '' : '\r\n') + '.\r\n');
    return { mail, rcpts, data, final: await this.reply() };
  }

  async quit(): Promise<void> {
    try {
      await this.cmd('QUIT');
    } catch {
      // closed already
    }
    this.socket.destroy();
  }

  close(): void {
    this.socket.destroy();
  }

  get closed(): boolean {
    return this.closedErr !== undefined;
  }
}

export function message(opts: { from?: string; to?: string; subject?: string; messageId?: string; headers?: string[]; body?: string } = {}): string {
  return [
    `From: ${opts.from ?? 'sender@example.org'}`,
    `To: ${opts.to ?? 'rcpt@example.net'}`,
    `Subject: ${opts.subject ?? 'test'}`,
    `Message-ID: <${opts.messageId ?? `${Math.random().toString(36).slice(2)}@test`}>`,
    ...(opts.headers ?? []),
    '',
    opts.body ?? 'hello',
    '',
  ].join('\r\n');
}

export const BASE_MAIN = `
[dns]
mode = "static"
zone_file = "zone.toml"
`;

/** An in-process SMTP side of the server on real config files. */
export class Harness {
  readonly store = new ConfigStore();
  readonly logLines: string[] = [];
  readonly log: Logger;
  spool!: LmdbSpool;
  records!: RecordWriter;
  service!: SmtpService;
  readonly enqueued: SpoolMeta[] = [];
  /** the reception path the listeners use (HTTP inject shares it in the server) */
  reception!: ReceptionDeps;

  constructor(readonly root: string) {
    this.log = createLogger({ level: 'debug', out: (l) => this.logLines.push(l) });
  }

  /** `intake`: the queue's intake instead of the default one that collects into `enqueued`. */
  static async start(files: Record<string, string>, opts: { intake?: () => QueueIntake | undefined } = {}): Promise<Harness> {
    const root = tempDir();
    writeFiles(root, { 'zone.toml': '', ...files });
    const h = new Harness(root);
    h.store.swap(await compileOrThrow({ root }));
    h.spool = LmdbSpool.open({ path: join(root, 'spool') });
    const logs = { path: join(root, 'logs'), maxFileSize: 1 << 30, maxFileAgeMs: 3_600_000, compress: false };
    h.records = new RecordWriter({ settings: () => logs, log: h.log, flushIntervalMs: 10 });
    h.service = new SmtpService({
      store: h.store,
      log: h.log,
      resolver: () => undefined,
      reception: (h.reception = {
        store: h.store, spool: h.spool, records: h.records, log: h.log,
        intake: opts.intake ?? (() => ({ enqueue: (m) => void h.enqueued.push(m) })),
      }),
    });
    await h.service.reconcile(h.store.current);
    return h;
  }

  port(name: string): number {
    const a = this.service.address(name);
    if (!a) throw new Error(`listener ${name} is not listening`);
    return a.port;
  }

  /** Rewrites config files and applies the new snapshot. */
  async update(files: Record<string, string>): Promise<void> {
    writeFiles(this.root, files);
    const prev = this.store.current;
    this.store.swap(await compileOrThrow({ root: this.root, epoch: prev.epoch + 1 }));
    await this.service.reconcile(this.store.current);
  }

  /** Log records written so far, of one type. */
  async records_(type?: LogRecord['type']): Promise<LogRecord[]> {
    await this.records.flush();
    const { readdirSync, readFileSync } = await import('node:fs');
    const dir = join(this.root, 'logs');
    const out: LogRecord[] = [];
    for (const f of readdirSync(dir).filter((f) => f.endsWith('.jsonl')).sort())
      for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) if (line) out.push(JSON.parse(line) as LogRecord);
    return type ? out.filter((r) => r.type === type) : out;
  }

  logged(re: RegExp): string[] {
    return this.logLines.filter((l) => re.test(l));
  }

  async close(): Promise<void> {
    await this.service.stop(Date.now() + 2000);
    await this.records.close();
    await this.spool.close();
    rmSync(this.root, { recursive: true, force: true });
  }
}

export async function waitFor<T>(fn: () => T | Promise<T>, timeoutMs = 5000, stepMs = 25): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, stepMs));
  }
  throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${(last as Error).message}` : ''}`);
}
