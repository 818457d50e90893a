import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { Gauge } from 'prom-client';
import type { HttpListenerSettings, HttpTlsSettings } from '../config/http-settings.js';
import type { ConfigStore } from '../config/store.js';
import type { Logger } from '../logging/logger.js';
import { CertificateStore } from '../tls/cert-store.js';
import type { CertStoreSettings } from '../tls/cert-store.js';
import type { ApiDeps } from './api-deps.js';
import { ListenerAuth } from './auth.js';
import { buildApp } from './listener-app.js';
import { metricsRegistry } from './metrics.js';
import type { RouteRecord } from './openapi.js';
import { tlsAcceptor } from './tls-accept.js';

export const httpListenerUp = new Gauge({
  name: 'kumo_ts_http_listener_up',
  help: '1 while the HTTP listener is bound and serving, 0 when it could not bind (see the process log)',
  labelNames: ['listener'] as const,
  registers: [metricsRegistry()],
});

function certSettings(t: HttpTlsSettings): CertStoreSettings {
  return { default: t.default, sni: t.sni, expiryWarningMs: t.expiryWarningMs };
}

function sameJson(a: unknown, b: unknown): boolean {
  const rep = (_k: string, v: unknown) => (v instanceof Map ? [...v] : v instanceof Set ? [...v] : v);
  return JSON.stringify(a, rep) === JSON.stringify(b, rep);
}

export const endpointOf = (s: HttpListenerSettings) => `${s.listen.host.includes(':') ? `[${s.listen.host}]` : s.listen.host}:${s.listen.port}`;

/** Whether a change needs a new socket: another address, or TLS switched on or off. */
export function needsRebind(a: HttpListenerSettings, b: HttpListenerSettings): boolean {
  return a.listen.host !== b.listen.host || a.listen.port !== b.listen.port || !!a.tls !== !!b.tls;
}

/**
 * One HTTP listener: a fastify app on its own socket, with its certificate store (HTTPS) and
 * credential stores. Settings are read per request from the current snapshot; certificate and
 * credential sources are reloaded in place when they change.
 */
export class HttpListener {
  private app: FastifyInstance | undefined;
  private certs: CertificateStore | undefined;
  readonly auth: ListenerAuth;
  /** every route of the app, as registered (test/http/openapi.test.ts) */
  readonly routes: RouteRecord[] = [];
  private bound = false;

  constructor(
    private settings: HttpListenerSettings,
    private readonly deps: ApiDeps,
    private readonly store: ConfigStore,
    private readonly log: Logger,
  ) {
    this.auth = new ListenerAuth(settings.name, log);
  }

  get name(): string {
    return this.settings.name;
  }

  address(): AddressInfo | undefined {
    const a = this.app?.server.address();
    return a && typeof a === 'object' ? a : undefined;
  }

  /** The settings of the snapshot in force (the compiled copy until the first swap after a change). */
  private live(): HttpListenerSettings {
    return this.store.current.main.http.listeners.get(this.name) ?? this.settings;
  }

  /**
   * Loads certificates and credentials and binds. Never throws: a listener that cannot bind
   * (or has no usable certificate) logs an error naming itself and its address, stays down
   * (kumo_ts_http_listener_up 0) and is tried again at the next config change.
   */
  async start(): Promise<void> {
    const s = this.settings;
    const where = `${s.tls ? 'https' : 'http'}://${endpointOf(s)}`;
    this.routes.length = 0;
    try {
      await this.auth.configure(s.auth);
      if (s.tls && !this.certs) {
        const certs = new CertificateStore(`http:${s.name}`, certSettings(s.tls), this.log);
        await certs.start();
        this.certs = certs;
      }
      const app = await buildApp({
        name: s.name,
        settings: () => this.live(),
        auth: this.auth,
        log: this.log,
        wrap: s.tls ? tlsAcceptor(() => this.certs, this.log, s.name) : undefined,
      }, this.deps, this.routes);
      try {
        await app.listen({ host: s.listen.host, port: s.listen.port });
      } catch (e) {
        await app.close().catch(() => undefined);
        throw e;
      }
      app.server.on('error', (e) => this.log.error(`http listener ${s.name}: ${e.message}`));
      this.app = app;
      this.bound = true;
      httpListenerUp.set({ listener: s.name }, 1);
      const a = this.address();
      this.log.info('http listener ready', {
        listener: s.name, address: a ? `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}` : where,
        tls: !!s.tls, trusted_hosts: s.trustedHosts.entries, auth: s.auth ? [s.auth.credentials && 'basic', s.auth.tokens && 'bearer'].filter(Boolean) : [],
      });
    } catch (e) {
      this.bound = false;
      httpListenerUp.set({ listener: s.name }, 0);
      this.log.error(`http listener ${s.name}: cannot listen on ${where}: ${(e as Error).message}`, { listener: s.name, address: endpointOf(s), code: (e as { code?: string }).code });
    }
  }

  /** New settings: rebind when the address or TLS mode changed (or it is down), else reload sources in place. */
  async update(next: HttpListenerSettings): Promise<void> {
    const prev = this.settings;
    const rebind = !this.bound || needsRebind(prev, next);
    if (rebind) await this.close(Date.now() + 2_000, false);
    this.settings = next;
    if (!next.tls && this.certs) {
      this.certs.close();
      this.certs = undefined;
    } else if (next.tls && this.certs && !sameJson(certSettings(next.tls), prev.tls && certSettings(prev.tls))) {
      try {
        await this.certs.reconfigure(certSettings(next.tls));
      } catch (e) {
        this.log.error(`http listener ${next.name}: new TLS certificate cannot be loaded; the current one keeps serving: ${(e as Error).message}`);
      }
    }
    if (rebind) return this.start();
    if (!sameJson(prev.auth, next.auth)) await this.auth.configure(next.auth);
  }

  /**
   * Stops: no new connections; requests in progress may finish until the deadline, then open
   * connections are cut. `final` also releases certificates and credentials and the metric.
   */
  async close(deadlineMs: number, final = true): Promise<void> {
    const app = this.app;
    this.app = undefined;
    const wasBound = this.bound;
    this.bound = false;
    if (app) {
      let timer: NodeJS.Timeout | undefined;
      const cut = new Promise<void>((r) => (timer = setTimeout(r, Math.max(0, deadlineMs - Date.now()))));
      await Promise.race([app.close(), cut]);
      clearTimeout(timer);
      app.server.closeAllConnections();
      if (wasBound) this.log.info(`http listener ${this.name} closed`, { listener: this.name });
    }
    if (final) {
      this.certs?.close();
      this.certs = undefined;
      this.auth.close();
      httpListenerUp.remove({ listener: this.name });
    }
  }
}
