import { createServer as createHttpServer } from 'node:http';
import type { Server as HttpServer } from 'node:http';
import { createSecureContext, createServer as createTlsServer } from 'node:tls';
import type { SecureContext, Server as TlsServer } from 'node:tls';
import type { HostPort } from '../config/values.js';
import type { Logger } from '../logging/logger.js';
import { Dns01Hook } from './dns01-hook.js';

const PREFIX = '/.well-known/acme-challenge/';
const TOKEN_TTL_MS = 15 * 60_000;

/** Where HTTP-01 answers of other nodes are found (the Redis shared store), when there are other nodes. */
export interface SharedTokens {
  putToken(token: string, keyAuthorization: string, ttlMs: number): Promise<void>;
  getToken(token: string): Promise<string | undefined>;
  deleteToken(token: string): Promise<void>;
}

/**
 * The challenge answers of the orders in progress: HTTP-01 tokens (served on http01_listen),
 * TLS-ALPN-01 certificates by host name (served on tls_alpn01_listen with ALPN acme-tls/1,
 * RFC 8737) and the DNS-01 hook. Each server answers nothing but challenges.
 */
export class ChallengeResponders {
  private readonly tokens = new Map<string, string>();
  private readonly alpn = new Map<string, SecureContext>();
  private http: { server: HttpServer; at: string } | undefined;
  private tls: { server: TlsServer; at: string } | undefined;

  /** set while [redis] is: tokens are published there and unknown ones looked up there */
  shared: SharedTokens | undefined;
  /** DNS-01 answers: the operator's hook, one call at a time */
  readonly dns01: Dns01Hook;

  constructor(private readonly log: Logger) {
    this.dns01 = new Dns01Hook(log);
  }

  async addHttpToken(token: string, keyAuthorization: string): Promise<void> {
    this.tokens.set(token, keyAuthorization);
    // Redis down: the order goes on, answered by this node alone
    await this.shared?.putToken(token, keyAuthorization, TOKEN_TTL_MS).catch(() => undefined);
  }
  async removeHttpToken(token: string): Promise<void> {
    this.tokens.delete(token);
    await this.shared?.deleteToken(token).catch(() => undefined); // it expires anyway
  }
  addAlpnCertificate(host: string, certPem: string, keyPem: string): void {
    this.alpn.set(host.toLowerCase(), createSecureContext({ cert: certPem, key: keyPem }));
  }
  removeAlpnCertificate(host: string): void {
    this.alpn.delete(host.toLowerCase());
  }

  /** Binds (or rebinds, or closes) the responders to the configured addresses. */
  async reconcile(http01?: HostPort, tlsAlpn01?: HostPort): Promise<void> {
    const want = (a?: HostPort) => (a ? `${a.host}:${a.port}` : '');
    if (want(http01) !== (this.http?.at ?? '')) {
      await close(this.http?.server);
      this.http = undefined;
      if (http01) this.http = { server: await listen(this.httpServer(), http01), at: want(http01) };
      if (http01) this.log.info(`acme: answering HTTP-01 challenges on ${want(http01)}`);
    }
    if (want(tlsAlpn01) !== (this.tls?.at ?? '')) {
      await close(this.tls?.server);
      this.tls = undefined;
      if (tlsAlpn01) this.tls = { server: await listen(this.tlsServer(), tlsAlpn01), at: want(tlsAlpn01) };
      if (tlsAlpn01) this.log.info(`acme: answering TLS-ALPN-01 challenges on ${want(tlsAlpn01)}`);
    }
  }

  async close(): Promise<void> {
    await Promise.all([close(this.http?.server), close(this.tls?.server)]);
    this.http = this.tls = undefined;
  }

  private httpServer(): HttpServer {
    return createHttpServer((req, res) => {
      const url = req.url ?? '';
      const token = req.method === 'GET' && url.startsWith(PREFIX) ? url.slice(PREFIX.length) : undefined;
      const local = token === undefined ? undefined : this.tokens.get(token);
      const lookup = local !== undefined || token === undefined || !this.shared ? Promise.resolve(local) : this.shared.getToken(token).catch(() => undefined);
      void lookup.then((answer) => {
        if (answer === undefined) {
          res.writeHead(404, { 'content-type': 'text/plain' }).end('no such challenge\n');
          return;
        }
        this.log.info('acme: answered an HTTP-01 challenge', { peer: req.socket.remoteAddress, ...(local === undefined ? { from: 'shared store' } : {}) });
        res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(answer);
      });
    });
  }

  private tlsServer(): TlsServer {
    const server = createTlsServer({
      ALPNProtocols: ['acme-tls/1'],
      SNICallback: (name, cb) => {
        const ctx = this.alpn.get(name.toLowerCase());
        if (ctx) this.log.info('acme: answering a TLS-ALPN-01 challenge', { name });
        cb(ctx ? null : new Error(`no TLS-ALPN-01 challenge for ${name}`), ctx);
      },
    });
    // the validator closes the connection after the handshake; errors of other clients are theirs
    server.on('tlsClientError', () => undefined);
    server.on('secureConnection', (s) => s.end());
    return server;
  }
}

function listen<S extends HttpServer | TlsServer>(server: S, at: HostPort): Promise<S> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(at.port, at.host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

function close(server: HttpServer | TlsServer | undefined): Promise<void> {
  if (!server) return Promise.resolve();
  return new Promise((resolve) => {
    server.close(() => resolve());
    (server as HttpServer).closeAllConnections?.();
  });
}
