// The baseline preference model, live: a user's claims and redemptions become
// learnt interests that the matcher's ranking uses, within seconds.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PreferenceStore } from '../../users/user-preferences.ts';
import { eventually } from '../support/harness.ts';
import { startCouponStack, type CouponStack } from '../support/coupons.ts';

const FENCE = { lat: 52.52, lng: 13.405, radiusM: 300 };

describe('learnt interests', () => {
  let s: CouponStack;
  beforeAll(async () => {
    s = await startCouponStack({ NEARCAST_LEARN_INTERESTS_MS: '200' });
  });
  afterAll(() => s?.close());

  it('learns from claims, favouring the category claimed most', async () => {
    const books = await s.liveOffer({
      title: 'Books',
      category: 'books',
      circles: [FENCE],
      caps: { maxTotal: 10, maxPerUser: 5 },
    });
    const food = await s.liveOffer({
      title: 'Food',
      category: 'food',
      circles: [FENCE],
      caps: { maxTotal: 10, maxPerUser: 5 },
    });
    const device = await s.token('device', 'lena');
    for (const offerId of [books.offerId, food.offerId, food.offerId]) {
      expect((await s.call('POST', `/v1/offers/${offerId}/claims`, device)).status).toBe(201);
    }
    const prefs = new PreferenceStore(s.rt.redis, s.config.topics.prefix);
    // A round may run between two of the claims; a later round must still learn from all three.
    const learnt = async () => (await prefs.get('lena'))?.learnedInterests ?? {};
    await eventually(
      async () => ((l) => l['food'] === 1 && l['books'] === 0.5)(await learnt()),
      10_000,
      'interests learnt from all three claims',
    );
    expect((await prefs.get('lena'))!.learnedInterests).toEqual({ food: 1, books: 0.5 });
  });
});
