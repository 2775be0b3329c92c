// Pure decisions for one ping: the ping, its candidate offers, the user's
// state and preferences, the clock and settings in; pushes, the next state and
// a decision record (for "why did I get this / why not") out. No I/O.
import { ok, drop, dlq, type StepResult } from '../../pipeline/results.ts';
import type { UserPreferences } from '../../users/user-preferences.ts';
import type { LocationPing, PushRequest } from '../../schemas/types.ts';
import type { Candidate } from './directory.ts';
import { rejectionFor, type Rejection } from './eligibility.ts';
import { localParts } from '../../pipeline/local-time.ts';
import { dwellReached, updatePresence, type Presence } from './presence.ts';
import { score } from './ranking.ts';

export interface MatcherSettings {
  /** A ping older than this (device time to now) is worthless: the user has moved on. */
  pingTtlMs: number;
  /** How long a push stays deliverable after the triggering ping's lifetime. */
  pushTtlMs: number;
  /** Outside a geofence for less than this is GPS jitter, not a new visit. */
  exitGraceMs: number;
  /** After a push of an offer, the same user is not pushed that offer again for this long. */
  cooldownMs: number;
  /** Pushes per user per local day, across all offers. */
  maxPushesPerDay: number;
  /** Pushes per ping (the best-ranked eligible offers). */
  maxPushesPerPing: number;
  /** Fixes less precise than this are ignored: they would make false entries. */
  maxAccuracyM: number;
}

/** Per-user state between pings. Offer ids and times only: never coordinates. */
export interface UserGeoState {
  lastDeviceTs: number;
  presence: Presence;
  /** Offer id → device time of the last push (for the cooldown). */
  lastPushTs: Record<string, number>;
  /** Local date (user's zone) that pushesToday counts. */
  day: string;
  pushesToday: number;
}

export type Outcome = 'pushed' | 'no_candidates' | 'nothing_new' | 'all_rejected' | 'out_of_order' | 'inaccurate';

export type Verdict = 'pushed' | 'outranked' | 'already_pushed' | 'dwelling' | Rejection;

export interface Considered {
  offerId: string;
  distanceM: number;
  score: number;
  verdict: Verdict;
}

export interface DecisionRecord {
  pingId: string;
  deviceTs: number;
  decidedTs: number;
  outcome: Outcome;
  considered: Considered[];
}

export interface Decision {
  outcome: Outcome;
  pushes: PushRequest[];
  /** State after this ping; undefined when it must not change. */
  next: UserGeoState | undefined;
  record: DecisionRecord;
}

/** A ping that decodes but cannot be true (producers other than the gateway exist): dead-letter it with the reason. */
export function checkValid(ping: LocationPing): StepResult<LocationPing> {
  if (!ping.userId) return dlq('empty userId');
  if (!(Math.abs(ping.lat) <= 90) || !(Math.abs(ping.lng) <= 180)) return dlq('coordinates out of range');
  if (!(ping.accuracyM >= 0)) return dlq('accuracy is negative or not a number');
  if (!Number.isFinite(ping.deviceTs)) return dlq('device timestamp is not a number');
  return ok(ping);
}

export function checkFresh(ping: LocationPing, now: number, ttlMs: number): StepResult<LocationPing> {
  return now - ping.deviceTs > ttlMs ? drop('stale') : ok(ping);
}

const EMPTY: UserGeoState = { lastDeviceTs: 0, presence: {}, lastPushTs: {}, day: '', pushesToday: 0 };

/**
 * Push on entry (or after the dwell time), once per visit: an offer triggers
 * when the user is inside it, its visit has not been served yet, and every
 * eligibility rule passes. The best-scored offers win; the others of the same
 * visit are marked outranked so entering a cluster of shops is one push, not
 * several. The push id names the visit (user, offer, entry time), so a
 * redelivered ping decides the same id and the dispatcher drops the repeat.
 */
export function decide(
  ping: LocationPing,
  candidates: readonly Candidate[],
  prev: UserGeoState | undefined,
  prefs: UserPreferences,
  now: number,
  s: MatcherSettings,
): Decision {
  const record = (outcome: Outcome, considered: Considered[] = []): DecisionRecord => ({
    pingId: ping.pingId,
    deviceTs: ping.deviceTs,
    decidedTs: now,
    outcome,
    considered,
  });
  const state = prev ?? EMPTY;
  if (ping.deviceTs < state.lastDeviceTs)
    return { outcome: 'out_of_order', pushes: [], next: undefined, record: record('out_of_order') };
  if (ping.accuracyM > s.maxAccuracyM)
    return { outcome: 'inaccurate', pushes: [], next: undefined, record: record('inaccurate') };

  const ts = ping.deviceTs;
  const presence = updatePresence(
    state.presence,
    candidates.map((c) => c.offer.offerId),
    ts,
    s.exitGraceMs,
  );
  const day = localParts(ts, prefs.timeZone).date;
  let pushesToday = day === state.day ? state.pushesToday : 0;
  const lastPushTs = pruneCooldowns(state.lastPushTs, ts, s.cooldownMs);

  const considered: Considered[] = [];
  const eligible: Array<{ c: Candidate; score: number; entry: number }> = [];
  for (const c of candidates) {
    const id = c.offer.offerId;
    const p = presence[id]!;
    const sc = score(c.offer, c.distanceM, c.radiusM, prefs);
    const entry = { offerId: id, distanceM: Math.round(c.distanceM), score: round3(sc) };
    if (p.done) considered.push({ ...entry, verdict: 'already_pushed' });
    else if (!dwellReached(p, c.offer.dwellSeconds, ts)) considered.push({ ...entry, verdict: 'dwelling' });
    else {
      const why = rejectionFor(c.offer, prefs, now, {
        inCooldown: lastPushTs[id] !== undefined,
        dailyCapReached: pushesToday >= s.maxPushesPerDay,
      });
      if (why) considered.push({ ...entry, verdict: why });
      else eligible.push({ c, score: sc, entry: p.enteredTs });
    }
  }

  eligible.sort((a, b) => b.score - a.score || a.c.distanceM - b.c.distanceM);
  const room = Math.max(0, Math.min(s.maxPushesPerPing, s.maxPushesPerDay - pushesToday));
  const pushes: PushRequest[] = [];
  eligible.forEach((e, i) => {
    const id = e.c.offer.offerId;
    presence[id] = { ...presence[id]!, done: true };
    const win = i < room;
    considered.push({
      offerId: id,
      distanceM: Math.round(e.c.distanceM),
      score: round3(e.score),
      verdict: win ? 'pushed' : 'outranked',
    });
    if (!win) return;
    lastPushTs[id] = ts;
    pushesToday++;
    pushes.push({
      pushId: `${ping.userId}:${id}:${e.entry}`,
      userId: ping.userId,
      offerId: id,
      title: e.c.offer.title,
      body: e.c.offer.body,
      distanceM: Math.round(e.c.distanceM),
      deviceTs: ts,
      decidedTs: now,
      expiresTs: Math.min(ts + s.pingTtlMs + s.pushTtlMs, e.c.offer.endsTs ?? Number.MAX_SAFE_INTEGER),
    });
  });

  const outcome: Outcome = pushes.length
    ? 'pushed'
    : candidates.length === 0
      ? 'no_candidates'
      : considered.every((c) => c.verdict === 'already_pushed' || c.verdict === 'dwelling')
        ? 'nothing_new'
        : 'all_rejected';
  const next: UserGeoState = { lastDeviceTs: ts, presence, lastPushTs, day, pushesToday };
  return { outcome, pushes, next, record: record(outcome, considered) };
}

function pruneCooldowns(last: Record<string, number>, ts: number, cooldownMs: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [id, t] of Object.entries(last)) if (ts - t < cooldownMs) out[id] = t;
  return out;
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;
