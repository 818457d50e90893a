import type { FastifyInstance, FastifyReply } from 'fastify';
import type { AdminRule, QueueSelector } from '../admin/rules.js';
import { parseDuration } from '../config/values.js';
import { rfc3339 } from '../logging/record-fields.js';
import { bulkBounce, bulkRebind, holdSuspended } from '../queue/admin-ops.js';
import { durationOf, readySuspendEntry } from '../queue/admin-view.js';
import type { ApiDeps } from './api-deps.js';
import {
  adminRouteOptions, bounceListSchema, bounceSchema, cancelSchema, rebindSchema, suspendListSchema, suspendReadyListSchema, suspendReadySchema, suspendSchema,
} from './admin-schemas.js';

/** KumoMTA's default lifetime of a bounce or suspension directive. */
const DEFAULT_DURATION_MS = 5 * 60_000;

interface SelectorBody {
  domain?: string | null;
  routing_domain?: string | null;
  tenant?: string | null;
  campaign?: string | null;
  queue_names?: string[];
}
interface TimingBody {
  duration?: string | null;
  expires?: string | null;
}

class BadRequest extends Error {}

/** A directive lasts at most this long (far beyond any use; keeps the expiry a valid date). */
const MAX_DIRECTIVE_MS = 100 * 365.25 * 86_400_000;

/** The expiry of a directive: `expires`, else now + `duration` (default 5m). */
function expiresOf(b: TimingBody): number {
  if (b.expires !== undefined && b.expires !== null) {
    const t = Date.parse(b.expires);
    if (!Number.isFinite(t)) throw new BadRequest(`body/expires: not an RFC 3339 date-time: ${JSON.stringify(b.expires)}`);
    if (t <= Date.now()) throw new BadRequest('body/expires: is in the past');
    if (t - Date.now() > MAX_DIRECTIVE_MS) throw new BadRequest('body/expires: more than 100 years ahead');
    return t;
  }
  if (b.duration === undefined || b.duration === null) return Date.now() + DEFAULT_DURATION_MS;
  let ms: number;
  try {
    ms = parseDuration(b.duration);
  } catch (e) {
    throw new BadRequest(`body/duration: ${(e as Error).message}`);
  }
  if (!(ms > 0)) throw new BadRequest('body/duration: must be longer than 0s');
  if (ms > MAX_DIRECTIVE_MS) throw new BadRequest('body/duration: longer than 100 years');
  return Date.now() + ms;
}

function selectorOf(b: SelectorBody): QueueSelector {
  const s: { -readonly [K in keyof QueueSelector]: QueueSelector[K] } = {};
  if (b.domain != null) s.domain = b.domain;
  if (b.routing_domain != null) s.routing_domain = b.routing_domain;
  if (b.tenant != null) s.tenant = b.tenant;
  if (b.campaign != null) s.campaign = b.campaign;
  if (b.queue_names?.length) s.queue_names = b.queue_names;
  return s;
}

const selectorView = (r: QueueSelector) => ({
  ...(r.domain !== undefined ? { domain: r.domain } : {}),
  ...(r.routing_domain !== undefined ? { routing_domain: r.routing_domain } : {}),
  ...(r.tenant !== undefined ? { tenant: r.tenant } : {}),
  ...(r.campaign !== undefined ? { campaign: r.campaign } : {}),
  ...(r.queue_names?.length ? { queue_names: r.queue_names } : {}),
});

const timingView = (r: AdminRule, now = Date.now()) => ({ duration: durationOf(r.expires - now), expires: rfc3339(r.expires) });

function bad(reply: FastifyReply, e: unknown) {
  if (e instanceof BadRequest) return reply.code(400).send({ error: 'bad_request', message: e.message });
  /* c8 ignore start -- the admin operations throw only BadRequest; anything else is a bug, answered 500 by the error handler */
  throw e;
}
/* c8 ignore stop */

/**
 * KumoMTA's admin actions: bounce, suspend, suspend-ready-q (POST creates, GET lists, DELETE
 * cancels) and rebind. Each change is durable (src/admin/admin-state.ts) before it is answered
 * and logged in the process log; bulk work over the queue runs in slices (src/queue/admin-ops.ts).
 */
export function adminRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { admin, queue, log } = deps;
  const o = adminRouteOptions;

  // ---------- bounce ----------
  app.post<{ Body: SelectorBody & TimingBody & { reason: string; suppress_logging?: boolean } }>('/api/admin/bounce/v1', { ...o, schema: bounceSchema }, async (req, reply) => {
    let expires: number;
    try {
      expires = expiresOf(req.body);
    } catch (e) {
      return bad(reply, e);
    }
    const rule = await admin.addBounce({ ...selectorOf(req.body), reason: req.body.reason, expires, suppress_logging: req.body.suppress_logging });
    // the queued messages now; new ones meet the rule at intake (src/queue/manager.ts adminGate)
    const { bounced, total } = await bulkBounce(queue, rule, log);
    return { id: rule.id, bounced, total_bounced: total };
  });
  app.get('/api/admin/bounce/v1', { ...o, schema: bounceListSchema }, async () =>
    admin.list('bounce').map((r) => ({
      id: r.id,
      ...selectorView(r),
      reason: r.reason,
      ...timingView(r),
      suppress_logging: r.suppress_logging,
      bounced: r.bounced,
      total_bounced: Object.values(r.bounced).reduce((a, b) => a + b, 0),
    })),
  );
  app.delete<{ Body: { id: string } }>('/api/admin/bounce/v1', { ...o, schema: cancelSchema('an admin bounce') }, async (req, reply) => {
    const r = await admin.cancel('bounce', req.body.id);
    if (!r) return reply.code(404).send({ error: 'not_found', message: `no active bounce with id ${req.body.id}` });
    return { id: r.id };
  });

  // ---------- suspend (scheduled queues) ----------
  app.post<{ Body: SelectorBody & TimingBody & { reason: string } }>('/api/admin/suspend/v1', { ...o, schema: suspendSchema }, async (req, reply) => {
    let expires: number;
    try {
      expires = expiresOf(req.body);
    } catch (e) {
      return bad(reply, e);
    }
    const rule = await admin.addSuspend({ ...selectorOf(req.body), reason: req.body.reason, expires });
    holdSuspended(queue, rule);
    return { id: rule.id };
  });
  app.get('/api/admin/suspend/v1', { ...o, schema: suspendListSchema }, async () =>
    admin.list('suspend').map((r) => ({ id: r.id, ...selectorView(r), reason: r.reason, ...timingView(r) })),
  );
  app.delete<{ Body: { id: string } }>('/api/admin/suspend/v1', { ...o, schema: cancelSchema('a scheduled-queue suspension (resume)') }, async (req, reply) => {
    const r = await admin.cancel('suspend', req.body.id);
    if (!r) return reply.code(404).send({ error: 'not_found', message: `no active suspension with id ${req.body.id}` });
    return { id: r.id };
  });

  // ---------- suspend-ready-q ----------
  app.post<{ Body: TimingBody & { name: string; reason: string } }>('/api/admin/suspend-ready-q/v1', { ...o, schema: suspendReadySchema }, async (req, reply) => {
    let expires: number;
    try {
      expires = expiresOf(req.body);
      if (!req.body.name.trim()) throw new BadRequest('body/name: must not be empty');
    } catch (e) {
      return bad(reply, e);
    }
    const rule = await admin.addReadySuspend({ name: req.body.name.trim(), reason: req.body.reason, expires });
    return { id: rule.id };
  });
  app.get('/api/admin/suspend-ready-q/v1', { ...o, schema: suspendReadyListSchema }, async () => admin.list('suspend-ready-q').map((r) => readySuspendEntry(r)));
  app.delete<{ Body: { id: string } }>('/api/admin/suspend-ready-q/v1', { ...o, schema: cancelSchema('a ready-queue suspension (resume)') }, async (req, reply) => {
    const r = await admin.cancel('suspend-ready-q', req.body.id);
    if (!r) return reply.code(404).send({ error: 'not_found', message: `no active ready-queue suspension with id ${req.body.id}` });
    return { id: r.id };
  });

  // ---------- rebind ----------
  app.post<{ Body: SelectorBody & { reason: string; data?: Record<string, string>; always_flush?: boolean; suppress_logging?: boolean; trigger_rebind_event?: boolean } }>(
    '/api/admin/rebind/v1',
    { ...o, schema: rebindSchema },
    async (req, reply) => {
      const b = req.body;
      if (b.trigger_rebind_event) return reply.code(400).send({ error: 'bad_request', message: 'body/trigger_rebind_event: not supported (kumo-ts has no rebind_message event); the data is merged into the metadata' });
      log.info('admin: rebind requested', { ...selectorView(selectorOf(b)), reason: b.reason, data: b.data ?? {}, always_flush: b.always_flush === true });
      return bulkRebind(queue, { ...selectorOf(b), reason: b.reason, data: b.data ?? {}, always_flush: b.always_flush }, log);
    },
  );
}
