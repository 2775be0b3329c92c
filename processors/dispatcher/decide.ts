// Pure delivery decisions: what to do with a push request now, and what a
// push service's answer means.
import type { PushRequest } from '../../schemas/types.ts';

export type SendOutcome =
  { kind: 'delivered' } | { kind: 'gone' } | { kind: 'retry'; delayMs: number } | { kind: 'failed'; reason: string };

export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 4, baseDelayMs: 200, maxDelayMs: 5000 };

/** Seconds a push service should keep trying to reach the phone: what is left of the request's life. */
export function remainingTtlSeconds(req: PushRequest, now: number): number {
  return Math.max(0, Math.floor((req.expiresTs - now) / 1000));
}

/** Full-jitter exponential backoff, never beyond the policy's cap. */
export function backoffMs(attempt: number, p: RetryPolicy, random: () => number): number {
  return Math.round(random() * Math.min(p.maxDelayMs, p.baseDelayMs * 2 ** attempt));
}

/** Retry-After as seconds or an HTTP date, in milliseconds from now; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (!value) return undefined;
  const secs = Number(value);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * Maps a push service's HTTP answer to an outcome. 404/410 mean the
 * subscription is gone for good; 429 and 5xx are retried with backoff (or the
 * service's Retry-After) while attempts and the push's lifetime allow.
 */
export function classify(
  status: number | undefined,
  retryAfter: string | undefined,
  attempt: number,
  req: PushRequest,
  now: number,
  policy: RetryPolicy,
  random: () => number,
): SendOutcome {
  if (status !== undefined && status >= 200 && status < 300) return { kind: 'delivered' };
  if (status === 404 || status === 410) return { kind: 'gone' };
  const transient = status === undefined || status === 429 || status >= 500;
  if (!transient) return { kind: 'failed', reason: `push service answered ${status}` };
  if (attempt + 1 >= policy.maxAttempts)
    return { kind: 'failed', reason: `gave up after ${attempt + 1} attempts (last ${status ?? 'network error'})` };
  const delayMs = parseRetryAfter(retryAfter, now) ?? backoffMs(attempt, policy, random);
  if (now + delayMs >= req.expiresTs) return { kind: 'failed', reason: 'would expire before the next attempt' };
  return { kind: 'retry', delayMs };
}
