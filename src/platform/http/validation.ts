import { Ajv, type Options } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifyInstance, FastifyRequest, preValidationHookHandler, RouteOptions } from 'fastify';
import { ValidationError } from './errors.js';

// ajv-formats is CommonJS; under NodeNext its default export arrives as a property of the module.
type AddFormats = (ajv: Ajv) => Ajv;
const formatsModule = addFormatsModule as unknown as AddFormats & { default?: AddFormats };
const addFormats: AddFormats = formatsModule.default ?? formatsModule;

function makeAjv(coerceTypes: Options['coerceTypes']): Ajv {
  const ajv = new Ajv({ coerceTypes, useDefaults: true, removeAdditional: true, allErrors: true, strict: false });
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
  const check: preValidationHookHandler = async (request: FastifyRequest) => {
    for (const { part, name } of fields) {
      const source = (part === 'params' ? request.params : request.query) as Record<string, unknown> | undefined;
      const raw = source?.[name];
      if (typeof raw === 'string' && !PLAIN_INTEGER.test(raw)) {
        throw new ValidationError(`${part}/${name} must be a whole number written in decimal digits`, {
          issues: [{ field: `${part}.${name}`, message: 'must be a whole number written in decimal digits' }],
        });
      }
    }
  };
  const existing = route.preValidation;
  route.preValidation = existing ? [...(Array.isArray(existing) ? existing : [existing]), check] : [check];
}

/**
 * Path, query and header values arrive as strings and are coerced to the schema's types; a JSON body
 * is never coerced, so `{"amount": "100"}` is a wrong type, not a number.
 */
export function installValidation(app: FastifyInstance): void {
  const coercing = makeAjv('array');
  const strict = makeAjv(false);
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? strict : coercing).compile(schema));
  app.addHook('onRoute', plainIntegersOnly);
}
