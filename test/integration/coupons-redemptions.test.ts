// Redemption, reversal, budgets, the side-effect-free check, reports and the
// partner API, over HTTP on real PostgreSQL and Kafka.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topicNames } from '../../pipeline/kafka.ts';
import { TOPICS } from '../../schemas/topics.ts';
import type { DeliveryResult, Offer as OfferEvent } from '../../schemas/types.ts';
import { collect, eventually } from '../support/harness.ts';
import { startCouponStack, type CouponStack } from '../support/coupons.ts';

const FENCE = { lat: 48.85, lng: 2.35, radiusM: 300 };

describe('redemptions', () => {
  let s: CouponStack;
  let admin: string;
  /** The merchant that states purchases: its points of sale are every merchant id these tests buy at. */
  let till: string;

  beforeAll(async () => {
    s = await startCouponStack();
    admin = await s.token('admin', 'fin');
    till = await s.token('merchant', 'till', ['shop-1', 'm', 'any', 'other']);
  });
  afterAll(() => s?.close());

  async function claim(offerId: string, user: string) {
    const res = await s.call('POST', `/v1/offers/${offerId}/claims`, await s.token('device', user));
    return res as { status: number; json: { code: string; expiresAt: string; error?: { code: string } } };
  }
  const redeem = async (body: object) => s.call('POST', '/v1/redemptions', till, body);

  it('redeems once per code, computes cashback, and treats a retry as the same redemption', async () => {
    const { offerId } = await s.liveOffer({
      title: 'Spend 100 get 20',
      circles: [FENCE],
      merchantIds: ['shop-1'],
      eligibility: { minSpendMinor: 10_000, categories: ['grocery'] },
      reward: { type: 'cashback', fixedMinor: 2000 },
      caps: { maxTotal: 10, maxPerUser: 1 },
    });
    const c = await claim(offerId, 'ana');
    expect(c.status).toBe(201);
    expect(c.json.code).toMatch(/^[0-9]+$/);
    expect(Date.parse(c.json.expiresAt) - Date.now()).toBeGreaterThan(4 * 60_000); // default TTL 5 min

    const purchase = { code: c.json.code, amountMinor: 12_000, merchantId: 'shop-1', category: 'grocery' };
    // The check answers without side effects, however often it is asked.
    const check = await s.call('POST', '/v1/redemptions/check', till, purchase);
    expect(check.json).toEqual({ redeemable: true, reasons: [], rewardMinor: 2000 });
    const tooSmall = await s.call('POST', '/v1/redemptions/check', till, {
      ...purchase,
      amountMinor: 5000,
      merchantId: 'other',
    });
    expect(tooSmall.json).toMatchObject({ redeemable: false, rewardMinor: 0 });
    expect((tooSmall.json as { reasons: string[] }).reasons).toHaveLength(2);

    expect((await redeem({ ...purchase, amountMinor: 9_999 })).status).toBe(422);
    expect((await s.call('POST', '/v1/redemptions', await s.token('device', 'ana'), purchase)).status).toBe(403); // the phone never redeems
    const first = await redeem(purchase);
    expect(first.status).toBe(201);
    expect(first.json).toMatchObject({
      code: c.json.code,
      offerId,
      userId: 'ana',
      amountMinor: 12_000,
      cashbackMinor: 2000,
      discountMinor: 0,
      reversedAt: null,
    });
    const retry = await redeem(purchase);
    expect(retry.status).toBe(200);
    expect(retry.json).toEqual(first.json);
    expect((await redeem({ ...purchase, amountMinor: 50_000 })).status).toBe(409);
    const {
      rows: [count],
    } = await s.rt.pool.query('SELECT count(*)::int AS n FROM redemptions WHERE offer_id = $1', [offerId]);
    expect(count.n).toBe(1);
    const spent = (await s.call('GET', `/v1/admin/offers/${offerId}`, admin)).json as {
      spentMinor: number;
      redeemedCount: number;
    };
    expect(spent).toMatchObject({ spentMinor: 2000, redeemedCount: 1 });
    expect((await s.call('GET', `/v1/redemptions/${c.json.code}`, await s.token('device', 'ana'))).status).toBe(200);
    expect((await redeem({ ...purchase, code: '12x' })).status).toBe(400);
    expect((await redeem({ ...purchase, code: '123456789' })).status).toBe(404);
  });

  it('makes one redemption of 20 identical requests sent at once', async () => {
    const { offerId } = await s.liveOffer({
      title: 'Racy',
      circles: [FENCE],
      reward: { type: 'cashback', fixedMinor: 50 },
      caps: { maxTotal: 5 },
    });
    const c = await claim(offerId, 'kim');
    const body = { code: c.json.code, amountMinor: 1000, merchantId: 'm' };
    const results = await Promise.all(Array.from({ length: 20 }, () => s.call('POST', '/v1/redemptions', till, body)));
    expect(results.map((r) => r.status).sort((a, b) => a - b)).toEqual([...Array(19).fill(200), 201]);
    const {
      rows: [r],
    } = await s.rt.pool.query(
      'SELECT count(*)::int AS n, sum(cashback_minor)::int AS paid FROM redemptions WHERE offer_id = $1',
      [offerId],
    );
    expect(r).toEqual({ n: 1, paid: 50 });
  });

  it('exhausts an offer at its cap (EXHAUSTED on the offers topic) and a reversal returns the unit and the budget', async () => {
    const { offerId, campaignId } = await s.liveOffer({
      title: 'Last one',
      circles: [FENCE],
      reward: { type: 'cashback', percent: 10 },
      maxRewardMinor: 1000,
      caps: { maxTotal: 1 },
    });
    const c = await claim(offerId, 'cleo');
    expect((await redeem({ code: c.json.code, amountMinor: 5000, merchantId: 'any' })).status).toBe(201);
    const sold = await claim(offerId, 'dan');
    expect(sold.status).toBe(409);
    const topic = topicNames(s.config.topics.prefix).offers;
    await collect<OfferEvent>(s.rt, topic, (v) => v.offerId === offerId && v.status === 'EXHAUSTED', 1, 10_000);

    expect(
      (await s.call('POST', `/v1/redemptions/${c.json.code}/reversal`, await s.token('device', 'cleo'))).status,
    ).toBe(403);
    const rev = await s.call('POST', `/v1/redemptions/${c.json.code}/reversal`, admin, { reason: 'refund' });
    expect(rev.status).toBe(200);
    expect((rev.json as { reversedAt: string | null }).reversedAt).not.toBeNull();
    expect((await s.call('POST', `/v1/redemptions/${c.json.code}/reversal`, admin)).status).toBe(200); // idempotent
    expect((await redeem({ code: c.json.code, amountMinor: 5000, merchantId: 'any' })).status).toBe(409);
    const campaign = (await s.call('GET', `/v1/admin/campaigns/${campaignId}`, admin)).json as { spentMinor: number };
    expect(campaign.spentMinor).toBe(0);
    await collect<OfferEvent>(s.rt, topic, (v) => v.offerId === offerId && v.status === 'ACTIVE', 2, 10_000);
    expect((await claim(offerId, 'dan')).status).toBe(201);
  });

  it('stops claims when the campaign budget is used up, paying at most what is left', async () => {
    const { offerId } = await s.liveOffer(
      { title: 'Budget', circles: [FENCE], reward: { type: 'cashback', fixedMinor: 700 }, caps: { maxTotal: 10 } },
      { budgetMinor: 1000 },
    );
    const a = await claim(offerId, 'eve');
    const b = await claim(offerId, 'fay');
    expect((await redeem({ code: a.json.code, amountMinor: 5000, merchantId: 'm' })).json).toMatchObject({
      cashbackMinor: 700,
    });
    expect((await redeem({ code: b.json.code, amountMinor: 5000, merchantId: 'm' })).json).toMatchObject({
      cashbackMinor: 300,
    });
    const refused = await claim(offerId, 'gus');
    expect(refused.status).toBe(409);
    expect(refused.json.error?.code).toBe('CLAIM_REFUSED');
  });

  it('answers 410 for a lapsed code', async () => {
    const { offerId } = await s.liveOffer({
      title: 'Quick',
      circles: [FENCE],
      claimTtlSeconds: 1,
      caps: { maxTotal: 3 },
    });
    const c = await claim(offerId, 'hal');
    await new Promise((r) => setTimeout(r, 1300));
    const late = await redeem({ code: c.json.code, amountMinor: 100, merchantId: 'm' });
    expect(late.status).toBe(410);
  });

  it('reports claims, expiries, redemptions, opens and conversion by local day, as JSON and CSV', async () => {
    const { offerId, campaignId } = await s.liveOffer({
      title: 'Reported',
      circles: [FENCE],
      reward: { type: 'cashback', fixedMinor: 100 },
      caps: { maxTotal: 5 },
    });
    const c1 = await claim(offerId, 'ivy');
    await claim(offerId, 'jon');
    await redeem({ code: c1.json.code, amountMinor: 1000, merchantId: 'm' });
    // A push delivered (from the dispatcher's delivery-results topic), delivered twice: counted once.
    const topic = topicNames(s.config.topics.prefix).deliveryResults;
    const codec = await s.rt.codecs.forTopic<DeliveryResult>(topic, TOPICS.deliveryResults.valueSchema);
    const result: DeliveryResult = {
      pushId: `push-${offerId}`,
      userId: 'ivy',
      offerId,
      channel: 'WEBPUSH',
      outcome: 'DELIVERED',
      attempts: 1,
      status: 201,
      reason: '',
      deviceTs: Date.now(),
      completedTs: Date.now(),
    };
    const value = await codec.encode(result);
    await s.rt.publisher.publish(topic, [
      { key: 'ivy', value },
      { key: 'ivy', value },
      { key: 'ivy', value: await codec.encode({ ...result, pushId: 'p-gone', outcome: 'GONE' }) },
    ]);
    await eventually(
      async () =>
        (
          await s.rt.pool.query(`SELECT count(*)::int AS n FROM impressions WHERE offer_id = $1 AND kind = 'push'`, [
            offerId,
          ])
        ).rows[0].n === 1,
      20_000,
      'push impression recorded',
    );
    // Opens count only for a delivered push (test/integration/trust-opens.test.ts), once per push id.
    const open = await s.call('POST', '/v1/impressions/open', await s.token('device', 'ivy'), {
      offerId,
      pushId: `push-${offerId}`,
    });
    expect(open.status).toBe(202);
    await s.call('POST', '/v1/impressions/open', await s.token('device', 'ivy'), {
      offerId,
      pushId: `push-${offerId}`,
    }); // counted once
    const staff = await s.token('approver');
    const tz = 'Pacific/Kiritimati'; // UTC+14: its day differs from UTC's for part of every day
    const rep = (
      await s.call('GET', `/v1/admin/offers/${offerId}/report?tz=${encodeURIComponent(tz)}&granularity=day`, staff)
    ).json as { rows: Array<Record<string, unknown>> };
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: tz }).format(Date.now());
    expect(rep.rows).toEqual([
      expect.objectContaining({
        period: today,
        pushes: 1,
        claims: 2,
        redemptions: 1,
        cashbackMinor: 100,
        opens: 1,
        conversion: 0.5,
        claimRate: 2,
        openRate: 1,
      }),
    ]);
    const week = (await s.call('GET', `/v1/admin/campaigns/${campaignId}/report?granularity=week`, staff)).json as {
      rows: Array<{ claims: number }>;
    };
    expect(week.rows.reduce((a, r) => a + r.claims, 0)).toBe(2);
    const csv = await s.app.inject({
      method: 'GET',
      url: `/v1/admin/offers/${offerId}/report?format=csv`,
      headers: { authorization: `Bearer ${staff}` },
    });
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(csv.body.split('\n')[0]).toMatch(/^period,pushes,opens,claims/);
    expect((await s.call('GET', `/v1/admin/offers/${offerId}/report?tz=Mars/Olympus`, staff)).status).toBe(400);
    expect((await s.call('GET', `/v1/admin/offers/${offerId}/report`, await s.token('device', 'ivy'))).status).toBe(
      403,
    );
  });

  it('lets partners submit offers into the approval flow and see only their own', async () => {
    const p1 = await s.token('partner', 'agg-1');
    const p2 = await s.token('partner', 'agg-2');
    const period = {
      startsAt: new Date(Date.now() - 60_000).toISOString(),
      endsAt: new Date(Date.now() + 86_400_000).toISOString(),
    };
    const c = (await s.call('POST', '/v1/partner/campaigns', p1, { name: 'Aggregated', ...period, budgetMinor: 5000 }))
      .json as { campaignId: string; partnerId: string };
    expect(c.partnerId).toBe('agg-1');
    const o = await s.call('POST', '/v1/partner/offers', p1, {
      campaignId: c.campaignId,
      title: 'From partner',
      circles: [FENCE],
      reward: { type: 'discount', percent: 5 },
      maxRewardMinor: 500,
      caps: { maxTotal: 5 },
    });
    expect(o.status).toBe(201);
    const offerId = (o.json as { offerId: string }).offerId;
    expect((await s.call('POST', `/v1/partner/offers/${offerId}/submit`, p1)).status).toBe(200);
    expect((await s.call('POST', `/v1/partner/offers/${offerId}/approve`, p1)).status).toBe(403);
    expect((await s.call('GET', `/v1/partner/offers/${offerId}`, p2)).status).toBe(404);
    expect((await s.call('GET', `/v1/partner/offers/${offerId}/report`, p2)).status).toBe(404);
    expect(
      (
        await s.call('POST', '/v1/partner/offers', p2, {
          campaignId: c.campaignId,
          title: 'Not mine',
          circles: [FENCE],
          reward: { type: 'discount', percent: 5 },
          maxRewardMinor: 500,
          caps: { maxTotal: 5 },
        })
      ).status,
    ).toBe(404);
    expect(((await s.call('GET', '/v1/partner/offers', p2)).json as { offers: unknown[] }).offers).toEqual([]);
    expect((await s.call('GET', `/v1/partner/offers/${offerId}/report`, p1)).status).toBe(200);
    expect((await s.call('GET', '/v1/partner/offers', admin)).status).toBe(403);
    // Staff approve the partner's submission.
    expect((await s.call('POST', `/v1/admin/offers/${offerId}/approve`, await s.token('approver'))).status).toBe(200);
  });
});
