import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import type { SecureContext } from 'node:tls';
import { SMTPServer } from 'smtp-server';
import type { SMTPServerOptions } from 'smtp-server';
import { CredentialStore } from '../auth/credential-store.js';
import type { Logger } from '../logging/logger.js';
import { CertificateStore } from '../tls/cert-store.js';
import type { CertStoreSettings } from '../tls/cert-store.js';
import type { ListenerSettings } from './listener-config.js';
import { readProxyHeader } from './proxy-protocol.js';
import type { ListenerDeps } from './listener-deps.js';
import { liveListeners } from './metrics.js';
import { clientKey } from '../net/client-key.js';
import { newSessionId } from '../logging/session-id.js';
import { IpConnections } from './ip-connections.js';
import { Refusals } from './refusals.js';
import { SmtpSessions, endpointKey } from './session.js';
import './data-gate.js';
import type { GatedServer } from './data-gate.js';
import { onRawSocketClose, TOO_MANY_CLIENTS } from './smtp-server-patch.js';
import type { HookedServer } from './smtp-server-patch.js';

export { endpointKey } from './session.js';
export type { ListenerDeps } from './listener-deps.js';


export function certStoreSettings(s: NonNullable<ListenerSettings['tls']>): CertStoreSettings {
  return { default: s.default, sni: s.sni, expiryWarningMs: s.expiryWarningMs };
}

/** Whether a settings change needs a new listening socket (the rest applies in place). */
export function needsRebind(a: ListenerSettings, b: ListenerSettings): boolean {
  return a.listen.host !== b.listen.host || a.listen.port !== b.listen.port || !!a.tls !== !!b.tls || (a.tls?.implicit ?? false) !== (b.tls?.implicit ?? false);
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a, (_k, v) => (v instanceof Map ? [...v] : v)) === JSON.stringify(b, (_k, v) => (v instanceof Map ? [...v] : v));
}

/**
 * One SMTP listener: a listening socket whose connections are handed (after an optional
 * PROXY header and, for implicit TLS, the handshake) to an smtp-server instance driven by our
 * callbacks. Settings are taken from the current snapshot when a client connects; a session
 * keeps them to its end.
 */
export class SmtpListener {
  private readonly net: Server;
  private readonly smtp: SMTPServer;
  private readonly sessions: SmtpSessions;
  /** accepted sockets not yet handed to smtp-server (PROXY header, implicit TLS handshake) */
  private readonly pending = new Set<Socket>();
  /** open connections per client address (max_connections_per_ip) */
  private readonly perIp = new IpConnections();
  /** sockets handed to smtp-server only to be told 421 (over max_connections_per_ip) */
  private readonly overLimit = new WeakMap<Socket, 'per_ip' | 'total'>();
  private readonly refusals: Refusals;
  private certs: CertificateStore | undefined;
  private creds: CredentialStore | undefined;
  /** the process is shutting down (read by the session callbacks) */
  stopping = false;
  private closed = false;
  private drained: Promise<void> | undefined;
  private resolveDrained: (() => void) | undefined;

  private constructor(
    private settings: ListenerSettings,
    readonly deps: ListenerDeps,
  ) {
    const log = deps.log;
    this.refusals = new Refusals(settings.name, log);
    const listener = this; // eslint-disable-line @typescript-eslint/no-this-alias
    const sessions = (this.sessions = new SmtpSessions({
      name: settings.name,
      deps,
      get stopping() {
        return listener.stopping;
      },
      currentSettings: () => this.currentSettings(),
      credentials: () => this.creds,
      connection: (id) => [...this.smtp.connections].find((c) => c.id === id),
    }));
    const options: SMTPServerOptions = {
      secure: !!settings.tls?.implicit,
      logger: false,
      authOptional: true,
      authMethods: ['PLAIN', 'LOGIN'],
      hideENHANCEDSTATUSCODES: false,
      hideDSN: true,
      hideREQUIRETLS: true,
      rejectOversized: true,
      lenientAddressParsing: false,
      // our own SNICallback: the library's built-in certificate is never used (see below)
      SNICallback: (name, cb) => (this.certs ? this.certs.sniCallback(name, cb) : cb(new Error('no TLS on this listener'))),
      onConnect: (session, cb) => sessions.onConnect(session, cb),
      onAuth: (auth, session, cb) => void sessions.onAuth(auth, session, cb),
      onMailFrom: (addr, session, cb) => sessions.onMailFrom(addr, session, cb),
      onRcptTo: (addr, session, cb) => sessions.onRcptTo(addr, session, cb),
      onData: (stream, session, cb) => sessions.onData(stream, session, cb),
      onClose: (session) => {
        sessions.byId.delete(session.id);
        this.checkDrained();
      },
      resolver: {
        reverse: (ip, cb) => {
          const r = this.deps.resolver();
          if (!r) return cb(null, []);
          r.ptr(ip).then((names) => cb(null, names), (e: Error) => cb(e));
        },
      },
    };
    this.applyOptions(options, settings);
    this.smtp = new SMTPServer(options);
    // STARTTLS takes the default context from this map: serve ours, never the built-in one
    const certsOf = () => this.certs;
    this.smtp.secureContext = {
      get(): SecureContext | undefined {
        return certsOf()?.contextFor();
      },
    } as unknown as Map<string, SecureContext>;
    for (const k of ['key', 'cert', 'ca', 'pfx'] as const) delete (this.smtp.options as unknown as Record<string, unknown>)[k];
    (this.smtp as unknown as HookedServer).kumoOnReply = (conn, code, data) => sessions.onReply(conn, code, data);
    (this.smtp as unknown as HookedServer).kumo = {
      admit: (conn) => {
        const over = this.overLimit.get(conn._socket);
        if (!over) return undefined;
        return over === 'total' ? TOO_MANY_CLIENTS : { code: 421, text: '4.7.0 too many connections from your address' };
      },
      greetDelayMs: () => this.currentSettings().earlyTalkerDelayMs,
      commandTimeoutMs: (conn) => (sessions.byId.get(conn.id)?.settings ?? this.currentSettings()).commandTimeoutMs,
      refused: (conn, reason) => this.refusals.note(reason, clientKey(conn.remoteAddress)),
    };
    (this.smtp as unknown as GatedServer).kumoDataGate = (conn) => sessions.dataGate(conn);
    this.smtp.on('error', (e: Error & { meta?: { remoteAddress?: string } }) =>
      log.debug('smtp connection error', { listener: this.name, error: e.message, peer: e.meta?.remoteAddress }));
    // allowHalfOpen: a client's FIN only ends what it sends; it is still owed our replies (the
    // 250 for a message being spooled). The patch closes the connection once they are written.
    this.net = createServer({ noDelay: true, allowHalfOpen: true }, (socket) => void this.accept(socket));
  }

  /** Builds the listener and starts listening. Throws if the certificate or the bind fails. */
  static async create(settings: ListenerSettings, deps: ListenerDeps): Promise<SmtpListener> {
    const l = new SmtpListener(settings, deps);
    try {
      if (settings.tls) {
        l.certs = new CertificateStore(settings.name, certStoreSettings(settings.tls), deps.log);
        await l.certs.start();
      }
      if (settings.auth) {
        l.creds = new CredentialStore(settings.name, settings.auth.credentials, deps.log);
        await l.creds.start();
      }
      await new Promise<void>((resolve, reject) => {
        l.net.once('error', reject);
        l.net.listen(settings.listen.port, settings.listen.host, () => {
          l.net.removeListener('error', reject);
          resolve();
        });
      });
    } catch (e) {
      l.certs?.close();
      l.creds?.close();
      throw e;
    }
    l.net.on('error', (e) => deps.log.error(`listener ${settings.name}: ${e.message}`));
    liveListeners.add(l);
    const a = l.address();
    deps.log.info('smtp listener ready', {
      listener: settings.name, address: a ? endpointKey(a.address, a.port) : undefined,
      tls: settings.tls ? (settings.tls.implicit ? 'implicit' : 'starttls') : 'none', auth: !!settings.auth,
    });
    return l;
  }

  get name(): string {
    return this.settings.name;
  }

  get current(): ListenerSettings {
    return this.settings;
  }

  address(): AddressInfo | undefined {
    const a = this.net.address();
    return a && typeof a === 'object' ? a : undefined;
  }

  /** Open client connections (including ones still in the PROXY header or TLS handshake). */
  get connectionCount(): number {
    return this.pending.size + this.smtp.connections.size;
  }

  get certificates(): CertificateStore | undefined {
    return this.certs;
  }

  /** New settings (same address and TLS mode): they apply to sessions that start from now on. */
  async update(next: ListenerSettings): Promise<void> {
    const prev = this.settings;
    if (next.tls && !sameJson(certStoreSettings(next.tls), prev.tls && certStoreSettings(prev.tls))) {
      try {
        if (this.certs) await this.certs.reconfigure(certStoreSettings(next.tls));
      } catch (e) {
        this.deps.log.error(`listener ${next.name}: new TLS certificate cannot be loaded; the current one keeps serving: ${(e as Error).message}`);
      }
    }
    if (!sameJson(next.auth?.credentials, prev.auth?.credentials)) {
      const old = this.creds;
      this.creds = undefined;
      if (next.auth) {
        const c = new CredentialStore(next.name, next.auth.credentials, this.deps.log);
        await c.start();
        this.creds = c;
      }
      old?.close();
    }
    this.settings = next;
    this.applyOptions(this.smtp.options, next);
    if (!sameJson({ ...prev, tls: undefined, auth: undefined }, { ...next, tls: undefined, auth: undefined }))
      this.deps.log.info(`listener ${next.name}: new settings apply to new sessions`);
  }

  /**
   * Stops accepting; open sessions carry on to their natural end (QUIT, or the idle
   * timeout). Resolves when the last one is gone; then certificates and credentials close.
   */
  drain(): Promise<void> {
    if (!this.drained) {
      this.drained = new Promise<void>((resolve) => (this.resolveDrained = resolve)).then(() => this.release());
      this.net.close();
      this.deps.log.info(`listener ${this.name} closed for new connections`, { open_sessions: this.connectionCount });
      this.checkDrained();
    }
    return this.drained;
  }

  /**
   * Shutdown: stop accepting, answer idle sessions with 421 at once, let a message being
   * received finish (its reply, then 421), and destroy whatever is left at the deadline.
   */
  async stop(deadlineMs: number): Promise<void> {
    this.stopping = true;
    const drained = this.drain();
    for (const conn of [...this.smtp.connections]) {
      const st = this.sessions.byId.get(conn.id);
      if (st?.busy) st.closeAfterReply = true;
      else conn.send(421, `4.3.2 ${this.settings.hostname} shutting down`);
    }
    const left = Math.max(0, deadlineMs - Date.now());
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([drained, new Promise<void>((r) => (timer = setTimeout(r, left)))]);
    clearTimeout(timer);
    for (const s of this.pending) s.destroy();
    for (const c of [...this.smtp.connections]) {
      c._socket.destroy();
      this.smtp.connections.delete(c);
    }
    this.checkDrained();
    await drained;
  }

  private release(): void {
    if (this.closed) return;
    this.closed = true;
    liveListeners.delete(this);
    this.certs?.close();
    this.creds?.close();
  }

  private checkDrained(): void {
    if (this.drained && this.connectionCount === 0) this.resolveDrained?.();
  }

  private applyOptions(o: SMTPServerOptions, s: ListenerSettings): void {
    o.name = s.hostname;
    o.banner = s.banner;
    o.size = s.maxMessageSize;
    o.maxClients = s.maxConnections;
    o.socketTimeout = s.clientTimeoutMs;
    o.closeTimeout = s.clientTimeoutMs;
    o.disableReverseLookup = !s.reverseLookup;
    o.disabledCommands = [];
  }

  private currentSettings(): ListenerSettings {
    if (this.drained) return this.settings;
    return this.deps.store.current.main.listeners.get(this.name) ?? this.settings;
  }

  // ---- connections ----

  private async accept(socket: Socket): Promise<void> {
    socket.on('error', () => undefined); // errors surface as 'close'; smtp-server logs its own
    if (this.drained) return void socket.destroy();
    const s = this.currentSettings();
    if (this.connectionCount >= s.maxConnections + 16) return void socket.destroy(); // far over the limit: not even a 421
    this.pending.add(socket);
    const gone = () => {
      this.pending.delete(socket);
      this.checkDrained();
    };
    socket.once('close', gone);
    let over: 'per_ip' | 'total' | undefined;
    const handOver = (sock: Socket, remote: { remoteAddress?: string; remotePort?: number }) => {
      socket.removeListener('close', gone);
      this.pending.delete(socket);
      if (over) this.overLimit.set(sock, over); // smtp-server answers 421 and closes (see admit)
      // the connection's id is its KumoMTA session_id (src/logging/session-id.ts)
      this.smtp.connect(sock, { ...remote, id: newSessionId() });
    };
    const peer = socket.remoteAddress ?? '';
    let remote: { remoteAddress?: string; remotePort?: number } = {};
    if (s.proxyProtocolFrom?.has(peer)) {
      try {
        const info = await readProxyHeader(socket, s.clientTimeoutMs);
        if (info.kind === 'proxy') remote = { remoteAddress: info.remoteAddress, remotePort: info.remotePort };
      } catch (e) {
        this.deps.log.warn(`listener ${this.name}: dropped a connection from proxy ${peer}: ${(e as Error).message}`);
        socket.destroy();
        return;
      }
    }
    // counted by the real client address: the PROXY header's when there is one
    const ip = remote.remoteAddress ?? peer;
    const shared = this.deps.sharedIpLimit;
    const slot = shared
      ? await shared.acquire(this.name, ip, { perIp: s.maxConnectionsPerIp, total: s.maxConnections })
      : this.perIp.acquire(ip, s.maxConnectionsPerIp);
    if (slot.release) {
      if (socket.closed) slot.release();
      else onRawSocketClose(socket, slot.release);
    } else if (slot.overTotal) {
      over = 'total';
      this.refusals.note('max_connections', slot.key, { limit: s.maxConnections });
    } else {
      over = 'per_ip';
      this.refusals.note('per_ip_limit', slot.key, { limit: s.maxConnectionsPerIp });
    }
    if (s.tls?.implicit) {
      const certs = this.certs;
      if (!certs) return void socket.destroy();
      let tlsSocket: TLSSocket;
      try {
        tlsSocket = await this.handshake(socket, certs, s.clientTimeoutMs);
      } catch (e) {
        this.deps.log.debug(`listener ${this.name}: TLS handshake failed`, { peer: remote.remoteAddress ?? peer, error: (e as Error).message });
        socket.destroy();
        return;
      }
      handOver(tlsSocket, remote);
    } else {
      if (socket.destroyed) return;
      handOver(socket, remote);
    }
  }

  private handshake(socket: Socket, certs: CertificateStore, timeoutMs: number): Promise<TLSSocket> {
    return new Promise((resolve, reject) => {
      const t = new TLSSocket(socket, { isServer: true, secureContext: certs.contextFor(), SNICallback: certs.sniCallback });
      const timer = setTimeout(() => t.destroy(new Error('TLS handshake timeout')), timeoutMs);
      const fail = (e?: Error) => {
        clearTimeout(timer);
        reject(e ?? new Error('connection closed during the TLS handshake'));
      };
      t.once('error', fail);
      t.once('close', () => fail());
      // half-open sockets: a client that sends its FIN mid-handshake is gone all the same
      t.once('end', () => t.destroy());
      t.once('secure', () => {
        clearTimeout(timer);
        t.removeListener('error', fail);
        t.removeAllListeners('close');
        t.removeAllListeners('end');
        t.on('error', () => undefined);
        resolve(t);
      });
    });
  }
}
