// Campaign and offer lifecycle over HTTP on a real PostgreSQL: roles, four
// eyes, the audit trail, listing with filters and paging, and the outbox
// putting exactly the committed changes on the offers topic.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topicNames } from '../../pipeline/kafka.ts';
import { withTx, enqueueOffers } from '../../coupons/index.ts';
import type { Offer as OfferEvent } from '../../schemas/types.ts';
import { collect } from '../support/harness.ts';
import { testConfig } from '../support/env.ts';
import { createRuntime } from '../../pipeline/runtime.ts';
import { buildGateway } from '../../gateway/app.ts';
import { secretKey, signToken } from '../../gateway/auth.ts';
import { startCouponStack, type CouponStack } from '../support/coupons.ts';

const FENCE = { lat: 52.37, lng: 4.89, radiusM: 150 };
const period = () => ({
  startsAt: new Date(Date.now() - 60_000).toISOString(),
  endsAt: new Date(Date.now() + 86_400_000).toISOString(),
});

describe('coupon lifecycle', () => {
  let s: CouponStack;
  let marketer: string, marketer2: string, approver: string, admin: string, device: string;

  beforeAll(async () => {
    s = await startCouponStack();
    [marketer, marketer2, approver, admin, device] = await Promise.all([
      s.token('marketer', 'mia'),
      s.token('marketer', 'max'),
      s.token('approver', 'ann'),
      s.token('admin', 'ada'),
      s.token('device', 'u1'),
    ]);
  });
  afterAll(() => s?.close());

  const post = (url: string, token: string, body?: unknown) => s.call('POST', url, token, body);

  it('needs a token and the right role on every admin route', async () => {
    const res = await s.app.inject({
      method: 'POST',
      url: '/v1/admin/campaigns',
      payload: { name: 'x', ...period(), budgetMinor: 1 },
    });
    expect(res.statusCode).toBe(401);
    expect((await post('/v1/admin/campaigns', device, { name: 'x', ...period(), budgetMinor: 1 })).status).toBe(403);
    expect((await post('/v1/admin/campaigns', approver, { name: 'x', ...period(), budgetMinor: 1 })).status).toBe(403);
    expect((await s.call('GET', '/v1/admin/offers', device)).status).toBe(403);
  });

  it('validates bodies and ids (400, 404)', async () => {
    expect((await post('/v1/admin/campaigns', marketer, { name: 'x', ...period(), budgetMinor: -5 })).status).toBe(400);
    expect(
      (
        await post('/v1/admin/campaigns', marketer, {
          name: 'x',
          startsAt: period().endsAt,
          endsAt: period().startsAt,
          budgetMinor: 5,
        })
      ).status,
    ).toBe(400);
    expect(
      (await post('/v1/admin/campaigns', marketer, { name: 'x', ...period(), budgetMinor: 5, extra: 1 })).status,
    ).toBe(400);
    expect((await s.call('GET', '/v1/admin/campaigns/00000000-0000-4000-8000-000000000000', marketer)).status).toBe(
      404,
    );
    expect((await s.call('GET', '/v1/admin/campaigns/not-a-uuid', marketer)).status).toBe(400);
    const nul = await post('/v1/admin/campaigns', marketer, { name: 'a\u0000b', ...period(), budgetMinor: 5 });
    expect(nul.status).toBe(400); // PostgreSQL refuses NUL in text: the client's fault, not a 500
    const c = (await post('/v1/admin/campaigns', marketer, { name: 'v', ...period(), budgetMinor: 5 })).json as {
      campaignId: string;
    };
    const noFence = await post('/v1/admin/offers', marketer, {
      campaignId: c.campaignId,
      title: 't',
      reward: { type: 'cashback', percent: 5 },
      caps: { maxTotal: 5 },
    });
    expect(noFence.status).toBe(400);
    const twoRewards = await post('/v1/admin/offers', marketer, {
      campaignId: c.campaignId,
      title: 't',
      circles: [FENCE],
      reward: { type: 'cashback', percent: 5, fixedMinor: 100 },
      caps: { maxTotal: 5 },
    });
    expect(twoRewards.status).toBe(400);
    const badZone = await post('/v1/admin/offers', marketer, {
      campaignId: c.campaignId,
      title: 't',
      circles: [FENCE],
      timeZone: 'Mars/Base',
      reward: { type: 'cashback', percent: 5 },
      caps: { maxTotal: 5 },
    });
    expect(badZone.status).toBe(400);
  });

  it('enforces four eyes and records every transition with who and when', async () => {
    const c = (await post('/v1/admin/campaigns', marketer, { name: 'Spring', ...period(), budgetMinor: 10_000 }))
      .json as { campaignId: string };
    const id = c.campaignId;
    expect((await post(`/v1/admin/campaigns/${id}/approve`, approver)).status).toBe(409); // still a draft
    expect((await post(`/v1/admin/campaigns/${id}/submit`, marketer)).status).toBe(200);
    expect((await post(`/v1/admin/campaigns/${id}/approve`, marketer2)).status).toBe(403); // a marketer cannot approve
    // An admin who submitted cannot approve their own submission either.
    const c2 = (await post('/v1/admin/campaigns', admin, { name: 'Own', ...period(), budgetMinor: 1 })).json as {
      campaignId: string;
    };
    await post(`/v1/admin/campaigns/${c2.campaignId}/submit`, admin);
    const own = await post(`/v1/admin/campaigns/${c2.campaignId}/approve`, admin);
    expect(own.status).toBe(403);
    expect((await post(`/v1/admin/campaigns/${id}/approve`, approver, { note: 'budget ok' })).status).toBe(200);
    expect((await post(`/v1/admin/campaigns/${id}/activate`, approver)).status).toBe(403);
    expect((await post(`/v1/admin/campaigns/${id}/activate`, marketer)).status).toBe(200);
    expect((await post(`/v1/admin/campaigns/${id}/pause`, marketer)).status).toBe(200);
    expect((await post(`/v1/admin/campaigns/${id}/pause`, marketer)).status).toBe(409);
    expect((await post(`/v1/admin/campaigns/${id}/resume`, marketer)).status).toBe(200);
    const got = (await s.call('GET', `/v1/admin/campaigns/${id}`, approver)).json as {
      status: string;
      history: Array<{ from: string; to: string; actor: string; at: string; note: string | null }>;
    };
    expect(got.status).toBe('active');
    expect(got.history.map((h) => `${h.from}>${h.to}:${h.actor}`)).toEqual([
      'none>draft:mia',
      'draft>pending_approval:mia',
      'pending_approval>approved:ann',
      'approved>active:mia',
      'active>paused:mia',
      'paused>active:mia',
    ]);
    expect(got.history[2]!.note).toBe('budget ok');
    expect(Date.parse(got.history[0]!.at)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('publishes activation and pause to the offers topic, and nothing for a rolled-back change', async () => {
    const { offerId } = await s.liveOffer({ title: 'Outbox tea', circles: [FENCE] });
    const topic = topicNames(s.config.topics.prefix).offers;
    const mine = (v: OfferEvent) => v.offerId === offerId;
    const [active] = await collect<OfferEvent>(s.rt, topic, (v) => mine(v) && v.status === 'ACTIVE', 1, 10_000);
    expect(active!.value).toMatchObject({ title: 'Outbox tea', circles: [FENCE], status: 'ACTIVE' });

    // A change whose transaction rolls back leaves no event behind.
    await expect(
      withTx(s.rt.pool, async (tx) => {
        await tx.query(`UPDATE offers SET title = 'ROLLED BACK' WHERE offer_id = $1`, [offerId]);
        await enqueueOffers(tx, [offerId], Date.now());
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect((await post(`/v1/admin/offers/${offerId}/pause`, marketer)).status).toBe(200);
    await collect<OfferEvent>(s.rt, topic, (v) => mine(v) && v.status === 'PAUSED', 1, 10_000);
    const all = await collect<OfferEvent>(s.rt, topic, mine, 2, 5_000);
    expect(all.map((m) => m.value.title)).not.toContain('ROLLED BACK');
    const { rows } = await s.rt.pool.query(
      'SELECT count(*)::int AS n FROM outbox WHERE msg_key = $1 AND sent_at IS NULL',
      [offerId],
    );
    expect(rows[0].n).toBe(0);
  });

  it('lists offers with filters and keyset paging', async () => {
    const { campaignId } = await s.liveOffer({ title: 'Page 0', category: 'books' });
    for (let i = 1; i <= 4; i++) {
      const r = await post('/v1/admin/offers', marketer, {
        campaignId,
        title: `Page ${i}`,
        category: 'books',
        circles: [FENCE],
        reward: { type: 'discount', fixedMinor: 100 },
        caps: { maxTotal: 3 },
      });
      expect(r.status).toBe(201);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 5; page++) {
      const url: string = `/v1/admin/offers?campaignId=${campaignId}&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const res = (await s.call('GET', url, approver)).json as {
        offers: Array<{ title: string }>;
        nextCursor: string | null;
      };
      seen.push(...res.offers.map((o) => o.title));
      cursor = res.nextCursor;
      if (!cursor) break;
    }
    expect(seen.sort()).toEqual(['Page 0', 'Page 1', 'Page 2', 'Page 3', 'Page 4']);
    const live = (await s.call('GET', `/v1/admin/offers?campaignId=${campaignId}&live=true`, approver)).json as {
      offers: Array<{ title: string }>;
    };
    expect(live.offers.map((o) => o.title)).toEqual(['Page 0']);
    expect((await s.call('GET', '/v1/admin/offers?cursor=garbage', approver)).status).toBe(400);
    const draft = (await s.call('GET', `/v1/admin/offers?campaignId=${campaignId}&status=draft&limit=1`, approver))
      .json as { offers: Array<{ offerId: string }> };
    const edited = await s.call('PATCH', `/v1/admin/offers/${draft.offers[0]!.offerId}`, marketer, {
      title: 'Edited',
      caps: { maxTotal: 7 },
    });
    expect(edited.status).toBe(200);
    expect(edited.json).toMatchObject({ title: 'Edited', caps: { maxTotal: 7 }, category: 'books' });
    const liveId = (await s.call('GET', `/v1/admin/offers?campaignId=${campaignId}&live=true`, approver)).json as {
      offers: Array<{ offerId: string }>;
    };
    expect(
      (await s.call('PATCH', `/v1/admin/offers/${liveId.offers[0]!.offerId}`, marketer, { title: 'No' })).status,
    ).toBe(409);
  });

  it('answers 503 with Retry-After, not 500, when PostgreSQL is unreachable', async () => {
    const config = testConfig({ NEARCAST_DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nearcast_unreachable' });
    const rt = await createRuntime(config);
    const app = await buildGateway(rt);
    try {
      const key = secretKey(config.auth.tokenSecret);
      const staff = await signToken(key, { userId: 'mia', role: 'marketer' });
      const device = await signToken(key, { userId: 'u1', role: 'device' });
      for (const [method, url, token] of [
        ['GET', '/v1/admin/offers', staff],
        ['GET', '/v1/admin/offers/00000000-0000-4000-8000-000000000000', staff],
        ['POST', '/v1/offers/00000000-0000-4000-8000-000000000000/claims', device],
      ] as const) {
        const res = await app.inject({ method, url, headers: { authorization: `Bearer ${token}` } });
        expect(res.statusCode, url).toBe(503);
        expect(res.json().error.code).toBe('DEPENDENCY_UNAVAILABLE');
        expect(res.headers['retry-after']).toBeDefined();
      }
    } finally {
      await app.close();
      await rt.close();
    }
  });
});
