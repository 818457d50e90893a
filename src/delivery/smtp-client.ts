import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { isIP } from 'node:net';
import type { TLSSocket } from 'node:tls';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import type { EgressSource } from '../config/egress.js';
import type { Route } from '../dns/route.js';
import type { EffectiveShaping, TlsMode } from '../shaping/types.js';
import { connectViaHaProxy, connectViaSocks5 } from './proxy.js';
import { parseReply } from './response.js';
import type { SmtpReply } from './response.js';
import { wireEnvelope } from './smtputf8.js';
import { checkPolicyTls, policyConnectFailure, policyTlsOptions } from '../tls-policy/client-hook.js';

export interface TlsInfo {
  readonly cipher: string | null;
  readonly protocol: string | null;
  readonly peerSubject: string[] | null;
}

export interface Peer {
  readonly name: string;
  readonly addr: string;
  readonly port: number;
}

/** Why no session could be opened; carries the reply to log for the message it was for. */
export class ConnectError extends Error {
  constructor(
    readonly reply: SmtpReply,
    readonly peer: Peer | undefined,
    /** EADDRNOTAVAIL: the source address is not configured on this host */
    readonly unplumbed = false,
  ) {
    super(`${reply.code} ${reply.text}`);
    this.name = 'ConnectError';
  }
}

interface NodemailerError extends Error {
  code?: string;
  originalCode?: string;
  response?: string;
  responseCode?: number;
  command?: string;
  recipient?: string;
  rejectedErrors?: NodemailerError[];
}

interface SendInfo {
  accepted: string[];
  rejected: string[];
  rejectedErrors?: NodemailerError[];
  response: string;
}

/** Internal reply for a local failure (never sent by a server). */
export function internalReply(text: string, command = 'CONN', code = 451, enhanced = '4.4.2'): SmtpReply {
  return { code, enhanced, text: `kumo-ts: ${text}`, command, internal: true };
}

/** TLS options of nodemailer for a KumoMTA enable_tls mode. */
function tlsOptions(mode: TlsMode, servername: string | undefined) {
  const insecure = mode === 'OpportunisticInsecure' || mode === 'RequiredInsecure';
  return {
    ignoreTLS: mode === 'Disabled',
    requireTLS: mode === 'Required' || mode === 'RequiredInsecure',
    // Opportunistic does not fall back to plain text after a failed handshake (as KumoMTA)
    opportunisticTLS: false,
    tls: { rejectUnauthorized: !insecure, servername, minVersion: 'TLSv1.2' as const },
  };
}

export interface OpenOptions {
  readonly route: Route;
  readonly source: EgressSource;
  /** EHLO name when the source has no ehlo_domain */
  readonly hostname: string;
  readonly shaping: EffectiveShaping;
  /** give up on the remaining addresses at this time (shutdown) */
  readonly signal?: AbortSignal;
}

/**
 * Opens a session to the first reachable address of the route's hosts (in MX preference
 * order): TCP (directly from the source address, or through the source's HAProxy / SOCKS5
 * proxy), banner, EHLO, STARTTLS as `enable_tls` says.
 */
export async function openSession(o: OpenOptions): Promise<SmtpSession> {
  let last: ConnectError | undefined;
  for (const host of o.route.hosts) {
    for (const addr of host.addrs) {
      if (o.signal?.aborted) throw last ?? new ConnectError(internalReply('shutting down'), undefined);
      const port = host.port ?? o.source.remotePort ?? 25;
      const peer: Peer = { name: host.name, addr, port };
      try {
        return await connectOne(o, peer);
      } catch (e) {
        last = e instanceof ConnectError ? e : new ConnectError(internalReply(String((e as Error).message ?? e)), peer);
        if (last.unplumbed) throw last;
      }
    }
  }
  throw last ?? new ConnectError(internalReply('no destination address'), undefined);
}

async function connectOne(o: OpenOptions, peer: Peer): Promise<SmtpSession> {
  const s = o.shaping;
  const servername = isIP(peer.name) ? undefined : peer.name;
  let connection: Socket | undefined;
  try {
    if (o.source.haProxy) connection = await connectViaHaProxy(o.source.haProxy.server, o.source.haProxy.sourceAddress, peer.addr, peer.port, s.connect_timeout_ms);
    else if (o.source.socks5) connection = await connectViaSocks5(o.source.socks5.server, peer.addr, peer.port, s.connect_timeout_ms, o.source.socks5.auth);
  } catch (e) {
    throw new ConnectError(internalReply(`proxy: ${(e as Error).message}`), peer);
  }
  // MTA-STS / DANE of the route (src/tls-policy/) may require STARTTLS and checks the peer itself
  const baseTls = tlsOptions(s.enable_tls, servername);
  const policyTls = policyTlsOptions(o.route, peer.name, baseTls);
  const conn = new SMTPConnection({
    host: peer.addr,
    port: peer.port,
    name: o.source.ehloDomain ?? o.hostname,
    localAddress: connection ? undefined : o.source.sourceAddress,
    connection,
    servername,
    connectionTimeout: s.connect_timeout_ms,
    greetingTimeout: s.banner_timeout_ms,
    socketTimeout: Math.max(s.ehlo_timeout_ms, s.mail_from_timeout_ms, s.rcpt_to_timeout_ms, s.data_timeout_ms, s.data_dot_timeout_ms),
    socketCloseTimeout: 2000,
    logger: false,
    ...baseTls,
    ...(policyTls ? { ...policyTls, tls: { ...baseTls.tls, ...policyTls.tls } } : {}),
  });
  const session = new SmtpSession(conn, peer);
  await new Promise<void>((resolve, reject) => {
    let settled = false;
    // nodemailer reports most connection failures only as an 'error' event, some through the
    // connect callback, a silent close as 'end': the first of them settles the attempt
    const done = (err?: Error | null) => {
      if (settled) return;
      settled = true;
      o.signal?.removeEventListener('abort', onAbort);
      conn.off('error', done);
      conn.off('end', onEnd);
      if (!err) return resolve();
      const ne = err as NodemailerError;
      conn.close();
      const unplumbed = ne.originalCode === 'EADDRNOTAVAIL' || (ne as { errno?: string }).errno === 'EADDRNOTAVAIL';
      const policyText = policyConnectFailure(o.route, peer, ne.command, ne.message);
      if (policyText) return reject(new ConnectError(internalReply(policyText, ne.command ?? 'STARTTLS', 451, '4.7.5'), peer));
      const reply = ne.response ? { ...parseReply(ne.response, ne.command ?? 'CONN') } : internalReply(`connecting to ${peer.name} [${peer.addr}]:${peer.port}: ${ne.message}`);
      // a 5xx banner or EHLO is still a failure of this connection, not of the message
      reject(new ConnectError(reply.code >= 500 ? { ...reply, code: 451, enhanced: '4.4.2', text: `${peer.name}: ${reply.code} ${reply.text}`, internal: true } : reply, peer, unplumbed));
    };
    const onEnd = () => done(new Error('connection closed during the greeting or EHLO'));
    const onAbort = () => done(new Error('aborted: shutting down'));
    o.signal?.addEventListener('abort', onAbort, { once: true });
    conn.on('error', done);
    conn.once('end', onEnd);
    conn.connect((err?: Error | null) => done(err));
  });
  const refused = checkPolicyTls(o.route, peer, conn.secure, (conn as unknown as { _socket?: TLSSocket })._socket, session.local?.address);
  if (refused) {
    conn.close();
    throw new ConnectError(internalReply(refused, 'STARTTLS', 451, '4.7.5'), peer);
  }
  session.captureTls();
  return session;
}

/** One result per recipient of a transaction. */
export type SendResult = Map<string, SmtpReply>;

/** An open SMTP session: sends messages one after another (MAIL/RCPT/DATA pipelined). */
export class SmtpSession {
  tls: TlsInfo | undefined;
  /** KumoMTA's outbound session_id: the same in every record of messages sent on this session */
  readonly id = randomUUID();
  private broken = false;
  private pending: ((err: NodemailerError) => void) | undefined;

  constructor(private readonly conn: SMTPConnection, readonly peer: Peer) {
    // nodemailer emits 'error' before failing the operation in flight; the operation's
    // callback reports it, the listener keeps it from being an uncaught exception
    conn.on('error', () => {
      this.broken = true;
    });
    conn.on('end', () => {
      this.broken = true;
    });
  }

  /** Whether the server's EHLO listed this extension (e.g. "SMTPUTF8"). */
  offers(extension: string): boolean {
    const ext = (this.conn as unknown as { _supportedExtensions?: string[] })._supportedExtensions ?? [];
    return ext.includes(extension.toUpperCase());
  }

  /** The local end of the TCP connection (to the proxy, when one is used), for log records. */
  get local(): { address: string; port: number } | undefined {
    const sock = (this.conn as unknown as { _socket?: Socket })._socket;
    return sock?.localAddress ? { address: sock.localAddress, port: sock.localPort ?? 0 } : undefined;
  }

  /** false once the connection is closed or in an unknown state. */
  get usable(): boolean {
    const c = this.conn as unknown as { _destroyed?: boolean; _closing?: boolean; _socket?: Socket };
    return !this.broken && !c._destroyed && !c._closing && !!c._socket && c._socket.writable;
  }

  captureTls(): void {
    const sock = (this.conn as unknown as { _socket?: TLSSocket })._socket;
    if (!this.conn.secure || !sock || typeof sock.getCipher !== 'function') return;
    const cert = sock.getPeerCertificate?.();
    const subject: string[] = [];
    if (cert?.subject?.CN) subject.push(...[cert.subject.CN].flat());
    for (const alt of (cert?.subjectaltname ?? '').split(/,\s*/)) if (alt.startsWith('DNS:')) subject.push(alt.slice(4));
    this.tls = { cipher: sock.getCipher()?.name ?? null, protocol: sock.getProtocol() ?? null, peerSubject: subject.length ? [...new Set(subject)] : null };
  }

  /**
   * Sends one message to `to`. Never throws: every recipient gets a reply — the server's to
   * RCPT TO or to the end of DATA, or an internal 451 when the connection failed.
   */
  async send(from: string, to: readonly string[], body: Buffer, opts: { smtputf8?: boolean } = {}): Promise<SendResult> {
    const out: SendResult = new Map();
    if (!this.usable) {
      for (const r of to) out.set(r, internalReply('connection lost before MAIL FROM', 'MAIL FROM'));
      return out;
    }
    // RFC 6531 §3.4: mail that needs SMTPUTF8 (a non-ASCII address, or received with SMTPUTF8)
    // never goes to a server without it: a permanent failure (bounce) instead of a downgrade.
    // nodemailer adds the SMTPUTF8 parameter itself to a non-ASCII MAIL FROM.
    const env = wireEnvelope(from, to);
    if ((env.needsSmtpUtf8 || opts.smtputf8) && !this.offers('SMTPUTF8')) {
      const reply = internalReply(`${this.peer.name} does not offer SMTPUTF8, which this message needs (RFC 6531)`, 'MAIL FROM', 550, '5.6.7');
      for (const r of to) out.set(r, reply);
      return out;
    }
    const res = await new Promise<{ err?: NodemailerError; info?: SendInfo }>((resolve) => {
      // destroy() resolves it too: nodemailer's close() forgets the send in flight
      this.pending = (err) => resolve({ err });
      this.conn.send({ from: env.from, to: [...env.to], size: body.length } as never, body, (err: Error | null, info?: unknown) =>
        resolve({ err: err ?? undefined, info: info as SendInfo | undefined }),
      );
    });
    this.pending = undefined;
    // replies name recipients as sent (A-label domains): back to the caller's spelling
    const back = (r: string) => env.original.get(r) ?? r;
    if (env.original.size && res.info) res.info.accepted = res.info.accepted.map(back);
    const envelope = (this.conn as unknown as { _envelope?: { rejectedErrors?: NodemailerError[] } })._envelope;
    const setRejected = (errs: NodemailerError[] | undefined) => {
      for (const e of errs ?? []) if (e.recipient && e.response) out.set(back(e.recipient), parseReply(e.response, 'RCPT TO'));
    };
    if (res.info) {
      const ok = parseReply(res.info.response, 'DATA');
      for (const r of res.info.accepted) out.set(r, ok);
      setRejected(res.info.rejectedErrors);
    } else {
      const e = res.err!;
      setRejected(e.rejectedErrors ?? envelope?.rejectedErrors);
      let reply: SmtpReply;
      if (e.response && (e.code === 'EENVELOPE' || e.code === 'EMESSAGE' || e.responseCode)) reply = parseReply(e.response, e.command ?? (e.code === 'EMESSAGE' ? 'DATA' : undefined));
      else {
        this.broken = true;
        reply = internalReply(`${e.code ?? 'error'} during ${e.command ?? 'transaction'}: ${e.message}`, e.command ?? 'DATA');
      }
      for (const r of to) if (!out.has(r)) out.set(r, reply);
      if (reply.code === 421) this.broken = true;
      if (this.usable) await this.reset();
    }
    for (const r of to) if (!out.has(r)) out.set(r, internalReply('no reply for this recipient', 'RCPT TO'));
    return out;
  }

  private reset(): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.broken = true;
        resolve();
      }, 10_000);
      this.conn.reset((err) => {
        clearTimeout(t);
        if (err) this.broken = true;
        resolve();
      });
    });
  }

  /**
   * QUIT and close (gracefully when possible). Resolves once the connection is closed (at
   * most 5 s later), so that its shaping lease is given back only when the peer no longer
   * sees the connection.
   */
  quit(): Promise<void> {
    const closed = new Promise<void>((resolve) => {
      if ((this.conn as unknown as { _destroyed?: boolean })._destroyed) return resolve();
      // a server that never answers QUIT: close it ourselves
      const t = setTimeout(() => {
        this.conn.close();
        resolve();
      }, 5_000);
      this.conn.once('end', () => {
        clearTimeout(t);
        resolve();
      });
    });
    if (this.usable) {
      try {
        this.conn.quit();
        return closed;
      } catch {
        // fall through
      }
    }
    this.conn.close();
    return closed;
  }

  /** Drops the connection now (shutdown deadline). */
  destroy(): void {
    this.broken = true;
    this.conn.close();
    this.pending?.(Object.assign(new Error('connection dropped: shutting down'), { code: 'ECONNECTION', command: 'DATA' }));
  }
}
