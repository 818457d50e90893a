import type { FastifyInstance } from 'fastify';
import { formatIssue } from '../config/issues.js';
import type { ApiDeps } from './api-deps.js';
import { metricsRegistry, metricsText } from './metrics.js';

const errorList = { type: 'array', items: { type: 'string' }, description: 'file:line:col: message of each error' } as const;

const bumpResponse = {
  type: 'object',
  required: ['epoch', 'rejected'],
  properties: {
    epoch: { type: 'integer', description: 'The epoch in force after the re-evaluation' },
    rejected: { anyOf: [{ type: 'null' }, errorList], description: 'null, or the errors of a config that was rejected (the previous epoch keeps serving)' },
  },
} as const;

const bumpSchema = (alias: boolean) => ({
  summary: alias ? 'Re-evaluate the configuration now (alias of bump-config-epoch)' : 'Re-evaluate the configuration now',
  description: 'Reads and compiles the config files again; a good config becomes a new epoch, a bad one is reported and the current epoch keeps serving.',
  tags: ['admin'],
  response: { 200: bumpResponse },
});

/** Liveness, config status, forced config re-evaluation and Prometheus metrics. */
export function coreRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { store, monitor } = deps;
  app.get('/api/check-liveness/v1', {
    schema: {
      summary: 'Liveness: the process serves HTTP',
      description: 'Open to every client, without credentials (for load balancers).',
      tags: ['status'],
      response: { 200: { type: 'object', required: ['ok'], properties: { ok: { type: 'boolean' } } } },
    },
  }, async () => ({ ok: true }));
  app.get('/api/config/status', {
    schema: {
      summary: 'The config in force and the last rejected change',
      tags: ['status'],
      response: {
        200: {
          type: 'object',
          required: ['epoch', 'hash', 'files', 'compiled_at', 'warnings', 'rejected', 'workers'],
          properties: {
            epoch: { type: 'integer' },
            hash: { type: 'string', description: 'sha256 over the watched files' },
            files: { type: 'array', items: { type: 'string' } },
            compiled_at: { type: 'string', format: 'date-time' },
            warnings: errorList,
            rejected: {
              anyOf: [
                { type: 'null' },
                { type: 'object', required: ['at', 'errors'], properties: { at: { type: 'string', format: 'date-time' }, errors: errorList } },
              ],
            },
            workers: {
              type: 'array',
              description: 'With [server] workers > 1: each reception worker and the config epoch it serves (a worker that refused an epoch keeps its previous one); empty in a single process',
              items: {
                type: 'object',
                required: ['id', 'ready', 'epoch'],
                properties: {
                  id: { type: 'integer' },
                  pid: { type: 'integer', description: 'absent while the worker is being restarted' },
                  ready: { type: 'boolean' },
                  epoch: { type: 'integer', description: 'the last epoch it reported live (0: none yet)' },
                },
              },
            },
          },
        },
      },
    },
  }, async () => {
    const s = store.current;
    const f = store.lastFailure;
    return {
      epoch: s.epoch,
      hash: s.hash,
      files: s.files,
      compiled_at: new Date(s.compiledAt).toISOString(),
      warnings: s.warnings.map(formatIssue),
      rejected: f ? { at: new Date(f.at).toISOString(), errors: f.issues.filter((i) => i.severity === 'error').map(formatIssue) } : null,
      workers: deps.workers?.() ?? [],
    };
  });
  const bump = async () => {
    await monitor.force();
    const f = store.lastFailure;
    return { epoch: store.current.epoch, rejected: f ? f.issues.filter((i) => i.severity === 'error').map(formatIssue) : null };
  };
  app.post('/api/admin/bump-config-epoch', { schema: bumpSchema(false) }, bump);
  // the same handler under a second name (issue 16)
  app.post('/api/admin/bump-configuration', { schema: bumpSchema(true) }, bump);
  app.get('/metrics', {
    schema: {
      summary: 'Prometheus metrics (text exposition format)',
      tags: ['status'],
      produces: ['text/plain'],
      response: { 200: { type: 'string' } },
    },
  }, async (_req, reply) => {
    reply.header('content-type', metricsRegistry().contentType);
    return metricsText();
  });
}
