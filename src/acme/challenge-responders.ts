import { createServer as createHttpServer } from 'node:http';
import type { Server as HttpServer } from 'node:http';
import { createSecureContext, createServer as createTlsServer } from 'node:tls';
import type { SecureContext, Server as TlsServer } from 'node:tls';
import type { HostPort } from '../config/values.js';
import type { Logger } from '../logging/logger.js';

const PREFIX = '/.well-known/acme-challenge/';

/**
 * The challenge answers of the orders in progress: HTTP-01 tokens (served on http01_listen) and
 * TLS-ALPN-01 certificates by host name (served on tls_alpn01_listen with ALPN acme-tls/1,
 * RFC 8737). Each server answers nothing but challenges.
 */
export class ChallengeResponders {
  private readonly tokens = new Map<string, string>();
  private readonly alpn = new Map<string, SecureContext>();
  private http: { server: HttpServer; at: string } | undefined;
  private tls: { server: TlsServer; at: string } | undefined;

  constructor(private readonly log: Logger) {}

  addHttpToken(token: string, keyAuthorization: string): void {
    this.tokens.set(token, keyAuthorization);
  }
  removeHttpToken(token: string): void {
    this.tokens.delete(token);
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
      const answer = req.method === 'GET' && url.startsWith(PREFIX) ? this.tokens.get(url.slice(PREFIX.length)) : undefined;
      if (answer === undefined) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('no such challenge\n');
        return;
      }
      this.log.info('acme: answered an HTTP-01 challenge', { peer: req.socket.remoteAddress });
      res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(answer);
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
