import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import type { HttpListenerSettings } from '../config/http-settings.js';
import type { Logger } from '../logging/logger.js';
import type { ApiDeps } from './api-deps.js';
import type { ListenerAuth } from './auth.js';
import { installAuth } from './auth.js';
import { installBrowserGuard } from './browser-guard.js';
import { installErrorHandling, schemaErrorFormatter } from './listener-errors.js';
import { installValidation } from './listener-validation.js';
import { openApiRoute, registerOpenApi } from './openapi.js';
import type { RouteRecord } from './openapi.js';
import { registerRoutes } from './routes.js';

export interface AppContext {
  readonly name: string;
  /** the listener's settings in force (read per request) */
  readonly settings: () => HttpListenerSettings;
  readonly auth: ListenerAuth;
  readonly log: Logger;
  /**
   * For HTTPS: turns an accepted TCP connection into the TLS socket handed to the HTTP
   * parser (src/http/tls-accept.ts); undefined for plain HTTP.
   */
  readonly wrap?: (raw: Socket, serve: (s: Socket) => void) => void;
}

/** The HTTP server of an app: plain, or with the TLS handshake done by `wrap` (see AppContext). */
function serverFactory(wrap: AppContext['wrap'], maxBodySize: () => number) {
  return (handler: Parameters<typeof createServer>[1]): Server => {
    const server = createServer(handler);
    // "Expect: 100-continue" with a body over the limit: no 100, so the client does not send
    // it; the request goes through the app as usual and gets its 413 (browser-guard.ts)
    server.on('checkContinue', (req, res) => {
      if (!(Number(req.headers['content-length'] ?? NaN) > maxBodySize())) res.writeContinue();
      handler!(req, res);
    });
    if (wrap) {
      // what https.Server does, with our certificate store choosing the context per handshake
      const http1 = server.listeners('connection') as ((s: Socket) => void)[];
      server.removeAllListeners('connection');
      server.on('connection', (raw: Socket) => wrap(raw, (tlsSocket) => {
        for (const f of http1) f.call(server, tlsSocket);
      }));
    }
    return server;
  };
}

/**
 * One listener's fastify app: auth, browser guard, strict validation with JSON errors, the
 * admin request log, the OpenAPI document and every route of routes.ts. `routes` receives
 * every route as it is registered.
 */
export async function buildApp(ctx: AppContext, deps: ApiDeps, routes: RouteRecord[]): Promise<FastifyInstance> {
  const app = Fastify({
    logger: false,
    serverFactory: serverFactory(ctx.wrap, () => ctx.settings().maxBodySize),
    schemaErrorFormatter,
    // bodies are read by our own parser against the live max_body_size (browser-guard.ts)
    bodyLimit: Number.MAX_SAFE_INTEGER,
    return503OnClosing: true,
  });
  installValidation(app);
  installErrorHandling(app, ctx.log, ctx.name);
  await registerOpenApi(app, routes);
  installAuth(app, ctx.auth, ctx.settings);
  installBrowserGuard(app, ctx.settings);
  app.addHook('onResponse', async (req, reply) => {
    if (!req.url.startsWith('/api/admin/')) return;
    const q = req.url.indexOf('?');
    ctx.log.info('http admin request', {
      listener: ctx.name,
      method: req.method,
      path: q < 0 ? req.url : req.url.slice(0, q),
      ...(q < 0 ? {} : { query: req.url.slice(q + 1) }),
      peer: req.socket.remoteAddress,
      ...(req.apiUser ? { user: req.apiUser, auth: req.kumoAuth?.scheme } : {}),
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime),
    });
  });
  openApiRoute(app);
  registerRoutes(app, deps);
  await app.ready();
  return app;
}
