import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from './api-deps.js';
import { coreRoutes } from './core-routes.js';

/** Every route module of the API, in one list (each module: `(app, deps) => void`). */
export function registerRoutes(app: FastifyInstance, deps: ApiDeps): void {
  coreRoutes(app, deps);
}
