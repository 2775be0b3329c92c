// Request validation: bodies are validated strictly (no type coercion, no
// silently removed fields: a wrong type or unknown field is a 400), while
// querystrings and path params, which are always strings on the wire, are
// coerced to the declared types.
import { Ajv, type Options } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

function build(opts: Options): Ajv {
  const ajv = new Ajv({ allErrors: false, removeAdditional: false, useDefaults: false, strict: false, ...opts });
  addFormats.default(ajv);
  return ajv;
}

const strict = build({ coerceTypes: false });
const coercing = build({ coerceTypes: true });

export const validatorCompiler: FastifySchemaCompiler<object> = ({ schema, httpPart }) =>
  (httpPart === 'body' ? strict : coercing).compile(schema);
