import { describe, expect, it } from 'vitest';
import { checkFresh, decide, type MatcherSettings, type UserGeoState } from '../../processors/matcher/decide.ts';
import type { Candidate } from '../../processors/matcher/directory.ts';
import { DEFAULT_PREFERENCES, type UserPreferences } from '../../users/user-preferences.ts';
import { OFFER_DEFAULTS, type LocationPing, type Offer } from '../../schemas/types.ts';

const NOW = Date.UTC(2026, 10, 22, 12, 0, 0); // a Sunday, 12:00 UTC
const S: MatcherSettings = {
  pingTtlMs: 30_000,
  pushTtlMs: 300_000,
  exitGraceMs: 90_000,
  cooldownMs: 24 * 3_600_000,
  maxPushesPerDay: 3,
  maxPushesPerPing: 1,
  maxAccuracyM: 250,
};
const P: UserPreferences = DEFAULT_PREFERENCES;

let seq = 0;
const ping = (over: Partial<LocationPing> = {}): LocationPing => ({
  pingId: `p${++seq}`,
  userId: 'u1',
  lat: 52.37,
  lng: 4.89,
  accuracyM: 10,
  deviceTs: NOW - 1000,
  receivedTs: NOW - 900,
  ...over,
});
const offer = (id: string, over: Partial<Offer> = {}): Offer => ({
  ...OFFER_DEFAULTS,
  offerId: id,
  title: `T ${id}`,
  body: 'b',
  updatedTs: 0,
  ...over,
});
const cand = (id: string, distanceM: number, over: Partial<Offer> = {}, radiusM = 200): Candidate => ({
  offer: offer(id, over),
  distanceM,
  radiusM,
});

/** Feeds pings through decide the way the matcher does, carrying state; returns every push. */
function walk(steps: Array<{ at: number; inside: Candidate[]; prefs?: UserPreferences }>, settings = S) {
  let state: UserGeoState | undefined;
  const pushes: string[] = [];
  for (const step of steps) {
    const d = decide(ping({ deviceTs: step.at }), step.inside, state, step.prefs ?? P, step.at + 100, settings);
    if (d.next) state = d.next;
    pushes.push(...d.pushes.map((p) => p.offerId));
  }
  return { pushes, state };
}

describe('checkFresh', () => {
  it('keeps a ping within its time to live and drops an older one as stale', () => {
    expect(checkFresh(ping({ deviceTs: NOW - 29_999 }), NOW, 30_000).kind).toBe('ok');
    expect(checkFresh(ping({ deviceTs: NOW - 30_001 }), NOW, 30_000)).toEqual({ kind: 'drop', reason: 'stale' });
  });
});

describe('entry trigger', () => {
  it('pushes the best offer on entry, with a visit id and no coordinates', () => {
    const d = decide(ping({ pingId: 'px' }), [cand('near', 20), cand('far', 150)], undefined, P, NOW, S);
    expect(d.outcome).toBe('pushed');
    expect(d.pushes).toHaveLength(1);
    expect(d.pushes[0]).toMatchObject({
      pushId: `u1:near:${NOW - 1000}`,
      userId: 'u1',
      offerId: 'near',
      distanceM: 20,
      deviceTs: NOW - 1000,
      decidedTs: NOW,
    });
    expect(d.pushes[0]).not.toHaveProperty('lat');
    expect(d.record.considered.map((c) => [c.offerId, c.verdict])).toEqual([
      ['near', 'pushed'],
      ['far', 'outranked'],
    ]);
  });

  it('does not push again while the user stays inside, nor for an outranked offer of the same visit', () => {
    const { pushes } = walk(
      [0, 30_000, 60_000, 90_000].map((t) => ({ at: NOW + t, inside: [cand('a', 10), cand('b', 50)] })),
    );
    expect(pushes).toEqual(['a']);
  });

  it('treats GPS jitter out of the geofence and back within the grace period as the same visit', () => {
    const { pushes } = walk([
      { at: NOW, inside: [cand('a', 190)] },
      { at: NOW + 20_000, inside: [] }, // flickers out
      { at: NOW + 40_000, inside: [cand('a', 195)] }, // and back
    ]);
    expect(pushes).toEqual(['a']);
  });

  it('counts a return after the grace period as a new visit, pushed again once the cooldown allows', () => {
    const settings = { ...S, cooldownMs: 60_000 };
    const { pushes } = walk(
      [
        { at: NOW, inside: [cand('a', 10)] },
        { at: NOW + 30_000, inside: [] },
        { at: NOW + 200_000, inside: [cand('a', 10)] },
      ],
      settings,
    );
    expect(pushes).toEqual(['a', 'a']);
    const cooled = walk([
      { at: NOW, inside: [cand('a', 10)] },
      { at: NOW + 30_000, inside: [] },
      { at: NOW + 200_000, inside: [cand('a', 10)] },
    ]);
    expect(cooled.pushes).toEqual(['a']);
  });

  it('waits for the dwell time, through brief flickers, before pushing', () => {
    const dwell = (id: string) => cand(id, 10, { dwellSeconds: 120 });
    const { pushes } = walk([
      { at: NOW, inside: [dwell('d')] },
      { at: NOW + 60_000, inside: [] },
      { at: NOW + 90_000, inside: [dwell('d')] },
      { at: NOW + 119_000, inside: [dwell('d')] },
    ]);
    expect(pushes).toEqual([]);
    const after = walk([
      { at: NOW, inside: [dwell('d')] },
      { at: NOW + 60_000, inside: [dwell('d')] },
      { at: NOW + 121_000, inside: [dwell('d')] },
    ]);
    expect(after.pushes).toEqual(['d']);
  });

  it('ignores out-of-order and imprecise fixes without touching state', () => {
    const state: UserGeoState = { lastDeviceTs: NOW, presence: {}, lastPushTs: {}, day: '', pushesToday: 0 };
    expect(decide(ping({ deviceTs: NOW - 5 }), [cand('a', 5)], state, P, NOW, S)).toMatchObject({
      outcome: 'out_of_order',
      pushes: [],
      next: undefined,
    });
    expect(decide(ping({ deviceTs: NOW + 5, accuracyM: 900 }), [cand('a', 5)], state, P, NOW, S)).toMatchObject({
      outcome: 'inaccurate',
      pushes: [],
      next: undefined,
    });
  });

  it('decides the same push id when a ping is redelivered before its state was saved', () => {
    const p = ping();
    const a = decide(p, [cand('a', 5)], undefined, P, NOW, S);
    const b = decide(p, [cand('a', 5)], undefined, P, NOW + 2000, S);
    expect(b.pushes[0]!.pushId).toBe(a.pushes[0]!.pushId);
    expect(decide(p, [cand('a', 5)], a.next, P, NOW + 2000, S).pushes).toEqual([]);
  });

  it('expires the push at the end of the ping and push lifetimes, or the offer end if sooner', () => {
    expect(decide(ping(), [cand('a', 5)], undefined, P, NOW, S).pushes[0]!.expiresTs).toBe(NOW - 1000 + 330_000);
    expect(decide(ping(), [cand('a', 5, { endsTs: NOW + 60_000 })], undefined, P, NOW, S).pushes[0]!.expiresTs).toBe(
      NOW + 60_000,
    );
  });
});

describe('eligibility and caps', () => {
  const one = (c: Candidate, prefs: UserPreferences = P) => decide(ping(), [c], undefined, prefs, NOW, S);

  it.each([
    ['a paused offer', cand('a', 5, { status: 'PAUSED' }), P, 'inactive'],
    ['an exhausted offer', cand('a', 5, { status: 'EXHAUSTED' }), P, 'exhausted'],
    ['an offer not started', cand('a', 5, { startsTs: NOW + 1 }), P, 'inactive'],
    [
      'a closed shop',
      cand('a', 5, {
        openingHours: { timeZone: 'Europe/Amsterdam', windows: [{ day: 1, openMinute: 540, closeMinute: 1080 }] },
      }),
      P,
      'closed',
    ],
    ['another segment', cand('a', 5, { segments: ['students'] }), { ...P, segments: ['parents'] }, 'segment'],
    ['a user who withdrew consent', cand('a', 5), { ...P, consent: false }, 'no_consent'],
    [
      'quiet hours (11:00–14:00 in Amsterdam, it is 13:00 there)',
      cand('a', 5),
      { ...P, timeZone: 'Europe/Amsterdam', quietHours: { startMinute: 660, endMinute: 840 } },
      'quiet_hours',
    ],
  ])('rejects %s with a reason', (_name, c, prefs, verdict) => {
    const d = one(c, prefs);
    expect(d.pushes).toEqual([]);
    expect(d.outcome).toBe('all_rejected');
    expect(d.record.considered[0]!.verdict).toBe(verdict);
  });

  it('pushes when the segment matches and the shop is open', () => {
    const sunday = { timeZone: 'Europe/Amsterdam', windows: [{ day: 0, openMinute: 600, closeMinute: 1080 }] };
    expect(
      one(cand('a', 5, { segments: ['students'], openingHours: sunday }), { ...P, segments: ['students'] }).pushes,
    ).toHaveLength(1);
  });

  it('pushes a visit later in the same visit once a temporary rule stops blocking it', () => {
    const quiet = { ...P, quietHours: { startMinute: 0, endMinute: 12 * 60 + 1 } }; // quiet until 12:01 UTC
    const { pushes } = walk([
      { at: NOW - 1000, inside: [cand('a', 5)], prefs: quiet },
      { at: NOW + 120_000, inside: [cand('a', 5)], prefs: quiet },
    ]);
    expect(pushes).toEqual(['a']);
  });

  it('stops at K pushes per user per day and starts again the next local day', () => {
    const settings = { ...S, maxPushesPerDay: 2 };
    const steps = ['a', 'b', 'c'].map((id, i) => ({ at: NOW + i * 600_000, inside: [cand(id, 5)] }));
    expect(walk(steps, settings).pushes).toEqual(['a', 'b']);
    const nextDay = walk([...steps, { at: NOW + 86_400_000, inside: [cand('d', 5)] }], settings);
    expect(nextDay.pushes).toEqual(['a', 'b', 'd']);
  });

  it('ranks by interest × proximity × priority', () => {
    const prefs = { ...P, interests: { food: 1, fashion: 0.1 } };
    const d = decide(
      ping(),
      [cand('shoes', 5, { category: 'fashion', priority: 10 }), cand('pizza', 150, { category: 'food' })],
      undefined,
      prefs,
      NOW,
      S,
    );
    expect(d.pushes[0]!.offerId).toBe('pizza');
    const tie = decide(ping(), [cand('plain', 5), cand('promoted', 5, { priority: 5 })], undefined, P, NOW, S);
    expect(tie.pushes[0]!.offerId).toBe('promoted');
  });

  it('pushes several offers per ping when configured', () => {
    const d = decide(ping(), [cand('a', 5), cand('b', 6), cand('c', 7)], undefined, P, NOW, {
      ...S,
      maxPushesPerPing: 2,
    });
    expect(d.pushes.map((p) => p.offerId)).toEqual(['a', 'b']);
  });
});
