import { describe, expect, it } from 'vitest';
import {
  backoffMs,
  classify,
  parseRetryAfter,
  remainingTtlSeconds,
  DEFAULT_RETRY,
} from '../../processors/dispatcher/decide.ts';
import type { PushRequest } from '../../schemas/types.ts';

const NOW = 1_800_000_000_000;
const req: PushRequest = {
  pushId: 'p:o',
  userId: 'u',
  offerId: 'o',
  title: 't',
  body: 'b',
  distanceM: 3,
  deviceTs: NOW - 500,
  decidedTs: NOW - 100,
  expiresTs: NOW + 60_000,
};
const half = () => 0.5;

describe('classify', () => {
  it('treats 2xx as delivered and 404/410 as a registration that is gone', () => {
    expect(classify(201, undefined, 0, req, NOW, DEFAULT_RETRY, half)).toEqual({ kind: 'delivered' });
    expect(classify(410, undefined, 0, req, NOW, DEFAULT_RETRY, half)).toEqual({ kind: 'gone' });
    expect(classify(404, undefined, 0, req, NOW, DEFAULT_RETRY, half)).toEqual({ kind: 'gone' });
  });

  it('retries 429, 5xx and network errors, honouring Retry-After', () => {
    expect(classify(429, '2', 0, req, NOW, DEFAULT_RETRY, half)).toEqual({ kind: 'retry', delayMs: 2000 });
    expect(classify(503, undefined, 1, req, NOW, DEFAULT_RETRY, half)).toEqual({ kind: 'retry', delayMs: 200 });
    expect(classify(undefined, undefined, 0, req, NOW, DEFAULT_RETRY, half).kind).toBe('retry');
  });

  it('gives up after the last attempt, on other 4xx, and when the push would expire first', () => {
    expect(classify(503, undefined, DEFAULT_RETRY.maxAttempts - 1, req, NOW, DEFAULT_RETRY, half).kind).toBe('failed');
    expect(classify(400, undefined, 0, req, NOW, DEFAULT_RETRY, half).kind).toBe('failed');
    expect(classify(429, '120', 0, req, NOW, DEFAULT_RETRY, half)).toEqual({
      kind: 'failed',
      reason: 'would expire before the next attempt',
    });
  });
});

describe('timing helpers', () => {
  it('grows backoff exponentially with jitter and a cap', () => {
    expect(backoffMs(0, DEFAULT_RETRY, () => 1)).toBe(200);
    expect(backoffMs(3, DEFAULT_RETRY, () => 1)).toBe(1600);
    expect(backoffMs(10, DEFAULT_RETRY, () => 1)).toBe(5000);
    expect(backoffMs(3, DEFAULT_RETRY, () => 0)).toBe(0);
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('3', NOW)).toBe(3000);
    expect(parseRetryAfter(new Date(NOW + 10_000).toUTCString(), NOW)).toBe(10_000);
    expect(parseRetryAfter('soon', NOW)).toBeUndefined();
    expect(parseRetryAfter(undefined, NOW)).toBeUndefined();
  });

  it('sends the remaining lifetime as the push TTL', () => {
    expect(remainingTtlSeconds(req, NOW)).toBe(60);
    expect(remainingTtlSeconds(req, NOW + 120_000)).toBe(0);
  });
});
