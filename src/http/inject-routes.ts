import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Ajv } from 'ajv';
import type { ErrorObject } from 'ajv';
import { isAddress } from '../inject/address.js';
import { InjectRequestError } from '../inject/generate.js';
import { ClientGoneError, MessageTooLargeError, injectV1, SpoolUnavailableError } from '../inject/inject.js';
import type { InjectLimits, InjectPeer } from '../inject/inject.js';
import { injectErrorSchema, injectRequestSchema, injectResponseSchema } from '../inject/schema.js';
import type { InjectV1Request } from '../inject/schema.js';
import { RendererUnavailableError } from '../inject/render-sandbox.js';
import { TemplateError } from '../inject/templates.js';
import type { ApiDeps } from './api-deps.js';
import { requestUser } from './auth.js';
import { formatSchemaError } from './listener-errors.js';

/**
 * Request validation for the inject route: strict (no coercion, unknown fields are errors rather
 * than dropped as fastify's default ajv does) and `format: "email"` checked by our own address
 * rules (UTF-8 allowed, as SMTPUTF8).
 */
const ajv = new Ajv({ allErrors: false, coerceTypes: false, useDefaults: false, removeAdditional: false, strict: false });
ajv.addFormat('email', { type: 'string', validate: isAddress });

/**
 * One message naming the field, in the API's wording (listener-errors.ts): the deepest error
 * wins, since a oneOf branch's own error says more than "must match exactly one schema".
 */
export function describeSchemaErrors(errors: readonly ErrorObject[], dataVar: string): string {
  const useful = errors.filter((e) => e.keyword !== 'oneOf' && e.keyword !== 'anyOf');
  const pool = useful.length ? useful : errors;
  const depth = (e: ErrorObject) => (e.instancePath.match(/\//g) ?? []).length + (e.keyword === 'additionalProperties' || e.keyword === 'required' ? 1 : 0);
  const best = pool.reduce((a, b) => (depth(b) > depth(a) ? b : a));
  if (best.keyword === 'format' && (best.params as { format?: string }).format === 'email') return `${dataVar}${best.instancePath} is not an email address (user@domain)`;
  return formatSchemaError(best, dataVar);
}

function peerOf(req: FastifyRequest): InjectPeer {
  const sock = req.socket as { encrypted?: boolean; getProtocol?: () => string | null; getCipher?: () => { standardName?: string; name: string } };
  const user = requestUser(req);
  return {
    ip: req.socket.remoteAddress ?? '',
    ...(req.httpListener ? { listener: req.httpListener } : {}),
    ...(user !== undefined ? { authUser: user } : {}),
    ...(sock.encrypted && sock.getCipher ? { tls: { version: sock.getProtocol?.() ?? 'TLS', cipher: sock.getCipher().standardName ?? sock.getCipher().name } } : {}),
  };
}

/** The limits of the HTTP listener the request came in on (applies live). */
function limitsOf(req: FastifyRequest, deps: ApiDeps): InjectLimits {
  const http = deps.reception.store.current.main.http;
  const l = (req.httpListener ? http.listeners.get(req.httpListener) : undefined) ?? http;
  return { maxMessageSize: l.maxMessageSize, renderTimeMs: l.templateTimeoutMs };
}

// description and tags are read by the OpenAPI document (@fastify/swagger)
const routeSchema = {
  description: 'Inject messages: one per recipient, from a complete message or a builder, with Jinja-style templates',
  tags: ['inject'],
  body: injectRequestSchema,
  response: { 200: injectResponseSchema, 400: injectErrorSchema, 413: injectErrorSchema, 503: injectErrorSchema },
};

/** POST /api/inject/v1 (KumoMTA's inject API). */
export function injectRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.post<{ Body: InjectV1Request }>(
    '/api/inject/v1',
    {
      schema: routeSchema,
      validatorCompiler: ({ schema }) => ajv.compile(schema),
      schemaErrorFormatter: (errors, dataVar) => new Error(describeSchemaErrors(errors, dataVar)),
    },
    async (req, reply) => {
      try {
        // the connection closing before the answer is written: the client gave up
        const gone = new AbortController();
        const onClose = () => {
          if (!reply.raw.writableFinished) gone.abort();
        };
        reply.raw.once('close', onClose);
        const res = await injectV1(deps.reception, deps.renderer, req.body, peerOf(req), limitsOf(req, deps), gone.signal);
        reply.raw.removeListener('close', onClose);
        if (gone.signal.aborted) {
          deps.log.warn('inject: the client went away before the answer', { peer: req.socket.remoteAddress, spooled: res.success_count, not_spooled: res.fail_count });
        }
        return res;
      } catch (e) {
        // nothing was spooled for these
        if (e instanceof InjectRequestError) return reply.code(400).send({ error: 'bad_request', message: `body/${e.message}` });
        if (e instanceof ClientGoneError) {
          deps.log.warn('inject: the client went away before anything was spooled; nothing was', { peer: req.socket.remoteAddress, recipients: req.body.recipients.length });
          return reply.code(499).send({ error: 'client_closed_request', message: e.message });
        }
        if (e instanceof MessageTooLargeError) return reply.code(413).send({ error: 'payload_too_large', message: `body/${e.message}`, limit: e.limit });
        if (e instanceof TemplateError) return reply.code(400).send({ error: 'bad_request', message: `body/${e.part}: template error: ${e.detail}` });
        if (e instanceof RendererUnavailableError) {
          deps.log.error('inject: the template renderer could not be started', { error: e.message });
          return reply.code(503).send({ error: 'service_unavailable', message: e.message });
        }
        // the counts say what was spooled before the spool failed
        if (e instanceof SpoolUnavailableError) return reply.code(503).send({ error: 'service_unavailable', message: e.message, ...e.partial });
        /* c8 ignore start -- injectV1 reports every failure it knows as one of the above; anything else is a bug, answered 500 */
        throw e;
      }
      /* c8 ignore stop */
    },
  );
}
