// One error hierarchy for the whole product. Every error carries a stable code,
// the HTTP status the gateway answers with, and whether retrying can help.

export type ErrorCode =
  | 'VALIDATION_FAILED'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'CONSENT_WITHDRAWN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'SOLD_OUT'
  | 'CLAIM_REFUSED'
  | 'CLAIM_EXPIRED'
  | 'NOT_ELIGIBLE'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'URI_TOO_LONG'
  | 'HEADERS_TOO_LARGE'
  | 'REQUEST_TIMEOUT'
  | 'RATE_LIMITED'
  | 'QUOTA_EXCEEDED'
  | 'BROKER_UNAVAILABLE'
  | 'DEPENDENCY_UNAVAILABLE'
  | 'CONFIG_INVALID'
  | 'SCHEMA_INVALID'
  | 'INTERNAL';

const STATUS: Record<ErrorCode, number> = {
  VALIDATION_FAILED: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  CONSENT_WITHDRAWN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  SOLD_OUT: 409,
  CLAIM_REFUSED: 409,
  CLAIM_EXPIRED: 410,
  NOT_ELIGIBLE: 422,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  URI_TOO_LONG: 414,
  HEADERS_TOO_LARGE: 431,
  REQUEST_TIMEOUT: 408,
  RATE_LIMITED: 429,
  QUOTA_EXCEEDED: 409,
  BROKER_UNAVAILABLE: 503,
  DEPENDENCY_UNAVAILABLE: 503,
  CONFIG_INVALID: 500,
  SCHEMA_INVALID: 500,
  INTERNAL: 500,
};

const RETRIABLE: ReadonlySet<ErrorCode> = new Set(['RATE_LIMITED', 'BROKER_UNAVAILABLE', 'DEPENDENCY_UNAVAILABLE']);

export class NearcastError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly retriable: boolean;
  /** Seconds a client should wait before retrying (sent as Retry-After). */
  readonly retryAfterSeconds: number | undefined;
  readonly details: unknown;

  constructor(
    code: ErrorCode,
    message: string,
    opts: { cause?: unknown; retryAfterSeconds?: number; details?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'NearcastError';
    this.code = code;
    this.status = STATUS[code];
    this.retriable = RETRIABLE.has(code);
    this.retryAfterSeconds = opts.retryAfterSeconds;
    this.details = opts.details;
  }
}

export const isNearcastError = (e: unknown): e is NearcastError => e instanceof NearcastError;
