import swagger from '@fastify/swagger';
import type { FastifyInstance, RouteOptions } from 'fastify';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../paths.js';

/**
 * The OpenAPI 3 document of the API, built by @fastify/swagger from each route's own JSON
 * Schema (the same schema that validates its requests, src/http/listener-validation.ts), and
 * served at GET /api/docs/openapi.json. Nothing is written twice: a route without a schema
 * shows up without one (test/http/openapi.test.ts fails on that).
 */
export const OPENAPI_PATH = '/api/docs/openapi.json';

/** A registered route, as seen by the onRoute hook (for tests and the docs). */
export interface RouteRecord {
  readonly method: string;
  readonly url: string;
  readonly schema: RouteOptions['schema'];
}

function version(): string {
  try {
    return (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    /* c8 ignore start -- package.json ships with the package; only a broken install lacks it */
  } catch {
    return '0.0.0';
  }
  /* c8 ignore stop */
}

/** Must run before any route is added: the swagger plugin and our route list use onRoute. */
export async function registerOpenApi(app: FastifyInstance, routes: RouteRecord[]): Promise<void> {
  app.addHook('onRoute', (r) => {
    for (const m of ([] as string[]).concat(r.method)) routes.push({ method: m, url: r.url, schema: r.schema });
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'kumo-ts HTTP API',
        version: version(),
        description: 'Peers in trusted_hosts are served without credentials; others authenticate with HTTP Basic or a Bearer token. Errors are JSON {"error": "<snake_case name>", "message": "..."}; a request that does not match its route\'s schema gets 400 bad_request naming the field.',
      },
      components: {
        securitySchemes: {
          basic: { type: 'http', scheme: 'basic' },
          bearer: { type: 'http', scheme: 'bearer' },
        },
      },
      security: [{}, { basic: [] }, { bearer: [] }],
    },
  });
}

export function openApiRoute(app: FastifyInstance): void {
  app.get(OPENAPI_PATH, {
    schema: {
      summary: 'This OpenAPI 3 document',
      tags: ['docs'],
      response: { 200: { type: 'object', additionalProperties: true } },
    },
  }, async () => app.swagger());
}
