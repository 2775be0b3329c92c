// Admission control for pings, pure: given what the publisher still holds for
// Kafka and how busy the event loop is, take a new request or shed it.
// Shedding early (a 503 with Retry-After) lets a phone back off instead of
// holding a fix that would be stale by the time it landed; nothing already
// accepted is ever dropped.
import type { Backlog } from '../pipeline/publisher.ts';

export interface AdmissionLimits {
  /** Pings queued or in flight to Kafka above which new requests are shed; 0 disables. */
  maxPendingPings: number;
  /** Age of the oldest unacknowledged ping above which new requests are shed; 0 disables. */
  maxPendingAgeMs: number;
  /** Event-loop delay (worst over the last second) above which new requests are shed; 0 or absent disables. */
  maxLoopDelayMs?: number;
  /** Event-loop utilization (0–1, over the last half second) at or above which new requests are shed; 0 or absent disables. */
  maxLoopUtilization?: number;
}

/** How busy this process's event loop has been lately (gateway/event-loop.ts measures it). */
export interface LoopLoad {
  delayMs: number;
  utilization: number;
}

export const IDLE_LOOP: LoopLoad = { delayMs: 0, utilization: 0 };

export type ShedReason = 'pending' | 'age' | 'event_loop';
export const SHED_REASONS: readonly ShedReason[] = ['pending', 'age', 'event_loop'];

export type Admission = { admit: true } | { admit: false; reason: ShedReason; retryAfterSeconds: number };

/** Retry-After stays within this: longer and a phone's fix is worthless anyway. */
export const MAX_RETRY_AFTER_SECONDS = 30;

export function admit(backlog: Backlog, limits: AdmissionLimits, loop: LoopLoad = IDLE_LOOP): Admission {
  const overCount = limits.maxPendingPings > 0 && backlog.messages > limits.maxPendingPings;
  const overAge = limits.maxPendingAgeMs > 0 && backlog.oldestAgeMs > limits.maxPendingAgeMs;
  if (overCount || overAge) {
    // The count bound is about a second of ingest, so backlog ÷ bound estimates the seconds
    // to drain it; a stuck broker is estimated by how long the oldest ping has waited.
    const drainS = overCount ? backlog.messages / limits.maxPendingPings : 0;
    const waitS = overAge ? backlog.oldestAgeMs / 1000 : 0;
    return {
      admit: false,
      reason: overCount ? 'pending' : 'age',
      retryAfterSeconds: clampRetry(Math.max(drainS, waitS)),
    };
  }
  const overDelay = (limits.maxLoopDelayMs ?? 0) > 0 && loop.delayMs > limits.maxLoopDelayMs!;
  const overUse = (limits.maxLoopUtilization ?? 0) > 0 && loop.utilization >= limits.maxLoopUtilization!;
  // A saturated loop clears within a second or two once new work stops arriving.
  if (overDelay || overUse)
    return { admit: false, reason: 'event_loop', retryAfterSeconds: clampRetry(loop.delayMs / 1000) };
  return { admit: true };
}

function clampRetry(seconds: number): number {
  return Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(1, Math.ceil(seconds)));
}
