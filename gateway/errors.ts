// The one place errors become HTTP answers: `{ "error": { "code", "message" } }`
// with the status the error's code names; Retry-After where a retry can help.
import type { FastifyError, FastifyInstance } from 'fastify';
import { NearcastError, isNearcastError } from '../pipeline/errors.ts';

/** Fastify's own errors that are the client's fault, mapped to our codes. */
function fromFastify(err: FastifyError): NearcastError | undefined {
  if (err.validation) {
    const deepest = [...err.validation].sort((a, b) => b.instancePath.length - a.instancePath.length)[0];
    const where = deepest ? `${err.validationContext ?? 'body'}${deepest.instancePath}` : 'request';
    return new NearcastError('VALIDATION_FAILED', `${where} ${deepest?.message ?? 'is invalid'}`);
  }
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new NearcastError('PAYLOAD_TOO_LARGE', 'request body is too large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new NearcastError('UNSUPPORTED_MEDIA_TYPE', 'send application/json');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new NearcastError('VALIDATION_FAILED', err.message);
  }
  if (err.statusCode === 400) return new NearcastError('VALIDATION_FAILED', 'request body is not valid JSON');
  return undefined;
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((raw, req, reply) => {
    const err = isNearcastError(raw) ? raw : fromFastify(raw as FastifyError);
    if (!err) {
      req.log.error({ reqId: req.id, err: raw }, 'unhandled error');
      return reply.code(500).send({ error: { code: 'INTERNAL', message: 'internal error' } });
    }
    if (err.status >= 500) req.log.warn({ reqId: req.id, code: err.code, cause: (err.cause as Error | undefined)?.message }, err.message);
    if (err.retryAfterSeconds !== undefined) void reply.header('retry-after', String(err.retryAfterSeconds));
    return reply.code(err.status).send({ error: { code: err.code, message: err.message } });
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send({ error: { code: 'NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}` } });
  });
}
