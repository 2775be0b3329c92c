// Admission control for pings, pure: given what the publisher still holds for
// Kafka, take a new request or shed it. Shedding early (a 503 with
// Retry-After) lets a phone back off instead of holding a fix that would be
// stale by the time it landed; nothing already accepted is ever dropped.
import type { Backlog } from '../pipeline/publisher.ts';

export interface AdmissionLimits {
  /** Pings queued or in flight to Kafka above which new requests are shed; 0 disables. */
  maxPendingPings: number;
  /** Age of the oldest unacknowledged ping above which new requests are shed; 0 disables. */
  maxPendingAgeMs: number;
}

export type ShedReason = 'pending' | 'age';
export const SHED_REASONS: readonly ShedReason[] = ['pending', 'age'];

export type Admission = { admit: true } | { admit: false; reason: ShedReason; retryAfterSeconds: number };

/** Retry-After stays within this: longer and a phone's fix is worthless anyway. */
export const MAX_RETRY_AFTER_SECONDS = 30;

export function admit(backlog: Backlog, limits: AdmissionLimits): Admission {
  const overCount = limits.maxPendingPings > 0 && backlog.messages > limits.maxPendingPings;
  const overAge = limits.maxPendingAgeMs > 0 && backlog.oldestAgeMs > limits.maxPendingAgeMs;
  if (!overCount && !overAge) return { admit: true };
  // The count bound is about a second of ingest, so backlog ÷ bound estimates the seconds
  // to drain it; a stuck broker is estimated by how long the oldest ping has waited.
  const drainS = overCount ? backlog.messages / limits.maxPendingPings : 0;
  const waitS = overAge ? backlog.oldestAgeMs / 1000 : 0;
  const retryAfterSeconds = Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(1, Math.ceil(Math.max(drainS, waitS))));
  return { admit: false, reason: overCount ? 'pending' : 'age', retryAfterSeconds };
}
