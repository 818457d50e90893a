import type { FastifyInstance } from 'fastify';
import { levelFromFilter } from '../logging/logger.js';
import { inspectMessage, queueSummary, readyQueueStates } from '../queue/admin-view.js';
import type { ApiDeps } from './api-deps.js';
import { adminRouteOptions, inspectSchema, logFilterSchema, queueSummarySchema, readyStatesSchema } from './admin-schemas.js';

/** Read-only admin views (inspect-message, ready-q-states, queue-summary) and the live log level. */
export function adminInspectRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { admin, queue, spool, log, hooks } = deps;
  const o = adminRouteOptions;

  app.get<{ Querystring: { id: string; want_body?: boolean } }>('/api/admin/inspect-message/v1', { ...o, schema: inspectSchema }, async (req, reply) => {
    const m = await inspectMessage(queue, spool, req.query.id, req.query.want_body === true);
    if (!m) return reply.code(404).send({ error: 'not_found', message: `no message with id ${req.query.id} in the spool` });
    return m;
  });

  app.get<{ Querystring: { queues?: string[] } }>('/api/admin/ready-q-states/v1', { ...o, schema: readyStatesSchema }, async (req) => ({
    states_by_ready_queue: readyQueueStates(queue, admin, req.query.queues),
  }));

  app.get('/api/admin/queue-summary/v1', { ...o, schema: queueSummarySchema }, async () => queueSummary(queue, admin, hooks?.views()));

  app.post<{ Body: { filter: string } }>('/api/admin/set_diagnostic_log_filter/v1', { ...o, schema: logFilterSchema }, async (req, reply) => {
    const level = levelFromFilter(req.body.filter);
    if (!level) return reply.code(400).send({ error: 'bad_request', message: `body/filter: no log level in ${JSON.stringify(req.body.filter)} (use error, warn, info, debug or trace, optionally as kumod=LEVEL)` });
    // logged before the change, so that it shows whatever the new level
    log.info('admin: process log level set', { new_level: level, filter: req.body.filter });
    log.setLevel?.(level);
    return { level };
  });
}
