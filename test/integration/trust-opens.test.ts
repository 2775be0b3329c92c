// Opens count only for pushes that were delivered to the user who reports
// them: a made-up push id, another user's push id or another offer never
// counts; a real one counts once however often the phone reports it, and an
// open reported before its delivery result was consumed counts once it is.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topicNames } from '../../pipeline/kafka.ts';
import { TOPICS } from '../../schemas/topics.ts';
import type { DeliveryResult } from '../../schemas/types.ts';
import { eventually } from '../support/harness.ts';
import { startCouponStack, type CouponStack } from '../support/coupons.ts';

describe('opens are counted only for delivered pushes', () => {
  let s: CouponStack;
  let offerId: string;
  let otherOfferId: string;

  beforeAll(async () => {
    s = await startCouponStack();
    await s.worker!.impressionsJoined;
    const reward = { type: 'cashback', fixedMinor: 100 };
    offerId = (await s.liveOffer({ title: 'Opened', reward })).offerId;
    otherOfferId = (await s.liveOffer({ title: 'Other', reward })).offerId;
  });
  afterAll(() => s?.close());

  /** Publishes DELIVERED results and waits until the impressions consumer has recorded them (its processing signal). */
  async function deliver(...pushes: Array<{ pushId: string; userId: string; offerId: string }>): Promise<void> {
    const topic = topicNames(s.config.topics.prefix).deliveryResults;
    const codec = await s.rt.codecs.forTopic<DeliveryResult>(topic, TOPICS.deliveryResults.valueSchema);
    const now = Date.now();
    const result = { channel: 'WEBPUSH', outcome: 'DELIVERED', attempts: 1, status: 201, reason: '' } as const;
    const encode = (p: (typeof pushes)[number]) => codec.encode({ ...p, ...result, deviceTs: now, completedTs: now });
    const messages = await Promise.all(pushes.map(async (p) => ({ key: p.userId, value: await encode(p) })));
    await s.rt.publisher.publish(topic, messages);
    const ids = pushes.map((p) => p.pushId);
    const recorded = async () =>
      (
        await s.rt.pool.query(`SELECT count(*)::int AS n FROM impressions WHERE kind = 'push' AND push_id = ANY($1)`, [
          ids,
        ])
      ).rows[0].n;
    await eventually(async () => (await recorded()) === ids.length, 20_000, 'pushes recorded');
  }
  const open = async (user: string, body: { offerId: string; pushId?: string }) =>
    s.call('POST', '/v1/impressions/open', await s.token('device', user), body);
  async function reported(id: string): Promise<{ opens: number; pushes: number }> {
    const res = await s.call('GET', `/v1/admin/offers/${id}/report`, await s.token('approver'));
    const rep = res.json as { rows: Array<{ opens: number; pushes: number }> };
    return { opens: rep.rows.reduce((a, r) => a + r.opens, 0), pushes: rep.rows.reduce((a, r) => a + r.pushes, 0) };
  }

  it('never counts made-up push ids, nor an open without one', async () => {
    for (let i = 0; i < 8; i++) {
      const res = await open('ana', { offerId, pushId: `made-up-${i}` });
      expect(res.status).toBe(202);
      expect(res.json).toEqual({ status: 'pending' });
    }
    expect((await open('ana', { offerId })).status).toBe(400);
    expect((await open('ana', { offerId: '00000000-0000-4000-8000-000000000000', pushId: 'x' })).status).toBe(404);
    // A delivery the consumer handles after those opens: had any of them matched, it would have counted by now.
    await deliver({ pushId: 'fake-probe', userId: 'zed', offerId: otherOfferId });
    expect(await reported(offerId)).toEqual({ opens: 0, pushes: 0 });
  });

  it("does not count another user's push, nor a push of another offer", async () => {
    await deliver({ pushId: 'ana-push-1', userId: 'ana', offerId });
    expect((await open('bob', { offerId, pushId: 'ana-push-1' })).json).toEqual({ status: 'pending' });
    expect((await open('ana', { offerId: otherOfferId, pushId: 'ana-push-1' })).json).toEqual({ status: 'pending' });
    // Reported before ana's push is consumed, by bob: still not counted once it is.
    await open('bob', { offerId, pushId: 'ana-push-2' });
    await deliver({ pushId: 'ana-push-2', userId: 'ana', offerId });
    expect(await reported(offerId)).toEqual({ opens: 0, pushes: 2 });
    expect((await reported(otherOfferId)).opens).toBe(0);
  });

  it('counts a delivered push once however often reported, also when the open beats the delivery result', async () => {
    await deliver({ pushId: 'cy-push-1', userId: 'cy', offerId });
    for (let i = 0; i < 3; i++) {
      const res = await open('cy', { offerId, pushId: 'cy-push-1' });
      expect(res.status).toBe(202);
      expect(res.json).toEqual({ status: 'counted' });
    }
    expect((await reported(offerId)).opens).toBe(1);

    // The race: the phone reports the open before the coupon worker consumed the delivery result.
    for (let i = 0; i < 3; i++) {
      expect((await open('cy', { offerId, pushId: 'cy-push-2' })).json).toEqual({ status: 'pending' });
    }
    await deliver({ pushId: 'cy-push-2', userId: 'cy', offerId });
    await eventually(async () => (await reported(offerId)).opens === 2, 10_000, 'pending open counted');
    expect((await open('cy', { offerId, pushId: 'cy-push-2' })).json).toEqual({ status: 'counted' });
    const {
      rows: [n],
    } = await s.rt.pool.query(`SELECT count(*)::int AS n FROM impressions WHERE kind = 'open' AND offer_id = $1`, [
      offerId,
    ]);
    expect(n.n).toBe(2);
  });

  it('forgets opens still unmatched after two days', async () => {
    const db = s.rt.pool;
    await db.query(
      `INSERT INTO pending_opens (push_id, user_id, offer_id, at) VALUES
      ('stale', 'dee', $1, now() - interval '3 days'), ('fresh', 'dee', $1, now() - interval '1 day')`,
      [offerId],
    );
    const left = async () =>
      (await db.query<{ push_id: string }>(`SELECT push_id FROM pending_opens WHERE user_id = 'dee'`)).rows.map(
        (r) => r.push_id,
      );
    await eventually(async () => !(await left()).includes('stale'), 10_000, 'stale pending open forgotten');
    expect(await left()).toEqual(['fresh']);
  });
});
