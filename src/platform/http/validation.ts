import { Ajv, type Options } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifyInstance, FastifyRequest, preValidationHookHandler, RouteOptions } from 'fastify';
import { ValidationError } from './errors.js';

// ajv-formats is CommonJS; under NodeNext its default export arrives as a property of the module.
type AddFormats = (ajv: Ajv) => Ajv;
const formatsModule = addFormatsModule as unknown as AddFormats & { default?: AddFormats };
const addFormats: AddFormats = formatsModule.default ?? formatsModule;

function makeAjv(coerceTypes: Options['coerceTypes'], removeAdditional: boolean): Ajv {
  const ajv = new Ajv({ coerceTypes, useDefaults: true, removeAdditional, allErrors: true, strict: false });
  addFormats(ajv);
  return ajv;
}

/** A whole number written plainly: no sign tricks, hex, exponent, fraction, spaces or leading zeros. */
const PLAIN_INTEGER = /^(0|-?[1-9][0-9]*)$/;

type Part = 'params' | 'querystring';

function integerFields(schema: unknown, part: Part): Array<{ part: Part; name: string }> {
  const props = (schema as { properties?: Record<string, { type?: unknown }> } | undefined)?.properties ?? {};
  return Object.entries(props)
    .filter(([, s]) => s.type === 'integer')
    .map(([name]) => ({ part, name }));
}

/**
 * Ajv's coercion would read "0x1", "1e0", "1.0" or " 1" as 1; an id or a limit in a URL must be
 * written plainly, so those are refused before validation coerces anything.
 */
function plainIntegersOnly(route: RouteOptions): void {
  const fields = [...integerFields(route.schema?.params, 'params'), ...integerFields(route.schema?.querystring, 'querystring')];
  if (fields.length === 0) return;
  // Callback style: no promise per request on the hot reads (GET /products/:id).
  const check: preValidationHookHandler = (request: FastifyRequest, _reply, done) => {
    for (const { part, name } of fields) {
      const source = (part === 'params' ? request.params : request.query) as Record<string, unknown> | undefined;
      const raw = source?.[name];
      if (typeof raw === 'string' && !PLAIN_INTEGER.test(raw)) {
        return done(
          new ValidationError(`${part}/${name} must be a whole number written in decimal digits`, {
            issues: [{ field: `${part}.${name}`, message: 'must be a whole number written in decimal digits' }],
          }),
        );
      }
    }
    done();
  };
  const existing = route.preValidation;
  route.preValidation = existing ? [...(Array.isArray(existing) ? existing : [existing]), check] : [check];
}

type JsonSchema = Record<string, unknown> & {
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: unknown;
  default?: unknown;
};
const SUBSCHEMA_KEYS = new Set(['properties', 'items', 'anyOf', 'oneOf', 'allOf', 'additionalProperties']);

/**
 * A copy of a schema where a property with a default is not required (the client may omit it, and
 * the document says so) and, for bodies, every object refuses properties it does not name.
 */
function tightenSchema(schema: unknown, closeObjects: boolean): unknown {
  if (Array.isArray(schema)) return schema.map((s) => tightenSchema(s, closeObjects));
  if (!schema || typeof schema !== 'object') return schema;
  const out: JsonSchema = {};
  for (const [k, v] of Object.entries(schema as JsonSchema)) {
    out[k] = SUBSCHEMA_KEYS.has(k) ? walk(k, v, closeObjects) : v;
  }
  if (out.properties) {
    const props = out.properties;
    if (out.required) out.required = out.required.filter((name) => props[name]?.default === undefined);
    if (closeObjects && out.additionalProperties === undefined) out.additionalProperties = false;
  }
  return out;
}

function walk(key: string, value: unknown, closeObjects: boolean): unknown {
  if (key === 'properties' && value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([name, s]) => [name, tightenSchema(s, closeObjects)]));
  }
  return typeof value === 'object' ? tightenSchema(value, closeObjects) : value;
}

/**
 * Mass assignment: a body property the schema does not name would otherwise pass through to the
 * service (Ajv only strips what `additionalProperties: false` names), so every body is closed and
 * an unknown field is a 400. The document shows the same schemas, so it says so too.
 */
function tightenRouteSchemas(route: RouteOptions): void {
  const schema = route.schema as Record<string, unknown> | undefined;
  if (!schema) return;
  for (const part of ['body', 'querystring', 'params', 'headers'] as const) {
    if (schema[part]) schema[part] = tightenSchema(schema[part], part === 'body');
  }
}

/**
 * Path, query and header values arrive as strings and are coerced to the schema's types; a JSON body
 * is never coerced, so `{"amount": "100"}` is a wrong type, not a number, and never stripped, so an
 * unknown field is refused rather than ignored.
 */
export function installValidation(app: FastifyInstance): void {
  const coercing = makeAjv('array', true);
  const strict = makeAjv(false, false);
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? strict : coercing).compile(schema));
  app.addHook('onRoute', tightenRouteSchemas);
  app.addHook('onRoute', plainIntegersOnly);
}
