import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import type { RuntimeContext, Subsystem } from '../runtime/subsystem.js';
import type { LogWriter } from '../logging/types.js';
import type { QueueManager } from '../queue/manager.js';
import type { ReceptionDeps } from '../smtp/reception.js';
import type { Spool } from '../spool/types.js';
import type { Snapshot } from '../config/snapshot.js';
import { registerConfigMetrics } from './metrics.js';
import { registerRoutes } from './routes.js';
import { installBrowserGuard } from './browser-guard.js';

/**
 * The HTTP API (routes in routes.ts).
 * Loopback-only by default (`[http] trusted_hosts`); browser requests (DNS rebinding, cross-site
 * forms) are refused by the checks in browser-guard.ts.
 */
export interface HttpSubsystemDeps {
  readonly spool: Spool;
  readonly records: LogWriter;
  readonly queue: QueueManager;
  /** the reception path shared with SMTP (HTTP inject) */
  readonly reception: ReceptionDeps;
}

export class HttpSubsystem implements Subsystem {
  readonly name = 'http';
  private app: FastifyInstance | undefined;
  private bound = '';
  private ctx!: RuntimeContext;

  constructor(readonly deps: HttpSubsystemDeps) {}

  async start(ctx: RuntimeContext): Promise<void> {
    this.ctx = ctx;
    registerConfigMetrics(ctx.store);
    await this.apply(ctx.store.current);
  }

  async apply(next: Snapshot): Promise<void> {
    const http = next.main.http;
    const want = http.enabled ? `${http.listen.host}:${http.listen.port}` : '';
    if (want === this.bound) return;
    await this.app?.close();
    this.app = undefined;
    this.bound = '';
    if (!want) return;
    const app = this.build();
    try {
      await app.listen({ host: http.listen.host, port: http.listen.port });
      this.app = app;
      this.bound = want;
      this.ctx.log.info(`http listening on ${want}`);
    } catch (e) {
      this.ctx.log.error(`http: cannot listen on ${want}: ${(e as Error).message}`);
    }
  }

  private build(): FastifyInstance {
    const { store, monitor } = this.ctx;
    const app = Fastify({ logger: false });
    app.addHook('onRequest', async (req, reply) => {
      // trusted_hosts is read per request from the current snapshot
      if (!store.current.main.http.trustedHosts.has(req.socket.remoteAddress ?? '')) {
        return reply.code(403).send({ error: 'forbidden', message: `${req.socket.remoteAddress} is not in http.trusted_hosts` });
      }
    });
    installBrowserGuard(app, () => store.current.main.http);
    registerRoutes(app, { ...this.deps, store, monitor, log: this.ctx.log.child({ subsystem: 'http' }) });
    return app;
  }

  async stop(): Promise<void> {
    await this.app?.close();
  }
}
