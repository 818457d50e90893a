import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { isIP } from 'node:net';
import { rootCertificates } from 'node:tls';
import type { TLSSocket } from 'node:tls';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import type { EgressSource } from '../config/egress.js';
import type { Route } from '../dns/route.js';
import type { EffectiveShaping, TlsMode } from '../shaping/types.js';
import { describeKeySource, KeySourceError, loadKey } from '../keys/key-source.js';
import { brokenTls, DEFAULT_RECONNECT_REMEMBER_MS } from './broken-tls.js';
import type { BrokenTlsMemory } from './broken-tls.js';
import { filterHosts, isHostFilterFailure } from './host-filter.js';
import { installPhaseTimers, NO_TIMEOUT } from './phase-timer.js';
import { connectViaHaProxy, connectViaSocks5 } from './proxy.js';
import { markCrlfOnly } from './dot-stuff.js';
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
    /** the destination itself is refused (prohibited_hosts): the messages bounce */
    readonly permanent = false,
    /** true when every message of the ready queue gets this outcome at once */
    readonly wholeQueue = false,
    /** the STARTTLS handshake (or the EHLO after it) failed */
    readonly tlsFailed = false,
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

/** The modes that use STARTTLS only when offered (remember_broken_tls applies to them alone). */
export function isOpportunistic(mode: TlsMode): boolean {
  return mode === 'Opportunistic' || mode === 'OpportunisticInsecure';
}

/** TLS options of nodemailer for a KumoMTA enable_tls mode. */
function tlsOptions(mode: TlsMode, servername: string | undefined, ca: readonly string[] | undefined) {
  const insecure = mode === 'OpportunisticInsecure' || mode === 'RequiredInsecure';
  return {
    ignoreTLS: mode === 'Disabled',
    requireTLS: mode === 'Required' || mode === 'RequiredInsecure',
    // a failed handshake is never continued in plain text on the same connection (as KumoMTA);
    // opportunistic_tls_reconnect_on_failed_handshake opens a new plain one instead
    opportunisticTLS: false,
    tls: { rejectUnauthorized: !insecure, servername, minVersion: 'TLSv1.2' as const, ...(ca ? { ca: [...rootCertificates, ...ca] } : {}) },
  };
}

export interface OpenOptions {
  readonly route: Route;
  readonly source: EgressSource;
  /** EHLO name when neither the path nor the source has an ehlo_domain */
  readonly hostname: string;
  readonly shaping: EffectiveShaping;
  /** give up on the remaining addresses at this time (shutdown) */
  readonly signal?: AbortSignal;
  /** remember_broken_tls is kept under this key (the ready queue name, as KumoMTA's dispatcher name) */
  readonly tlsMemoryKey?: string;
  /** where broken TLS is remembered (default: the process-wide memory) */
  readonly tlsMemory?: BrokenTlsMemory;
  /** CA certificates (PEM) trusted besides Node's bundled roots (tests, embedding) */
  readonly ca?: readonly string[];
}

/**
 * Opens a session to the first reachable address of the route's hosts (in MX preference
 * order), after prohibited_hosts / skip_hosts: TCP (directly from the source address, or
 * through the source's HAProxy / SOCKS5 proxy), banner, EHLO, STARTTLS as `enable_tls` says
 * (skipped in the Opportunistic modes while remember_broken_tls remembers a failure), then
 * AUTH PLAIN when smtp_auth_plain_username is set.
 */
export async function openSession(o: OpenOptions): Promise<SmtpSession> {
  const filtered = filterHosts(o.route, o.shaping);
  if (isHostFilterFailure(filtered)) {
    throw new ConnectError(internalReply(filtered.text, 'CONN', filtered.code, filtered.enhanced), undefined, false, filtered.permanent, true);
  }
  let last: ConnectError | undefined;
  for (const host of filtered.hosts) {
    for (const addr of host.addrs) {
      if (o.signal?.aborted) throw last ?? new ConnectError(internalReply('shutting down'), undefined);
      const port = host.port ?? o.source.remotePort ?? o.shaping.smtp_port ?? 25;
      const peer: Peer = { name: host.name, addr, port };
      try {
        return await connectOne(o, peer, false);
      } catch (e) {
        last = e instanceof ConnectError ? e : new ConnectError(internalReply(String((e as Error).message ?? e)), peer);
        if (last.unplumbed) throw last;
        // KumoMTA's opportunistic_tls_reconnect_on_failed_handshake: the same address again, in clear text
        if (last.tlsFailed && isOpportunistic(o.shaping.enable_tls) && o.shaping.opportunistic_tls_reconnect_on_failed_handshake) {
          try {
            return await connectOne(o, peer, true);
          } catch (e2) {
            last = e2 instanceof ConnectError ? e2 : new ConnectError(internalReply(String((e2 as Error).message ?? e2)), peer);
            if (last.unplumbed) throw last;
          }
        }
      }
    }
  }
  throw last ?? new ConnectError(internalReply('no destination address'), undefined);
}

/**
 * Remembers the path's broken TLS when remember_broken_tls says so; how long, or undefined.
 * Only in the Opportunistic modes: the Required ones never skip STARTTLS, so remembering (and
 * saying so in the reply) would be false.
 */
function rememberBrokenTls(o: OpenOptions): number | undefined {
  const s = o.shaping;
  if (!isOpportunistic(s.enable_tls)) return undefined;
  const ms = s.remember_broken_tls_ms ?? (s.opportunistic_tls_reconnect_on_failed_handshake ? DEFAULT_RECONNECT_REMEMBER_MS : undefined);
  if (!ms || !o.tlsMemoryKey) return undefined;
  (o.tlsMemory ?? brokenTls).remember(o.tlsMemoryKey, ms);
  return ms;
}

function fmtMs(ms: number): string {
  return ms % 3_600_000 === 0 ? `${ms / 3_600_000}h` : ms % 60_000 === 0 ? `${ms / 60_000}m` : ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

async function connectOne(o: OpenOptions, peer: Peer, plain: boolean): Promise<SmtpSession> {
  const s = o.shaping;
  const servername = isIP(peer.name) ? undefined : peer.name;
  const where = `${peer.name} [${peer.addr}]:${peer.port}`;
  // remember_broken_tls: the Opportunistic modes treat STARTTLS as not offered; the Required
  // modes ignore it (as KumoMTA's current builds)
  const memory = o.tlsMemory ?? brokenTls;
  const skipTls = plain || (isOpportunistic(s.enable_tls) && !!o.tlsMemoryKey && memory.isBroken(o.tlsMemoryKey));
  const mode: TlsMode = skipTls ? 'Disabled' : s.enable_tls;
  let connection: Socket | undefined;
  try {
    if (o.source.haProxy) connection = await connectViaHaProxy(o.source.haProxy.server, o.source.haProxy.sourceAddress, peer.addr, peer.port, s.connect_timeout_ms);
    else if (o.source.socks5) connection = await connectViaSocks5(o.source.socks5.server, peer.addr, peer.port, s.connect_timeout_ms, o.source.socks5.auth);
  } catch (e) {
    throw new ConnectError(internalReply(`proxy: ${(e as Error).message}`), peer);
  }
  // MTA-STS / DANE of the route (src/tls-policy/) may require STARTTLS and checks the peer itself
  const baseTls = tlsOptions(mode, servername, o.ca);
  const policyTls = policyTlsOptions(o.route, peer.name, baseTls);
  const conn = new SMTPConnection({
    host: peer.addr,
    port: peer.port,
    // the path's ehlo_domain wins over the source's (KumoMTA)
    name: s.ehlo_domain ?? o.source.ehloDomain ?? o.hostname,
    localAddress: connection ? undefined : o.source.sourceAddress,
    connection,
    servername,
    connectionTimeout: s.connect_timeout_ms,
    greetingTimeout: s.banner_timeout_ms,
    // every phase has its own timer (phase-timer.ts): the socket's idle timer never fires
    socketTimeout: NO_TIMEOUT,
    socketCloseTimeout: 2000,
    logger: false,
    ...baseTls,
    ...(policyTls ? { ...policyTls, tls: { ...baseTls.tls, ...policyTls.tls } } : {}),
  });
  installPhaseTimers(conn, {
    ehlo: s.ehlo_timeout_ms,
    starttls: s.starttls_timeout_ms,
    tls_handshake: s.tls_handshake_timeout_ms,
    auth: s.auth_timeout_ms,
    mail_from: s.mail_from_timeout_ms,
    rcpt_to: s.rcpt_to_timeout_ms,
    data: s.data_timeout_ms,
    data_dot: s.data_dot_timeout_ms,
    rset: s.rset_timeout_ms,
  }, where, s.banner_timeout_ms);
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
      const c = conn as unknown as { upgrading?: boolean; secure?: boolean };
      // the handshake, or the EHLO after it, failed: KumoMTA's "broken TLS"
      const tlsFailed = c.upgrading === true || c.secure === true;
      const remembered = tlsFailed ? rememberBrokenTls(o) : undefined;
      conn.close();
      const unplumbed = ne.originalCode === 'EADDRNOTAVAIL' || (ne as { errno?: string }).errno === 'EADDRNOTAVAIL';
      const policyText = policyConnectFailure(o.route, peer, ne.command, ne.message);
      if (policyText) return reject(new ConnectError(internalReply(policyText, ne.command ?? 'STARTTLS', 451, '4.7.5'), peer));
      const tlsNote = remembered ? ` (remember_broken_tls: STARTTLS is skipped on this path for ${fmtMs(remembered)})` : '';
      const reply = ne.response ? { ...parseReply(ne.response, ne.command ?? 'CONN') } : internalReply(`connecting to ${where}: ${ne.message}${tlsNote}`, ne.command && ne.command !== 'API' ? ne.command : 'CONN');
      // a 5xx banner or EHLO is still a failure of this connection, not of the message
      reject(new ConnectError(reply.code >= 500 ? { ...reply, code: 451, enhanced: '4.4.2', text: `${peer.name}: ${reply.code} ${reply.text}`, internal: true } : reply, peer, unplumbed, false, false, tlsFailed));
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
  if (s.smtp_auth_plain_username !== undefined) {
    try {
      await authenticate(conn, s, mode, where);
    } catch (e) {
      conn.close();
      throw e instanceof ConnectError ? new ConnectError(e.reply, peer) : new ConnectError(internalReply(`AUTH PLAIN to ${where}: ${(e as Error).message}`, 'AUTH'), peer);
    }
  }
  return session;
}

/**
 * AUTH PLAIN as KumoMTA sends it: only over TLS with a verified certificate, unless
 * allow_smtp_auth_plain_without_tls / allow_smtp_auth_plain_without_valid_certificate say
 * otherwise; when not allowed the credentials are never sent and the attempt fails (transient).
 */
async function authenticate(conn: SMTPConnection, s: EffectiveShaping, mode: TlsMode, where: string): Promise<void> {
  const user = s.smtp_auth_plain_username!;
  const refuse = (why: string) => new ConnectError(internalReply(`AUTH PLAIN as "${user}" to ${where} not attempted: ${why}; the credentials were not sent`, 'AUTH'), undefined);
  if (!conn.secure) {
    if (!s.allow_smtp_auth_plain_without_tls) {
      const how = mode === 'Disabled' ? (s.enable_tls === 'Disabled' ? 'enable_tls is Disabled' : 'STARTTLS is skipped (remember_broken_tls)') : 'the server did not offer STARTTLS';
      throw refuse(`the session is not encrypted (${how}) and allow_smtp_auth_plain_without_tls is not set`);
    }
  } else if ((mode === 'OpportunisticInsecure' || mode === 'RequiredInsecure') && !s.allow_smtp_auth_plain_without_valid_certificate) {
    throw refuse(`the server's certificate was not verified (enable_tls = "${mode}") and allow_smtp_auth_plain_without_valid_certificate is not set`);
  }
  let pass = '';
  if (s.smtp_auth_plain_password) {
    try {
      pass = (await loadKey(s.smtp_auth_plain_password)).toString('utf8').replace(/\r?\n$/, '');
    } catch (e) {
      const why = e instanceof KeySourceError ? `${e.code}: ${e.message}` : (e as Error).message;
      throw refuse(`cannot load smtp_auth_plain_password (${describeKeySource(s.smtp_auth_plain_password)}): ${why}`);
    }
  }
  await new Promise<void>((resolve, reject) => {
    conn.login({ user, pass, method: 'PLAIN' } as never, (err?: Error | null) => {
      if (!err) return resolve();
      const ne = err as NodemailerError;
      const reply = ne.response ? parseReply(ne.response, 'AUTH') : internalReply(`AUTH PLAIN as "${user}" to ${where}: ${ne.message}`, 'AUTH');
      // a refused login fails the connection, not the message (transient, as KumoMTA)
      reject(new ConnectError({ ...reply, code: 451, enhanced: '4.7.0', text: `AUTH PLAIN as "${user}" to ${where} failed: ${reply.code} ${reply.text}`, internal: true, command: 'AUTH' }, undefined));
    });
  });
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
  async send(from: string, to: readonly string[], body: Buffer, opts: { smtputf8?: boolean; crlf?: boolean } = {}): Promise<SendResult> {
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
    // CRLF-only (reception said so in the spool record): dot-stuffing only doubles leading dots
    if (opts.crlf) markCrlfOnly(body);
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
        /* c8 ignore next 4 -- guard: nodemailer's quit() does not throw on a usable connection */
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
