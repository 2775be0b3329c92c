// The one place errors become HTTP answers: `{ "error": { "code", "message" } }`
// with the status the error's code names; Retry-After where a retry can help.
// That holds for answers fastify and Node would otherwise write in their own
// shape: bad URLs and over-long path parameters (frameworkErrors), and what
// the HTTP parser refuses before any route runs (clientErrorHandler).
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { ConnectionError, FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { NearcastError, isNearcastError } from '../pipeline/errors.ts';

/** Fastify's own errors that are the client's fault, mapped to our codes. */
function fromFastify(err: FastifyError): NearcastError | undefined {
  if (err.validation) {
    // The deepest error names the field; of several there, a specific one beats "must be null" from a union.
    const generic = (keyword: string) => (keyword === 'type' || keyword === 'anyOf' ? 1 : 0);
    const deepest = [...err.validation].sort(
      (a, b) => b.instancePath.length - a.instancePath.length || generic(a.keyword) - generic(b.keyword),
    )[0];
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
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new NearcastError('VALIDATION_FAILED', 'request body is not valid JSON');
    case 'FST_ERR_BAD_URL':
      return new NearcastError('VALIDATION_FAILED', 'the URL path is not valid percent-encoded UTF-8');
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new NearcastError('URI_TOO_LONG', `a path parameter is longer than ${MAX_PARAM_LENGTH} characters`);
  }
  const status = err.statusCode ?? 500;
  if (status === 400) return new NearcastError('VALIDATION_FAILED', 'request body is not valid JSON');
  if (status === 413) return new NearcastError('PAYLOAD_TOO_LARGE', 'request body is too large');
  if (status === 415) return new NearcastError('UNSUPPORTED_MEDIA_TYPE', 'send application/json');
  if (status > 400 && status < 500) return new NearcastError('VALIDATION_FAILED', err.message);
  return undefined;
}

const body = (err: NearcastError) => ({ error: { code: err.code, message: err.message } });

function answer(raw: unknown, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  const err = isNearcastError(raw) ? raw : fromFastify(raw as FastifyError);
  if (!err) {
    req.log.error({ reqId: req.id, err: raw }, 'unhandled error');
    return reply.code(500).send({ error: { code: 'INTERNAL', message: 'internal error' } });
  }
  if (err.status >= 500) {
    req.log.warn({ reqId: req.id, code: err.code, cause: (err.cause as Error | undefined)?.message }, err.message);
  }
  if (err.retryAfterSeconds !== undefined) void reply.header('retry-after', String(err.retryAfterSeconds));
  return reply.code(err.status).send(body(err));
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((raw, req, reply) => answer(raw, req, reply));
  app.setNotFoundHandler((req, reply) => {
    void reply
      .code(404)
      .send({ error: { code: 'NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}` } });
  });
}

/**
 * The longest path parameter routed, percent-encoded: a user id may have 128
 * characters (users.ts), 384 when every one is encoded. Longer is a 414.
 */
export const MAX_PARAM_LENGTH = 400;

/**
 * The parser reports an over-long request line and over-long headers alike
 * (HPE_HEADER_OVERFLOW), stopping at the end of the element that overflowed: a
 * URL ends at the space before the HTTP version, a header at its line end.
 */
function overflowedInRequestLine(err: ConnectionError & { bytesParsed?: unknown }): boolean {
  const packet = err.rawPacket;
  const at = err.bytesParsed;
  if (!Buffer.isBuffer(packet) || typeof at !== 'number') return false;
  if (packet[at] === 0x20) return true;
  return !packet.subarray(0, at).includes(0x0a) && /^[A-Z]+ \S/.test(packet.subarray(0, 24).toString('latin1'));
}

function clientError(err: ConnectionError): NearcastError {
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return new NearcastError('REQUEST_TIMEOUT', 'the request took too long to arrive');
  }
  if (err.code === 'HPE_HEADER_OVERFLOW') {
    return overflowedInRequestLine(err)
      ? new NearcastError('URI_TOO_LONG', 'the URL is too long')
      : new NearcastError('HEADERS_TOO_LARGE', 'the request headers are too large');
  }
  return new NearcastError('VALIDATION_FAILED', 'the request is not valid HTTP/1.1');
}

/** Answers what Node's HTTP parser refused (no request, no route, no reply object exists), then hangs up. */
function clientErrorHandler(err: ConnectionError, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const answered = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent;
  if (socket.writable && !answered) {
    const e = clientError(err);
    const json = JSON.stringify(body(e));
    socket.write(
      `HTTP/1.1 ${e.status} ${STATUS_CODES[e.status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`,
    );
  }
  socket.destroy(err);
}

/** Fastify options that route URL and connection errors through the answers above. */
export const edgeErrorOptions = {
  routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
  frameworkErrors: (err: FastifyError, req: FastifyRequest, reply: FastifyReply) => void answer(err, req, reply),
  clientErrorHandler,
};
