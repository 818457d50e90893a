import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import type { CertificateStore } from '../tls/cert-store.js';
import type { Logger } from '../logging/logger.js';

const HANDSHAKE_TIMEOUT_MS = 30_000;

/**
 * The TLS side of an HTTPS listener, as the SMTP listeners do implicit TLS
 * (src/smtp/listener.ts): each connection's handshake takes the context that the certificate
 * store holds at that moment (SNI name, else the default), so a renewed certificate is served
 * to the next handshake while open connections keep theirs.
 */
export function tlsAcceptor(certs: () => CertificateStore | undefined, log: Logger, listener: string) {
  return (raw: Socket, serve: (s: Socket) => void): void => {
    raw.on('error', () => undefined);
    const store = certs();
    if (!store) return void raw.destroy();
    let t: TLSSocket;
    try {
      t = new TLSSocket(raw, { isServer: true, secureContext: store.contextFor(), SNICallback: store.sniCallback, ALPNProtocols: ['http/1.1'] });
      /* c8 ignore start -- guard: the store exists only once its default certificate loaded, so contextFor() does not throw */
    } catch (e) {
      log.error(`http listener ${listener}: no TLS context: ${(e as Error).message}`);
      return void raw.destroy();
    }
    /* c8 ignore stop */
    const timer = setTimeout(() => t.destroy(new Error('TLS handshake timeout')), HANDSHAKE_TIMEOUT_MS);
    timer.unref();
    const fail = (e?: Error) => {
      clearTimeout(timer);
      log.debug(`http listener ${listener}: TLS handshake failed`, { peer: raw.remoteAddress, error: e?.message ?? 'closed' });
      raw.destroy();
    };
    t.once('error', fail);
    t.once('secure', () => {
      clearTimeout(timer);
      t.removeListener('error', fail);
      t.on('error', () => undefined);
      serve(t);
    });
  };
}
