import type { FastifyError, FastifyInstance } from 'fastify';
import type { Logger } from '../logging/logger.js';

/**
 * Every error of the API is JSON `{ error, message }`, `error` a stable snake_case name:
 * validation failures (the route's JSON Schema, src/http/listener-validation.ts) are
 * `400 bad_request` with a message naming the field ("body/recipients/0/email must be string"),
 * an oversized body `413 payload_too_large` naming the limit, unknown routes `404 not_found`,
 * and anything unexpected `500 internal_error` (logged, details not sent).
 */
export class BodyTooLargeError extends Error {
  readonly statusCode = 413;
  readonly code = 'http.body-too-large';
  constructor(readonly limit: number) {
    super(`the request body is larger than the limit of ${limit} bytes ([http] max_body_size)`);
    this.name = 'BodyTooLargeError';
  }
}

const NAMES: Record<number, string> = {
  400: 'bad_request', 401: 'unauthorized', 403: 'forbidden', 404: 'not_found', 405: 'method_not_allowed', 406: 'not_acceptable',
  408: 'request_timeout', 409: 'conflict', 410: 'gone', 411: 'length_required', 413: 'payload_too_large', 415: 'unsupported_media_type',
  422: 'unprocessable_entity', 429: 'too_many_requests', 431: 'request_header_fields_too_large', 503: 'service_unavailable',
};

export function errorName(status: number): string {
  return NAMES[status] ?? (status >= 500 ? 'internal_error' : 'client_error');
}

/** An ajv error in the form fastify hands to schemaErrorFormatter. */
interface SchemaError {
  readonly instancePath?: string;
  readonly keyword?: string;
  readonly message?: string;
  readonly params?: Record<string, unknown>;
}

/** One validation error as "<part><path> <problem>", naming the field (see module comment). */
export function formatSchemaError(e: SchemaError, part: string): string {
  const at = `${part}${e.instancePath ?? ''}`;
  const p = e.params ?? {};
  switch (e.keyword) {
    case 'required':
      return `${at}/${String(p.missingProperty)} is required`;
    case 'additionalProperties':
      return `${at}/${String(p.additionalProperty)} is not a known field`;
    case 'enum':
      return `${at} must be one of ${(p.allowedValues as unknown[] | undefined)?.map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return `${at} ${e.message ?? 'is invalid'}`;
  }
}

/** For `Fastify({ schemaErrorFormatter })`. */
export function schemaErrorFormatter(errors: readonly SchemaError[], dataVar: string): Error {
  return new Error(errors.map((e) => formatSchemaError(e, dataVar)).join('; '));
}

export function installErrorHandling(app: FastifyInstance, log: Logger, listener: string): void {
  app.setErrorHandler((err: FastifyError & { limit?: number }, req, reply) => {
    if (err.validation) return reply.code(400).send({ error: 'bad_request', message: err.message });
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    if (status === 413) {
      const limit = err instanceof BodyTooLargeError ? err.limit : undefined;
      return reply.code(413).send({ error: 'payload_too_large', message: err.message, ...(limit !== undefined ? { limit } : {}) });
    }
    /* c8 ignore start -- no route throws a 5xx on purpose (503 is sent, not thrown): this is the net for bugs */
    if (status >= 500) {
      log.error(`http listener ${listener}: ${req.method} ${req.url} failed: ${err.message}`, { stack: err.stack, code: err.code });
      return reply.code(status).send({ error: errorName(status), message: status === 500 ? 'internal error (see the server log)' : err.message });
    }
    /* c8 ignore stop */
    return reply.code(status).send({ error: errorName(status), message: err.message });
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: 'not_found', message: `no route ${req.method} ${req.url.split('?')[0]}` }));
}
