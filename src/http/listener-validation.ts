import { Ajv } from 'ajv';
import type { AnySchema } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifyInstance } from 'fastify';

// ajv-formats is CommonJS: its default export is the function
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/**
 * Request validation of the API: each route's JSON Schema (`schema.body`, `querystring`,
 * `params`, `headers`) is compiled here. Bodies are checked strictly, unlike fastify's default:
 * no type coercion (`"5"` is not a number) and no silent removal of unknown fields (with
 * `additionalProperties: false` they are errors naming the field). Query strings, path
 * parameters and headers are text by nature, so they are coerced (`?want_body=true` is a
 * boolean). A route may still pass its own `validatorCompiler`.
 */
function ajvFor(coerce: boolean): Ajv {
  const ajv = new Ajv({
    coerceTypes: coerce ? 'array' : false,
    useDefaults: true,
    removeAdditional: false,
    allErrors: false,
    // OpenAPI annotations (example, xml...) are not validation keywords
    strict: false,
  });
  addFormats(ajv);
  return ajv;
}

export function installValidation(app: FastifyInstance): void {
  const body = ajvFor(false);
  const text = ajvFor(true);
  const added = new Set<string>();
  app.setValidatorCompiler(({ schema, httpPart }) => {
    // shared schemas (app.addSchema) referenced by $ref
    for (const [id, s] of Object.entries(app.getSchemas() as Record<string, AnySchema>)) {
      /* c8 ignore start -- no route registers a shared schema (app.addSchema) yet; kept so that a $ref to one resolves */
      if (added.has(id)) continue;
      added.add(id);
      body.addSchema(s, id);
      text.addSchema(s, id);
    }
    /* c8 ignore stop */
    return (httpPart === 'body' ? body : text).compile(schema as AnySchema);
  });
}
