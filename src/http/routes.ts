import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from './api-deps.js';
import { coreRoutes } from './core-routes.js';
import { injectRoutes } from './inject-routes.js';
import { adminRoutes } from './admin-routes.js';
import { adminInspectRoutes } from './admin-inspect-routes.js';

/** Every route module of the API, in one list (each module: `(app, deps) => void`). */
export function registerRoutes(app: FastifyInstance, deps: ApiDeps): void {
  coreRoutes(app, deps);
  injectRoutes(app, deps);
  adminRoutes(app, deps);
  adminInspectRoutes(app, deps);
}
