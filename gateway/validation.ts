// Request validation: bodies are validated strictly (no type coercion, no
// silently removed fields: a wrong type or unknown field is a 400), while
// querystrings and path params, which are always strings on the wire, are
// coerced to the declared types.
//
// Every `format: 'date-time'` is read here, once, into the canonical UTC form
// (2030-01-31T08:00:00.000Z) that handlers compare and PostgreSQL stores: the
// spellings the RFC 3339 grammar allows but JavaScript and PostgreSQL read
// differently (leap second 23:59:60, offsets out of range, year 0000) are
// refused with a 400 naming the field. Digits past the millisecond are cut:
// phones send microseconds (Android's Instant.toString()), which mean no harm.
import { Ajv, type Options, type SchemaValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

const INSTANT_KEYWORD = 'nearcastInstant';
const DATE_TIME = /^(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d):(\d\d)(?:\.(\d+))?(?:[Zz]|([+-])(\d\d)(?::?(\d\d))?)$/;
const MIN_MS = Date.parse('0001-01-01T00:00:00.000Z');
const MAX_MS = Date.parse('9999-12-31T23:59:59.999Z');

/** Epoch milliseconds of an RFC 3339 date-time, or why it is refused. */
export function parseInstant(s: string): { ms: number } | { reason: string } {
  const m = DATE_TIME.exec(s);
  if (!m) return { reason: 'must be an RFC 3339 date-time such as 2030-01-31T09:00:00+01:00' };
  const [y, mo, d, h, mi, sec] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const fraction = m[7] ?? '';
  if (sec === 60) return { reason: 'must not be a leap second (second 60)' };
  const at = new Date(0);
  at.setUTCFullYear(y, mo - 1, d); // not Date.UTC, which reads years 0-99 as 1900-1999
  at.setUTCHours(h, mi, sec, Number(fraction.slice(0, 3).padEnd(3, '0')));
  const rolledOver = at.getUTCFullYear() !== y || at.getUTCMonth() !== mo - 1 || at.getUTCDate() !== d;
  if (rolledOver || h > 23 || mi > 59 || sec > 59) return { reason: 'is not a calendar date and time' };
  const offsetH = Number(m[9] ?? 0);
  const offsetM = Number(m[10] ?? 0);
  if (offsetH > 23 || offsetM > 59) return { reason: 'has an offset out of range' };
  const ms = at.getTime() - (m[8] === '-' ? -1 : 1) * (offsetH * 60 + offsetM) * 60_000;
  if (ms < MIN_MS || ms > MAX_MS) return { reason: 'must fall within the years 0001 to 9999 (UTC)' };
  return { ms };
}

/** Validates a date-time and replaces it, in the request, with its canonical UTC spelling. */
const instant: SchemaValidateFunction = (_schema, data, _parent, ctx) => {
  const parsed = parseInstant(data as string);
  if ('reason' in parsed) {
    instant.errors = [{ keyword: INSTANT_KEYWORD, message: parsed.reason, params: {} }];
    return false;
  }
  if (ctx?.parentData !== undefined) ctx.parentData[ctx.parentDataProperty] = new Date(parsed.ms).toISOString();
  return true;
};

function build(opts: Options): Ajv {
  const ajv = new Ajv({ allErrors: false, removeAdditional: false, useDefaults: false, strict: false, ...opts });
  addFormats.default(ajv);
  ajv.addKeyword({
    keyword: INSTANT_KEYWORD,
    type: 'string',
    schemaType: 'boolean',
    modifying: true,
    errors: true,
    validate: instant,
  });
  return ajv;
}

const strict = build({ coerceTypes: false });
const coercing = build({ coerceTypes: true });

/**
 * The schema to compile: a copy where every date-time format is checked by the
 * keyword above instead (the route's own schema, which OpenAPI shows, keeps
 * `format: date-time`). Unchanged, and not copied, when it has none.
 */
function withInstants(node: unknown): unknown {
  if (Array.isArray(node)) {
    const items = node.map(withInstants);
    return items.some((x, i) => x !== node[i]) ? items : node;
  }
  if (node === null || typeof node !== 'object') return node;
  const src = node as Record<string, unknown>;
  let out: Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(src)) {
    const next = withInstants(v);
    if (next !== v) (out ??= { ...src })[k] = next;
  }
  if (src['format'] === 'date-time') {
    out ??= { ...src };
    delete out['format'];
    out[INSTANT_KEYWORD] = true;
  }
  return out ?? node;
}

const compiled = new WeakMap<object, unknown>();

export const validatorCompiler: FastifySchemaCompiler<object> = ({ schema, httpPart }) => {
  let rewritten = compiled.get(schema);
  if (rewritten === undefined) compiled.set(schema, (rewritten = withInstants(schema)));
  return (httpPart === 'body' ? strict : coercing).compile(rewritten as object);
};
