import type { SMTPServerAddress, SMTPServerAuthentication, SMTPServerAuthenticationResponse, SMTPServerDataStream, SMTPServerSession } from 'smtp-server';
import type { CredentialStore } from '../auth/credential-store.js';
import { FailureLimiter } from '../auth/failure-limit.js';
import type { LogRecord } from '../logging/types.js';
import type { ListenerSettings } from './listener-config.js';
import type { ListenerDeps } from './listener.js';
import { receivedMessages, rejectedReplies } from './metrics.js';
import { receiveMessage } from './reception.js';
import { decideRelay, domainOf } from './relay-policy.js';
import type { RelayDecision } from './relay-policy.js';
import type { SMTPConnection } from './smtp-server-patch.js';

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
}

export class SmtpReplyError extends Error {
  constructor(readonly responseCode: number, message: string) {
    super(message);
  }
}

const ENHANCED = /^([245])\.(\d{1,3})\.(\d{1,3})(?: |$)/;

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
  private readonly limiter = new FailureLimiter();

  constructor(private readonly host: SessionHost) {}

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
    if (this.limiter.blocked(st.peer, a.maxFailures, a.failureWindowMs))
      return cb(new SmtpReplyError(421, '4.7.0 too many failed authentication attempts, try again later'));
    const user = auth.username ?? '';
    // PLAIN with an authorization identity different from the login: no proxy authorization
    const authzOk = auth.method !== 'PLAIN' || !auth.authzid || !auth.authcid || auth.authzid === auth.authcid;
    const ok = authzOk && !!user && (await creds.verify(user, auth.password ?? ''));
    if (ok) {
      this.limiter.succeed(st.peer);
      st.authUser = user;
      st.pendingCommand = undefined;
      return cb(null, { user });
    }
    const n = this.limiter.fail(st.peer, a.failureWindowMs);
    this.host.deps.log.info(`listener ${this.host.name}: AUTH ${auth.method} failed`, { peer: st.peer, user, failures: n });
    cb(null, { message: '5.7.8 authentication credentials invalid', responseCode: 535 });
  }

  onMailFrom(address: SMTPServerAddress, session: SMTPServerSession, cb: (err?: Error | null) => void): void {
    const st = this.byId.get(session.id);
    if (!st) return cb(new SmtpReplyError(421, '4.3.0 session state lost'));
    st.decisions.clear();
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
    if (session.envelope.rcptTo.length >= st.settings.maxRecipientsPerMessage) return reject(451, '4.5.3 too many recipients');
    const snapshot = this.host.deps.store.current;
    const mailFrom = session.envelope.mailFrom;
    const d = decideRelay({
      domains: snapshot.listenerDomains,
      listenerKeys: st.listenerKeys,
      relayHosts: st.settings.relayHosts,
      peer: st.peer,
      senderDomain: mailFrom ? domainOf(mailFrom.address) : '',
      recipientDomain: domainOf(address.address),
      authUser: st.authUser,
      authRelays: st.settings.auth?.relay ?? true,
    });
    if (!d.accept) return reject(550, `5.7.1 relaying not permitted for ${st.peer}`);
    st.decisions.set(address.address, d);
    cb();
  }

  onData(stream: SMTPServerDataStream, session: SMTPServerSession, cb: (err?: Error | null, message?: string) => void): void {
    const st = this.byId.get(session.id);
    if (!st) {
      stream.resume();
      return cb(new SmtpReplyError(451, '4.3.0 session state lost'));
    }
    st.busy = true;
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    stream.on('data', (c: Buffer) => {
      if (stream.sizeExceeded) return;
      chunks.push(c);
      size += c.length;
    });
    stream.once('error', () => {
      failed = true; // client went away mid-message: nothing to spool, nobody to answer
      st.busy = false;
    });
    stream.once('end', () => {
      if (failed) return;
      const finish = (err: Error | null, reply?: string) => {
        st.busy = false;
        cb(err, reply);
        if (st.closeAfterReply) {
          const conn = this.host.connection(session.id);
          setImmediate(() => conn?.send(421, `4.3.2 ${st.settings.hostname} shutting down`));
        }
      };
      if (stream.sizeExceeded) return finish(new SmtpReplyError(552, '5.3.4 message too big'));
      st.pendingCommand = 'DATA';
      void this.receive(st, session, Buffer.concat(chunks, size)).then(
        (r) => {
          if (r.ok) receivedMessages.inc({ listener: this.host.name });
          return r.ok ? finish(null, r.reply) : finish(new SmtpReplyError(r.code, r.reply));
        },
        (e: Error) => {
          this.host.deps.log.error(`listener ${this.host.name}: reception failed`, { error: e.stack ?? String(e) });
          finish(new SmtpReplyError(451, '4.3.0 temporary failure, please try again later'));
        },
      );
    });
  }

  private receive(st: SessionState, session: SMTPServerSession, data: Buffer) {
    const relay: string[] = [];
    const reportOnly: string[] = [];
    const reports = { oob: false, arf: false };
    for (const r of session.envelope.rcptTo) {
      const d = st.decisions.get(r.address);
      if (!d) continue;
      reports.oob ||= d.logOob !== 'Ignore';
      reports.arf ||= d.logArf !== 'Ignore';
      if (d.relay || d.logOob === 'LogThenRelay' || d.logArf === 'LogThenRelay') relay.push(r.address);
      else reportOnly.push(r.address);
    }
    const tls = session.tlsOptions || undefined;
    const ptr = session.clientHostname && !session.clientHostname.startsWith('[') ? session.clientHostname : undefined;
    const helo = session.hostNameAppearsAs || undefined;
    return receiveMessage(this.host.deps.reception, {
      data,
      sender: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
      recipients: relay,
      reportOnly,
      listener: st.settings,
      peer: { ip: st.peer, ...(helo ? { helo } : {}), ...(ptr ? { ptr } : {}) },
      ...(tls ? { tls: { version: tls.version, cipher: tls.standardName || tls.name } } : {}),
      ...(st.authUser !== undefined ? { authUser: st.authUser } : {}),
      protocol: session.openingCommand === 'HELO' ? 'SMTP' : 'ESMTP',
      transmission: session.transmissionType || 'ESMTP',
      ...(reports.oob || reports.arf ? { reports } : {}),
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
    const m = ENHANCED.exec(text);
    const session = conn.session;
    const tls = session?.tlsOptions || undefined;
    const rec: LogRecord = {
      type: 'Rejection',
      id: conn.id,
      sender: session?.envelope?.mailFrom ? session.envelope.mailFrom.address : '',
      recipient,
      response: {
        code,
        enhanced_code: m ? { class: Number(m[1]), subject: Number(m[2]), detail: Number(m[3]) } : null,
        content: m ? text.slice(m[0].length).trim() : text,
        command,
      },
      peer_address: { name: (session?.hostNameAppearsAs as string | false) || '', addr: st?.peer ?? conn.remoteAddress },
      timestamp: Date.now() / 1000,
      tls_cipher: tls ? tls.standardName || tls.name : null,
      tls_protocol_version: tls ? tls.version : null,
      reception_protocol: session?.transmissionType || 'ESMTP',
      meta: { listener: this.host.name, ...(st?.authUser !== undefined ? { authz_id: st.authUser } : {}) },
    };
    records.write(rec);
  }
}
