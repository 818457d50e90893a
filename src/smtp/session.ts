import type { SMTPServerAddress, SMTPServerAuthentication, SMTPServerAuthenticationResponse, SMTPServerDataStream, SMTPServerSession } from 'smtp-server';
import { processInflightBudget } from './inflight-budget.js';
import type { CredentialStore } from '../auth/credential-store.js';
import { FailureLimiter } from '../auth/failure-limit.js';
import type { FailureCount } from '../auth/failure-limit.js';
import { nodeIdFor } from '../logging/node-id.js';
import { logRecord, logResponse } from '../logging/record-fields.js';
import { DataDeadline } from './data-deadline.js';
import { declaredSize, expireData, overBudget, refusalReply, reserveForData } from './data-phase.js';
import { DataReader } from './data-reader.js';
import type { ReceivedData } from './data-reader.js';
import { inflightBudget } from './inflight-budget.js';
import type { Reservation } from './inflight-budget.js';
import type { ListenerSettings } from './listener-config.js';
import type { ListenerDeps } from './listener-deps.js';
import { receivedMessages, rejectedReplies } from './metrics.js';
import { receiveMessage } from './reception.js';
import { decideRelay, domainOf } from './relay-policy.js';
import type { RelayDecision } from './relay-policy.js';
import { commandLineOf } from './smtp-server-patch.js';
import type { SMTPConnection } from './smtp-server-patch.js';
import { qualifyPostmaster } from './postmaster.js';

/** What the session callbacks need from their listener. */
export interface SessionHost {
  readonly name: string;
  readonly deps: ListenerDeps;
  /** the process is shutting down */
  readonly stopping: boolean;
  /** the listener's settings for a session starting now */
  currentSettings(): ListenerSettings;
  credentials(): CredentialStore | undefined;
  connection(id: string): SMTPConnection | undefined;
}

/** Per-connection state; settings are those current when the client connected. */
export interface SessionState {
  readonly settings: ListenerSettings;
  readonly peer: string;
  readonly listenerKeys: readonly string[];
  authUser?: string;
  messages: number;
  readonly decisions: Map<string, RelayDecision>;
  /** between DATA and its reply */
  busy: boolean;
  /** stop() wants this session closed once its current message is answered */
  closeAfterReply: boolean;
  /** the command a rejection we are about to send refers to (for the Rejection record) */
  pendingCommand?: string;
  pendingRecipient?: string;
  /** in-flight budget taken at the DATA command (data-gate.ts), handed to onData */
  reservation?: Reservation;
}

export class SmtpReplyError extends Error {
  constructor(readonly responseCode: number, message: string) {
    super(message);
  }
}

/** The command line being handled has a byte outside ASCII (the address as sent, not as decoded). */
function nonAsciiLine(session: SMTPServerSession): boolean {
  const line = commandLineOf(session);
  return !!line && line.some((b) => b >= 0x80);
}

/** "ip:port" as KumoMTA names a listener endpoint ("[::1]:25" for IPv6). */
export function endpointKey(ip: string, port: number): string {
  const a = ip.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, '$1');
  return a.includes(':') ? `[${a}]:${port}` : `${a}:${port}`;
}

/**
 * The SMTP session logic of a listener, as smtp-server callbacks: settings captured at
 * connect, AUTH under TLS with a per-IP failure limit, message and recipient limits, the relay
 * decision per RCPT, reception after DATA, and every error reply logged as a Rejection record.
 */
export class SmtpSessions {
  readonly byId = new Map<string, SessionState>();
  private readonly limiter: FailureCount;

  constructor(private readonly host: SessionHost) {
    this.limiter = host.deps.sharedAuthFailures?.forListener(host.name) ?? new FailureLimiter();
  }

  onConnect(session: SMTPServerSession, cb: (err?: Error | null) => void): void {
    if (this.host.stopping) return cb(new SmtpReplyError(421, `4.3.2 ${this.host.currentSettings().hostname} shutting down`));
    const s = this.host.currentSettings();
    const peer = session.remoteAddress.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, '$1');
    this.byId.set(session.id, {
      settings: s,
      peer,
      listenerKeys: [endpointKey(session.localAddress, session.localPort), s.listenSpec, s.name],
      messages: 0,
      decisions: new Map(),
      busy: false,
      closeAfterReply: false,
    });
    // STARTTLS only with a certificate; AUTH only with credentials (and, see onReply, only under TLS)
    session.disabledCommands = s.tls ? (s.auth ? [] : ['AUTH']) : ['STARTTLS', 'AUTH'];
    cb();
  }

  async onAuth(
    auth: SMTPServerAuthentication,
    session: SMTPServerSession,
    cb: (err: Error | null | undefined, response?: SMTPServerAuthenticationResponse) => void,
  ): Promise<void> {
    const st = this.byId.get(session.id);
    const a = st?.settings.auth;
    const creds = this.host.credentials();
    if (!st || !a || !creds || !session.secure) return cb(new SmtpReplyError(530, '5.7.0 Must issue a STARTTLS command first'));
    st.pendingCommand = `AUTH ${auth.method}`;
    const user = auth.username ?? '';
    if (await this.limiter.blocked(st.peer, a.maxFailures, a.failureWindowMs))
      return cb(new SmtpReplyError(421, '4.7.0 too many failed authentication attempts, try again later'));
    // PLAIN with an authorization identity different from the login: no proxy authorization
    const authzOk = auth.method !== 'PLAIN' || !auth.authzid || !auth.authcid || auth.authzid === auth.authcid;
    const ok = authzOk && !!user && (await creds.verify(user, auth.password ?? ''));
    if (ok) {
      this.limiter.succeed(st.peer, user);
      st.authUser = user;
      st.pendingCommand = undefined;
      return cb(null, { user });
    }
    const n = await this.limiter.fail(st.peer, user, a.failureWindowMs);
    this.host.deps.log.info(`listener ${this.host.name}: AUTH ${auth.method} failed`, { peer: st.peer, user, failures: n });
    cb(null, { message: '5.7.8 authentication credentials invalid', responseCode: 535 });
  }

  onMailFrom(address: SMTPServerAddress, session: SMTPServerSession, cb: (err?: Error | null) => void): void {
    const st = this.byId.get(session.id);
    if (!st) return cb(new SmtpReplyError(421, '4.3.0 session state lost'));
    st.decisions.clear();
    const unknownMail = unknownParam(address, MAIL_PARAMS);
    if (unknownMail) {
      st.pendingCommand = `MAIL FROM:<${address.address}>`;
      return cb(new SmtpReplyError(555, `5.5.4 unsupported MAIL FROM parameter ${unknownMail}`));
    }
    // RFC 6531: a non-ASCII address only with SMTPUTF8 (the flag is per transaction: a refused
    // MAIL with it must not leave it set for the next one)
    const utf8 = !!address.args && (address.args as Record<string, unknown>).SMTPUTF8 === true;
    session.envelope.smtpUtf8 = utf8;
    if (!utf8 && nonAsciiLine(session)) {
      st.pendingCommand = `MAIL FROM:<${address.address}>`;
      return cb(new SmtpReplyError(553, '5.6.7 Must declare SMTPUTF8 to send unicode address'));
    }
    if (st.messages >= st.settings.maxMessagesPerConnection) {
      st.pendingCommand = `MAIL FROM:<${address.address}>`;
      return cb(new SmtpReplyError(421, `4.7.0 ${st.settings.hostname} too many messages on this connection`));
    }
    st.messages++;
    cb();
  }

  onRcptTo(address: SMTPServerAddress, session: SMTPServerSession, cb: (err?: Error | null) => void): void {
    const st = this.byId.get(session.id);
    if (!st) return cb(new SmtpReplyError(421, '4.3.0 session state lost'));
    const reject = (code: number, text: string) => {
      st.pendingCommand = `RCPT TO:<${address.address}>`;
      st.pendingRecipient = address.address;
      cb(new SmtpReplyError(code, text));
    };
    const unknownRcpt = unknownParam(address, RCPT_PARAMS);
    if (unknownRcpt) return reject(555, `5.5.4 unsupported RCPT TO parameter ${unknownRcpt}`);
    if (!session.envelope.smtpUtf8 && nonAsciiLine(session)) return reject(553, '5.6.7 Must declare SMTPUTF8 to send unicode address');
    if (session.envelope.rcptTo.length >= st.settings.maxRecipientsPerMessage) return reject(451, '4.5.3 too many recipients');
    const snapshot = this.host.deps.store.current;
    const mailFrom = session.envelope.mailFrom;
    const d = decideRelay({
      domains: snapshot.listenerDomains,
      listenerKeys: st.listenerKeys,
      relayHosts: st.settings.relayHosts,
      peer: st.peer,
      senderDomain: mailFrom ? domainOf(mailFrom.address) : '',
      recipientDomain: domainOf(qualifyPostmaster(address.address, st.settings.hostname)),
      authUser: st.authUser,
      authRelays: st.settings.auth?.relay ?? true,
    });
    if (!d.accept) return reject(550, `5.7.1 relaying not permitted for ${st.peer}`);
    st.decisions.set(address.address, d);
    cb();
  }

  /** Before the 354 (data-gate.ts): the in-flight byte budget must have room for the message. */
  dataGate(conn: SMTPConnection): { code: number; text: string } | void {
    const st = this.byId.get(conn.id);
    if (!st) return;
    st.reservation?.release();
    const r = reserveForData(st, conn.session, processInflightBudget(this.host.deps.store.current.main.server), this.host.name, this.host.deps.log);
    if ('code' in r) {
      st.pendingCommand = 'DATA';
      return r;
    }
    st.reservation = r;
  }

  /**
   * DATA: the message is read into one buffer, normalised on the way (bare CR/LF, long lines)
   * within the in-flight budget and the DATA deadlines, then handed to reception; the budget is
   * released once it is spooled or refused.
   */
  onData(stream: SMTPServerDataStream, session: SMTPServerSession, cb: (err?: Error | null, message?: string) => void): void {
    const st = this.byId.get(session.id);
    /* c8 ignore start -- onConnect registers every session before smtp-server can reach DATA; onClose removes it only after */
    if (!st) {
      stream.resume();
      return cb(new SmtpReplyError(451, '4.3.0 session state lost'));
    }
    /* c8 ignore stop */
    st.busy = true;
    const s = st.settings;
    const log = this.host.deps.log;
    const declared = declaredSize(session);
    const limit = () => processInflightBudget(this.host.deps.store.current.main.server);
    const reader = new DataReader({
      bareNewline: s.bareNewline,
      longLines: s.longLines,
      expected: Math.min(declared ?? s.maxMessageSize, s.maxMessageSize),
      maxSize: s.maxMessageSize,
      limit,
      reservation: st.reservation ?? inflightBudget.reservation(),
      onOverBudget: () => overBudget(this.host.name, log, st, limit()),
    });
    st.reservation = undefined;
    let over = false; // the client went away, or a deadline closed the connection
    const deadline = new DataDeadline(s.dataTimeoutMs, s.minDataRate, (why, ms, bytes) => {
      over = true;
      st.busy = false;
      reader.release();
      st.pendingCommand = 'DATA';
      expireData(this.host.connection(session.id), st, this.host.name, log, why, ms, bytes);
    });
    stream.on('data', (c: Buffer) => {
      deadline.add(c.length);
      if (stream.sizeExceeded) reader.refuse('too-big');
      else reader.write(c);
    });
    stream.once('error', () => {
      over = true; // client went away mid-message: nothing to spool, nobody to answer
      deadline.stop();
      reader.release();
      st.busy = false;
    });
    stream.once('end', () => {
      deadline.stop();
      if (over) return;
      const finish = (err: Error | null, reply?: string) => {
        reader.release();
        st.busy = false;
        cb(err, reply);
        if (st.closeAfterReply) {
          const conn = this.host.connection(session.id);
          setImmediate(() => conn?.send(421, `4.3.2 ${st.settings.hostname} shutting down`));
        }
      };
      const got = stream.sizeExceeded ? 'too-big' as const : reader.finish();
      st.pendingCommand = 'DATA';
      if (typeof got === 'string') {
        const r = refusalReply(got);
        return finish(new SmtpReplyError(r.code, r.text));
      }
      void this.receive(st, session, got).then(
        (r) => {
          if (r.ok) receivedMessages.inc({ listener: this.host.name });
          return r.ok ? finish(null, r.reply) : finish(new SmtpReplyError(r.code, r.reply));
        },
        /* c8 ignore start -- receiveMessage returns its refusals as results; this answers 451 should it throw (a bug) */
        (e: Error) => {
          log.error(`listener ${this.host.name}: reception failed`, { error: e.stack ?? String(e) });
          finish(new SmtpReplyError(451, '4.3.0 temporary failure, please try again later'));
        },
        /* c8 ignore stop */
      );
    });
  }

  private receive(st: SessionState, session: SMTPServerSession, got: ReceivedData) {
    // sets: <postmaster> and <postmaster@hostname> in one envelope are one recipient
    const relay = new Set<string>();
    const reportOnly = new Set<string>();
    const reports = { oob: false, arf: false, arfRecipients: [] as string[] };
    for (const r of session.envelope.rcptTo) {
      const d = st.decisions.get(r.address);
      if (!d) continue;
      const address = qualifyPostmaster(r.address, st.settings.hostname);
      reports.oob ||= d.logOob !== 'Ignore';
      reports.arf ||= d.logArf !== 'Ignore';
      if (d.logArf !== 'Ignore') reports.arfRecipients.push(address);
      if (d.relay || d.logOob === 'LogThenRelay' || d.logArf === 'LogThenRelay') relay.add(address);
      else reportOnly.add(address);
    }
    const tls = session.tlsOptions || undefined;
    const ptr = session.clientHostname && !session.clientHostname.startsWith('[') ? session.clientHostname : undefined;
    const helo = session.hostNameAppearsAs || undefined;
    return receiveMessage(this.host.deps.reception, {
      data: got.data,
      headerLength: got.headerLength,
      buffer: got.buffer,
      crlf: true, // DataReader normalised every line end
      sender: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
      recipients: [...relay],
      reportOnly: [...reportOnly],
      listener: st.settings,
      peer: { ip: st.peer, ...(helo ? { helo } : {}), ...(ptr ? { ptr } : {}) },
      ...(tls ? { tls: { version: tls.version, cipher: tls.standardName || tls.name } } : {}),
      ...(st.authUser !== undefined ? { authUser: st.authUser } : {}),
      protocol: session.openingCommand === 'HELO' ? 'SMTP' : 'ESMTP',
      transmission: session.transmissionType || 'ESMTP',
      ...(reports.oob || reports.arf ? { reports } : {}),
      ...(session.envelope.smtpUtf8 ? { smtputf8: true } : {}),
      sessionId: session.id,
    });
  }

  /** Every reply passes here (smtp-server-patch): EHLO/AUTH adjustments and Rejection records. */
  onReply(conn: SMTPConnection, code: number, data: string | string[] | null | undefined): { code: number; data: string | string[] } | void {
    // AUTH is advertised only once TLS is up
    if (code === 250 && Array.isArray(data) && !conn.secure) {
      const filtered = data.filter((l, i) => i === 0 || !/^AUTH\b/i.test(l));
      if (filtered.length !== data.length) return { code, data: filtered };
      return;
    }
    if (code === 538) {
      code = 530;
      data = '5.7.0 Must issue a STARTTLS command first';
      this.logRejection(conn, code, data);
      return { code, data };
    }
    if (code >= 400) this.logRejection(conn, code, typeof data === 'string' ? data : Array.isArray(data) ? data.join(' ') : '');
  }

  private logRejection(conn: SMTPConnection, code: number, text: string): void {
    if (code === 421 && text.startsWith('4.3.2 ')) return; // shutting down: not a rejection worth a record
    rejectedReplies.inc({ listener: this.host.name, code: String(code) });
    const records = this.host.deps.reception.records;
    const st = this.byId.get(conn.id);
    const command = st?.pendingCommand ?? null;
    const recipient = st?.pendingRecipient ?? conn.session?.envelope?.rcptTo?.at(-1)?.address ?? '';
    if (st) {
      st.pendingCommand = undefined;
      st.pendingRecipient = undefined;
    }
    if (!records) return;
    const session = conn.session;
    const tls = session?.tlsOptions || undefined;
    const now = Date.now();
    // KumoMTA's Rejection record: no message yet (id '', size 0, queue ''), the reply with its
    // enhanced code, the command it answered and the recipient concerned
    records.write(logRecord({
      type: 'Rejection',
      id: '',
      sender: session?.envelope?.mailFrom ? session.envelope.mailFrom.address : '',
      recipient,
      queue: '',
      site: '',
      size: 0,
      response: logResponse(code, text, command),
      peer: { name: (session?.hostNameAppearsAs as string | false) || '', addr: st?.peer ?? conn.remoteAddress },
      at: now,
      created: now,
      attempts: 0,
      nodeid: nodeIdFor(this.host.deps.store.current.main.spool.path),
      meta: { listener: this.host.name, ...(st?.authUser !== undefined ? { authz_id: st.authUser } : {}) },
      receptionProtocol: 'ESMTP',
      tls: tls ? { cipher: tls.standardName || tls.name, protocol: tls.version } : undefined,
      sessionId: conn.id,
    }));
  }
}

/**
 * RFC 5321 §4.1.1.11: a parameter the server does not know gets 555. Those of the extensions
 * advertised, AUTH=, and DSN's (RET, ENVID, NOTIFY, ORCPT: not advertised, accepted and
 * ignored, as clients that send them regardless expect) are known.
 */
const MAIL_PARAMS = new Set(['SIZE', 'BODY', 'SMTPUTF8', 'AUTH', 'REQUIRETLS', 'RET', 'ENVID']);
const RCPT_PARAMS = new Set(['NOTIFY', 'ORCPT']);

function unknownParam(address: SMTPServerAddress, known: ReadonlySet<string>): string | undefined {
  const args = address.args;
  if (!args || typeof args !== 'object') return undefined;
  return Object.keys(args).find((k) => !known.has(k.toUpperCase()));
}

