import { Ajv } from 'ajv';
import type { ErrorObject } from 'ajv';
import type { FastifySchema, FastifySchemaCompiler } from 'fastify';

/**
 * JSON Schemas of the admin routes (KumoMTA's request/response bodies: BounceV1Request,
 * SuspendV1Request, SuspendReadyQueueV1Request, RebindV1Request, InspectMessageV1Response...).
 * They validate requests and are the source of the OpenAPI document.
 */

// bodies: strict (no coercion, unknown fields are errors); query strings: "true" → true
const strict = new Ajv({ validateFormats: false, allErrors: false, coerceTypes: false, useDefaults: false, removeAdditional: false, strict: false });
const coercing = new Ajv({ validateFormats: false, allErrors: false, coerceTypes: 'array', useDefaults: true, removeAdditional: false, strict: false });

/** Route options shared by every admin route: our validators and errors that name the field. */
export const adminRouteOptions = {
  validatorCompiler: (({ schema, httpPart }) => (httpPart === "querystring" ? coercing : strict).compile(schema as object)) as FastifySchemaCompiler<unknown>,
  schemaErrorFormatter: (errors: ErrorObject[], dataVar: string) => new Error(describeErrors(errors, dataVar)),
};

/** "body/duration: must be string", "body: missing required field \"reason\"", "body: unknown field \"x\"". */
export function describeErrors(errors: readonly ErrorObject[], dataVar: string): string {
  const e = errors[0];
  if (!e) return `${dataVar}: invalid`;
  const path = `${dataVar}${e.instancePath}`;
  const p = e.params as Record<string, unknown>;
  if (e.keyword === 'additionalProperties') return `${path}: unknown field "${String(p.additionalProperty)}"`;
  if (e.keyword === 'required') return `${path}: missing required field "${String(p.missingProperty)}"`;
  return `${path}: ${e.message ?? 'is invalid'}`;
}

const str = (description: string) => ({ type: 'string', description }) as const;
const nstr = (description: string) => ({ type: ['string', 'null'], description }) as const;

// an empty string would match nothing (or, read as "any", everything): refused either way
const sel = (description: string) => ({ ...nstr(description), minLength: 1 }) as const;

const selectorProps = {
  domain: sel('The domain name to match. If omitted, any domain will match.'),
  routing_domain: sel('The routing_domain name to match. If omitted, any routing_domain will match.'),
  tenant: sel('The tenant to match. If omitted, any tenant will match.'),
  campaign: sel('The campaign name to match. If omitted, any campaign will match.'),
  // an empty list would read as "no restriction" (every queue): refused, as empty strings are
  queue_names: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 }, description: 'Exact scheduled queue names; when present they take precedence over domain, routing_domain, tenant and campaign. At least one (leave the field out to select by the other fields, or every queue).' },
} as const;
type SelectorField = keyof typeof selectorProps;

/** The selector fields a request body takes (a route takes all or some of them). */
function selector(...fields: SelectorField[]): Partial<typeof selectorProps> {
  return Object.fromEntries(fields.map((f) => [f, selectorProps[f]]));
}

/** The selector fields as a listed entry shows them: their types, without the request's descriptions. */
function listedSelector(...fields: SelectorField[]): Record<string, object> {
  return Object.fromEntries(fields.map((f) => {
    const { description: _, ...type } = selectorProps[f];
    return [f, type];
  }));
}

const timing = {
  duration: nstr('How long the directive remains active, e.g. "5m", "2h" (default 5m).'),
  expires: { type: ['string', 'null'], format: 'date-time', description: 'An explicit expiry time (RFC 3339) instead of a duration.' },
} as const;

export const errorSchema = {
  type: 'object',
  properties: { error: { type: 'string' }, message: { type: 'string' } },
  required: ['error', 'message'],
} as const;

const idBody = {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: { id: { type: 'string', description: 'The id returned when the entry was created.' } },
} as const;

/** The answer of a route that creates an entry: its id (for the DELETE that cancels it). */
const createdResponse = { 200: { type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid' } } }, 400: errorSchema } as const;

const ruleRef = {
  type: ['object', 'null'],
  properties: { id: { type: 'string' }, reason: { type: 'string' }, expires: { type: 'string', format: 'date-time' } },
  required: ['id', 'reason', 'expires'],
} as const;

const counts = { type: 'object', additionalProperties: { type: 'integer' }, description: 'Recipients bounced, by scheduled queue name.' } as const;

export const bounceSchema: FastifySchema = {
  summary: 'Administratively bounce queued messages that match, and new ones for the duration',
  tags: ['admin'],
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['reason'],
    properties: {
      ...selectorProps,
      ...timing,
      reason: str('Reason logged in each AdminBounce record and shown in the list of bounces.'),
      suppress_logging: { type: 'boolean', description: 'If true, no AdminBounce records are written.' },
    },
  },
  response: {
    200: {
      type: 'object',
      required: ['id', 'bounced', 'total_bounced'],
      properties: { id: { type: 'string', format: 'uuid' }, bounced: counts, total_bounced: { type: 'integer' } },
    },
    400: errorSchema,
  },
};

export const bounceListSchema: FastifySchema = {
  summary: 'List the active admin bounces',
  tags: ['admin'],
  response: {
    200: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'reason', 'duration', 'bounced', 'total_bounced'],
        properties: {
          id: { type: 'string' },
          ...listedSelector('domain', 'routing_domain', 'tenant', 'campaign', 'queue_names'),
          reason: { type: 'string' },
          duration: { type: 'string', description: 'Time remaining until the entry expires.' },
          expires: { type: 'string', format: 'date-time' },
          suppress_logging: { type: 'boolean' },
          bounced: counts,
          total_bounced: { type: 'integer' },
        },
      },
    },
  },
};

export const cancelSchema = (what: string): FastifySchema => ({
  summary: `Cancel ${what}`,
  tags: ['admin'],
  body: idBody,
  response: { 200: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] }, 400: errorSchema, 404: errorSchema },
});

export const suspendSchema: FastifySchema = {
  summary: 'Suspend scheduled queues: nothing from them moves to a ready queue until resumed or expired',
  tags: ['admin'],
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['reason'],
    properties: { ...selector('domain', 'tenant', 'campaign', 'queue_names'), ...timing, reason: str('The reason for the suspension.') },
  },
  response: createdResponse,
};

export const suspendListSchema: FastifySchema = {
  summary: 'List the active scheduled-queue suspensions',
  tags: ['admin'],
  response: {
    200: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'reason', 'duration'],
        properties: {
          id: { type: 'string' },
          ...listedSelector('domain', 'tenant', 'campaign', 'queue_names'),
          reason: { type: 'string' },
          duration: { type: 'string' },
          expires: { type: 'string', format: 'date-time' },
        },
      },
    },
  },
};

export const readySuspendEntrySchema = {
  type: 'object',
  required: ['id', 'name', 'reason', 'duration', 'expires'],
  properties: { id: { type: 'string' }, name: { type: 'string' }, reason: { type: 'string' }, duration: { type: 'string' }, expires: { type: 'string', format: 'date-time' } },
} as const;

export const suspendReadySchema: FastifySchema = {
  summary: 'Suspend a ready queue (egress source → site): no connection is opened until resumed or expired',
  tags: ['admin'],
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['name', 'reason'],
    properties: { name: str('The ready queue name, "source->site@smtp_client" (see queue-summary).'), ...timing, reason: str('The reason for the suspension.') },
  },
  response: createdResponse,
};

export const suspendReadyListSchema: FastifySchema = {
  summary: 'List the active ready-queue suspensions',
  tags: ['admin'],
  response: { 200: { type: 'array', items: readySuspendEntrySchema } },
};

export const rebindSchema: FastifySchema = {
  summary: 'Merge data into the metadata of matching messages and queue them again under their new routing',
  tags: ['admin'],
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['reason'],
    properties: {
      ...selector('domain', 'routing_domain', 'tenant', 'campaign'),
      reason: str('Reason, logged in the process log.'),
      data: {
        type: 'object',
        additionalProperties: { type: 'string' },
        description: 'String keys and values merged into each message\'s metadata: routing_domain, queue (a scheduled queue name), tenant, campaign, or any other key.',
      },
      always_flush: { type: 'boolean', description: 'Make every matched message due now (else only those whose queue changed).' },
      suppress_logging: { type: 'boolean', description: 'Accepted for compatibility (kumo-ts writes no AdminRebind records).' },
      trigger_rebind_event: { type: 'boolean', description: 'Accepted for compatibility; must be false (there is no rebind_message event).' },
    },
  },
  response: {
    200: {
      type: 'object',
      properties: { matched: { type: 'integer' }, moved: { type: 'integer' }, flushed: { type: 'integer' } },
      description: 'KumoMTA answers {}; kumo-ts adds what it did.',
    },
    400: errorSchema,
  },
};

export const inspectSchema: FastifySchema = {
  summary: 'Inspect a spooled message',
  tags: ['admin'],
  querystring: {
    type: 'object',
    required: ['id'],
    properties: { id: str('The spool id of the message.'), want_body: { type: 'boolean', default: false, description: 'Also return the message itself.' } },
  },
  response: {
    200: {
      type: 'object',
      required: ['id', 'message'],
      properties: {
        id: { type: 'string' },
        message: {
          type: 'object',
          required: ['sender', 'recipient', 'meta'],
          properties: {
            sender: { type: 'string' },
            recipient: { type: 'array', items: { type: 'string' } },
            meta: { type: 'object', additionalProperties: true },
            data: { type: 'string' },
            due: { type: ['string', 'null'] },
            num_attempts: { type: 'integer' },
            scheduling: { type: 'object', additionalProperties: true },
          },
        },
      },
    },
    400: errorSchema,
    404: errorSchema,
  },
};

export const readyStatesSchema: FastifySchema = {
  summary: 'States of the ready queues (KumoMTA ReadyQueueStateResponse)',
  tags: ['admin'],
  querystring: { type: 'object', properties: { queues: { type: 'array', items: { type: 'string' }, description: 'Only these ready queues.' } } },
  response: {
    200: {
      type: 'object',
      required: ['states_by_ready_queue'],
      properties: {
        states_by_ready_queue: {
          type: 'object',
          additionalProperties: {
            type: 'object',
            properties: { connection_count: { type: 'integer' }, ready_count: { type: 'integer' }, suspended: readySuspendEntrySchema },
          },
        },
      },
    },
  },
};

const summaryRule = ruleRef;
export const queueSummarySchema: FastifySchema = {
  summary: 'Scheduled and ready queues with counts and admin state, and outcome counters since start',
  tags: ['admin'],
  response: {
    200: {
      type: 'object',
      required: ['scheduled', 'ready', 'totals'],
      properties: {
        scheduled: {
          type: 'array',
          items: {
            type: 'object',
            required: ['name', 'domain', 'count', 'oldest_age_s', 'suspended', 'bounce'],
            properties: {
              name: { type: 'string' },
              domain: { type: 'string' },
              tenant: { type: 'string' },
              campaign: { type: 'string' },
              count: { type: 'integer' },
              oldest_age_s: { type: 'integer' },
              suspended: summaryRule,
              bounce: summaryRule,
            },
          },
        },
        ready: {
          type: 'array',
          items: {
            type: 'object',
            required: ['name', 'source', 'site', 'count', 'connections', 'suspended'],
            properties: { name: { type: 'string' }, source: { type: 'string' }, site: { type: 'string' }, count: { type: 'integer' }, connections: { type: 'integer' }, suspended: summaryRule },
          },
        },
        totals: {
          type: 'object',
          required: ['scheduled', 'ready', 'received_total', 'delivered_total', 'transient_total', 'failed_total'],
          properties: {
            scheduled: { type: 'integer' },
            ready: { type: 'integer' },
            received_total: { type: 'integer' },
            delivered_total: { type: 'integer' },
            transient_total: { type: 'integer' },
            failed_total: { type: 'integer' },
          },
        },
      },
    },
  },
};

export const logFilterSchema: FastifySchema = {
  summary: 'Change the process log level live (KumoMTA diagnostic filter syntax, e.g. "kumod=debug" or "info")',
  tags: ['admin'],
  body: { type: 'object', additionalProperties: false, required: ['filter'], properties: { filter: str('The diagnostic filter spec.') } },
  response: { 200: { type: 'object', properties: { level: { type: 'string' } } }, 400: errorSchema },
};
