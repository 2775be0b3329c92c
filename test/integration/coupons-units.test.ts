// Claim units are generated lazily, a chunk at a time, as claims need them:
// an offer capped at 1,000,000 costs a chunk of rows, not a million; many
// claimers on two gateways crossing many chunk boundaries get exactly the
// cap, with units numbered 1..cap. Partners' offers are bounded by quotas.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGateway } from '../../gateway/app.ts';
import { loadConfig } from '../../pipeline/config.ts';
import { createRuntime } from '../../pipeline/runtime.ts';
import { startCouponStack, type CouponStack } from '../support/coupons.ts';

const CHUNK = 5;
const FENCE = { lat: 52.37, lng: 4.89, radiusM: 200 };
const REWARD = { type: 'discount', fixedMinor: 100 };

describe('lazily generated claim units', () => {
  let s: CouponStack;
  beforeAll(async () => {
    s = await startCouponStack({
      NEARCAST_CLAIM_UNIT_CHUNK: String(CHUNK),
      NEARCAST_CLAIM_RATE_PER_MINUTE: '100000',
      NEARCAST_PARTNER_MAX_OFFERS: '3',
      NEARCAST_PARTNER_MAX_UNITS: '1000',
    });
  });
  afterAll(() => s?.close());
  const units = async (offerId: string) =>
    (
      await s.rt.pool.query<{ n: number; top: number | null }>(
        'SELECT count(*)::int AS n, max(unit_no) AS top FROM claim_units WHERE offer_id = $1',
        [offerId],
      )
    ).rows[0]!;

  it('creates an offer capped at 1,000,000 quickly, writing at most a chunk of units', async () => {
    const started = Date.now();
    const { offerId } = await s.liveOffer({ reward: REWARD, caps: { maxTotal: 1_000_000 } });
    expect(Date.now() - started).toBeLessThan(5000);
    expect((await units(offerId)).n).toBeLessThanOrEqual(CHUNK);
    const res = await s.call('POST', `/v1/offers/${offerId}/claims`, await s.token('device', 'first'));
    expect(res.status).toBe(201);
    expect(await units(offerId)).toEqual({ n: CHUNK, top: CHUNK });
  }, 90_000);

  it('gives exactly the cap to concurrent claimers on two gateways across many chunk boundaries', async () => {
    const CAP = 203; // not a multiple of the chunk: the last chunk is cut at the cap
    const caps = { maxTotal: CAP, maxPerUser: 1 };
    const { offerId } = await s.liveOffer({ reward: REWARD, caps, claimTtlSeconds: 300 });
    const rt2 = await createRuntime(loadConfig({ ...s.env, NEARCAST_WORKER_ID: '2' }));
    const app2 = await buildGateway(rt2);
    try {
      const apps = [s.app, app2];
      const outcomes: string[] = [];
      // Each claimer claims with fresh users until the offer is sold out.
      await Promise.all(
        Array.from({ length: 40 }, async (_, w) => {
          for (let i = 0; ; i++) {
            const token = await s.token('device', `u-${w}-${i}`);
            const headers = { authorization: `Bearer ${token}` };
            const res = await apps[w % 2]!.inject({ method: 'POST', url: `/v1/offers/${offerId}/claims`, headers });
            outcomes.push(res.statusCode === 201 ? 'granted' : `${res.statusCode} ${res.json().error.code}`);
            if (res.statusCode !== 201) return;
          }
        }),
      );
      expect(outcomes.filter((o) => o === 'granted')).toHaveLength(CAP);
      expect([...new Set(outcomes.filter((o) => o !== 'granted'))]).toEqual(['409 SOLD_OUT']);
      const { rows } = await s.rt.pool.query<{ unit_no: number }>(
        `SELECT unit_no FROM claims WHERE offer_id = $1 AND status = 'live' ORDER BY unit_no`,
        [offerId],
      );
      expect(rows.map((r) => r.unit_no)).toEqual(Array.from({ length: CAP }, (_, i) => i + 1));
      expect(await units(offerId)).toEqual({ n: CAP, top: CAP });
    } finally {
      await app2.close();
      await rt2.close();
    }
  }, 120_000);

  it('bounds a partner to its quota of offers and units (409 QUOTA_EXCEEDED); ending frees a share', async () => {
    const now = Date.now();
    const period = { startsAt: new Date(now - 60_000).toISOString(), endsAt: new Date(now + 86_400_000).toISOString() };
    const offer = (campaignId: string, maxTotal: number) => ({
      campaignId,
      title: 'Quota',
      circles: [FENCE],
      reward: REWARD,
      caps: { maxTotal },
    });
    const campaign = async (base: string, token: string, name: string) => {
      const res = await s.call('POST', `${base}/campaigns`, token, { name, ...period, budgetMinor: 5000 });
      return res.json as { campaignId: string };
    };
    const p1 = await s.token('partner', 'quota-1');
    const c1 = await campaign('/v1/partner', p1, 'Q1');
    // Five at once against a quota of three offers: exactly three are created.
    const create = () => s.call('POST', '/v1/partner/offers', p1, offer(c1.campaignId, 10));
    const created = await Promise.all(Array.from({ length: 5 }, create));
    expect(created.map((r) => r.status).sort()).toEqual([201, 201, 201, 409, 409]);
    const refused = created.find((r) => r.status === 409)!.json as { error: { code: string; message: string } };
    expect(refused.error.code).toBe('QUOTA_EXCEEDED');
    // An ended offer no longer counts.
    const first = (created.find((r) => r.status === 201)!.json as { offerId: string }).offerId;
    expect((await s.call('POST', `/v1/partner/offers/${first}/submit`, p1)).status).toBe(200);
    expect((await s.call('POST', `/v1/admin/offers/${first}/approve`, await s.token('approver'))).status).toBe(200);
    expect((await s.call('POST', `/v1/admin/offers/${first}/end`, await s.token('marketer'))).status).toBe(200);
    expect((await create()).status).toBe(201);

    // Units: at most 1,000 over the partner's offers that have not ended, also through edits of drafts.
    const p2 = await s.token('partner', 'quota-2');
    const c2 = await campaign('/v1/partner', p2, 'Q2');
    const big = await s.call('POST', '/v1/partner/offers', p2, offer(c2.campaignId, 900));
    expect(big.status).toBe(201);
    const over = await s.call('POST', '/v1/partner/offers', p2, offer(c2.campaignId, 101));
    expect([over.status, (over.json as { error: { code: string } }).error.code]).toEqual([409, 'QUOTA_EXCEEDED']);
    expect((await s.call('POST', '/v1/partner/offers', p2, offer(c2.campaignId, 100))).status).toBe(201);
    const bigId = (big.json as { offerId: string }).offerId;
    expect((await s.call('PATCH', `/v1/partner/offers/${bigId}`, p2, { caps: { maxTotal: 901 } })).status).toBe(409);
    expect((await s.call('PATCH', `/v1/partner/offers/${bigId}`, p2, { caps: { maxTotal: 800 } })).status).toBe(200);

    // Staff are not partners: no quota.
    const marketer = await s.token('marketer');
    const c3 = await campaign('/v1/admin', marketer, 'Staff');
    for (let i = 0; i < 4; i++) {
      expect((await s.call('POST', '/v1/admin/offers', marketer, offer(c3.campaignId, 500))).status).toBe(201);
    }
  });
});
