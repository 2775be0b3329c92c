// Where the user is, per offer, with hysteresis: leaving a geofence counts
// only after the user has been outside it for the exit grace period, so GPS
// jitter at the boundary never makes a new entry. Times are device times.

export interface OfferPresence {
  /** Device time of the ping that started this visit: the identity of the entry. */
  enteredTs: number;
  lastInsideTs: number;
  /** A push for this visit was sent, or deliberately skipped (outranked). */
  done: boolean;
}

export type Presence = Record<string, OfferPresence>;

/** Presence after a ping at `ts` that falls inside `insideIds`. */
export function updatePresence(
  prev: Presence,
  insideIds: readonly string[],
  ts: number,
  exitGraceMs: number,
): Presence {
  const next: Presence = {};
  for (const [id, p] of Object.entries(prev)) {
    if (ts - p.lastInsideTs <= exitGraceMs) next[id] = p; // still within the grace window: same visit
  }
  for (const id of insideIds) {
    const p = next[id];
    next[id] = p ? { ...p, lastInsideTs: ts } : { enteredTs: ts, lastInsideTs: ts, done: false };
  }
  return next;
}

/** The visit has lasted long enough for the offer's dwell requirement (0 = on entry). */
export function dwellReached(p: OfferPresence, dwellSeconds: number, ts: number): boolean {
  return ts - p.enteredTs >= dwellSeconds * 1000;
}
