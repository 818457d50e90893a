import type { FastifyInstance } from 'fastify';
import { formatIssue } from '../config/issues.js';
import type { ApiDeps } from './api-deps.js';
import { metricsRegistry } from './metrics.js';

/** Liveness, config status, forced config re-evaluation and Prometheus metrics. */
export function coreRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { store, monitor } = deps;
  app.get('/api/check-liveness/v1', async () => ({ ok: true }));
  app.get('/api/config/status', async () => {
    const s = store.current;
    const f = store.lastFailure;
    return {
      epoch: s.epoch,
      hash: s.hash,
      files: s.files,
      compiled_at: new Date(s.compiledAt).toISOString(),
      warnings: s.warnings.map(formatIssue),
      rejected: f ? { at: new Date(f.at).toISOString(), errors: f.issues.filter((i) => i.severity === 'error').map(formatIssue) } : null,
    };
  });
  const bump = async () => {
    await monitor.force();
    const f = store.lastFailure;
    return { epoch: store.current.epoch, rejected: f ? f.issues.filter((i) => i.severity === 'error').map(formatIssue) : null };
  };
  app.post('/api/admin/bump-config-epoch', bump);
  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', metricsRegistry().contentType);
    return metricsRegistry().metrics();
  });
}
