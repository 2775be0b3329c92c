// Money moves only on a merchant's word (issue #11): a phone presents its code,
// a merchant token redeems it at one of its own points of sale, and the offer
// bounds the purchase and the reward. A purchase in the card feed may redeem
// too. Over HTTP on real PostgreSQL and Kafka.
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secretKey } from '../../gateway/auth.ts';
import { topicNames } from '../../pipeline/kafka.ts';
import { startImportConsumer } from '../../processors/imports/consumer.ts';
import { TOPICS } from '../../schemas/topics.ts';
import type { ImportedTransaction } from '../../schemas/types.ts';
import { eventually } from '../support/harness.ts';
import { startCouponStack, type CouponStack } from '../support/coupons.ts';

const FENCE = { lat: 45.46, lng: 9.19, radiusM: 300 };
type Json = { code: string; qr?: string; error?: { code: string; message: string } } & Record<string, unknown>;
const message = (res: { json: unknown }) => (res.json as Json).error?.message;

describe('trusted redemptions', () => {
  let s: CouponStack;
  let admin: string;
  let key: Uint8Array;

  beforeAll(async () => {
    s = await startCouponStack();
    admin = await s.token('admin', 'fin');
    key = secretKey(s.config.auth.tokenSecret);
  });
  afterAll(() => s?.close());

  const merchant = (sub: string, merchants?: string[]) => s.token('merchant', sub, merchants);
  const redeem = (token: string, body: object) => s.call('POST', '/v1/redemptions', token, body);
  async function claim(offerId: string, user: string) {
    const res = await s.call('POST', `/v1/offers/${offerId}/claims`, await s.token('device', user));
    expect(res.status).toBe(201);
    return res.json as Json;
  }
  async function spent(campaignId: string): Promise<number> {
    const res = await s.call('GET', `/v1/admin/campaigns/${campaignId}`, admin);
    return (res.json as { spentMinor: number }).spentMinor;
  }

  it('refuses the phone that redeems its own code at an amount of its choosing; the budget is untouched', async () => {
    const { offerId, campaignId } = await s.liveOffer({
      title: '10% back',
      circles: [FENCE],
      merchantIds: ['shop-1'],
      reward: { type: 'cashback', percent: 10, maxMinor: 5000 },
    });
    const c = await claim(offerId, 'mallory');
    const phone = await s.token('device', 'mallory');
    const attack = await redeem(phone, { code: c.code, amountMinor: 1_000_000_000_000, merchantId: 'shop-1' });
    expect(attack.status).toBe(403);
    expect(message(attack)).toMatch(/phone presents its code; the merchant redeems it/);
    const fair = { code: c.code, amountMinor: 10_000, merchantId: 'shop-1' };
    const check = await s.call('POST', '/v1/redemptions/check', phone, fair);
    expect(check.status).toBe(403);
    expect(await spent(campaignId)).toBe(0);
    const count = 'SELECT count(*)::int AS n FROM redemptions WHERE offer_id = $1';
    const {
      rows: [n],
    } = await s.rt.pool.query(count, [offerId]);
    expect(n.n).toBe(0);
  });

  it('refuses to create a percent offer whose reward nothing bounds', async () => {
    const marketer = await s.token('marketer');
    const period = { startsAt: new Date().toISOString(), endsAt: new Date(Date.now() + 86_400_000).toISOString() };
    const campaign = { name: 'Unbounded', budgetMinor: 1000, ...period };
    const c = (await s.call('POST', '/v1/admin/campaigns', marketer, campaign)).json;
    const body = {
      campaignId: (c as { campaignId: string }).campaignId,
      title: 'No cap',
      circles: [FENCE],
      reward: { type: 'cashback', percent: 10 },
      caps: { maxTotal: 5 },
    };
    const res = await s.call('POST', '/v1/admin/offers', marketer, body);
    expect(res.status).toBe(400);
    expect(message(res)).toMatch(/maxRewardMinor/);
    expect((await s.call('POST', '/v1/admin/offers', marketer, { ...body, maxRewardMinor: 500 })).status).toBe(201);
  });

  it('lets a merchant redeem only at its own points of sale, and rejects a malformed merchants claim', async () => {
    const reward = { type: 'cashback', fixedMinor: 100 };
    const { offerId, campaignId } = await s.liveOffer({ title: 'Chain', circles: [FENCE], reward });
    const c = await claim(offerId, 'ana');
    const buy = (merchantId: string) => ({ code: c.code, amountMinor: 1000, merchantId });
    const foreign = await redeem(await merchant('shop-1'), buy('shop-2'));
    expect(foreign.status).toBe(403);
    expect(message(foreign)).toMatch(/shop-2/);
    const chain = await merchant('acme', ['pos-1', 'pos-2']);
    expect((await redeem(chain, buy('acme'))).status).toBe(403); // the list replaces the account's own id
    expect((await redeem(chain, buy('pos-3'))).status).toBe(403);
    expect(await spent(campaignId)).toBe(0);
    const ok = await redeem(chain, buy('pos-2'));
    expect(ok.status).toBe(201);
    expect(ok.json).toMatchObject({ merchantId: 'pos-2', cashbackMinor: 100 });

    const raw = (role: string, claims: Record<string, unknown>) =>
      new SignJWT({ role, ...claims })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('acme')
        .setIssuer('nearcast')
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(key);
    const malformed = ['pos-1', [1], [], [''], ['x'.repeat(65)], Array.from({ length: 101 }, (_, i) => `p${i}`)];
    for (const merchants of malformed) {
      expect((await s.call('GET', `/v1/redemptions/${c.code}`, await raw('merchant', { merchants }))).status).toBe(401);
    }
    const deviceWithMerchants = await raw('device', { merchants: ['pos-1'] });
    expect((await s.call('GET', `/v1/redemptions/${c.code}`, deviceWithMerchants)).status).toBe(401);
  });

  it('refuses a purchase over maxPurchaseMinor, caps the reward at maxRewardMinor, and bounds any amount', async () => {
    const { offerId, campaignId } = await s.liveOffer({
      title: 'Bounded',
      circles: [FENCE],
      merchantIds: ['shop-1'],
      reward: { type: 'cashback', percent: 10 },
      maxPurchaseMinor: 50_000,
      maxRewardMinor: 300,
    });
    const shop = await merchant('shop-1');
    const c = await claim(offerId, 'bea');
    const buy = (amountMinor: number) => ({ code: c.code, amountMinor, merchantId: 'shop-1' });
    expect((await redeem(shop, buy(100_000_000_000))).status).toBe(400); // above the global 10^10
    const over = await redeem(shop, buy(50_001));
    expect(over.status).toBe(422);
    expect(message(over)).toMatch(/50000/);
    const check = await s.call('POST', '/v1/redemptions/check', shop, buy(50_001));
    expect(check.json).toMatchObject({ redeemable: false, rewardMinor: 0 });
    expect(await spent(campaignId)).toBe(0);
    const ok = await redeem(shop, buy(50_000));
    expect(ok.status).toBe(201);
    expect(ok.json).toMatchObject({ cashbackMinor: 300 }); // 10% would be 5000
    expect(await spent(campaignId)).toBe(300);
    const offer = (await s.call('GET', `/v1/admin/offers/${offerId}`, admin)).json;
    expect(offer).toMatchObject({ maxPurchaseMinor: 50_000, maxRewardMinor: 300 });
  });

  it('gives the phone a QR payload; a merchant redeems it, a retry replays, each reads, admin reverses', async () => {
    const reward = { type: 'discount', fixedMinor: 250 };
    const { offerId, campaignId } = await s.liveOffer({ title: 'Scan me', circles: [FENCE], reward });
    const c = await claim(offerId, 'cleo');
    expect(c.qr).toBe(`nearcast:v1:${c.code}`);
    const listed = await s.call('GET', `/v1/offers/${offerId}/claims`, await s.token('device', 'cleo'));
    expect((listed.json as { claims: Json[] }).claims).toEqual([expect.objectContaining({ code: c.code, qr: c.qr })]);

    const shop = await merchant('shop-9');
    const purchase = { code: c.qr!, amountMinor: 4000, merchantId: 'shop-9' };
    const check = await s.call('POST', '/v1/redemptions/check', shop, purchase);
    expect(check.json).toEqual({ redeemable: true, reasons: [], rewardMinor: 250 });
    const first = await redeem(shop, purchase);
    expect(first.status).toBe(201);
    expect(first.json).toMatchObject({ code: c.code, userId: 'cleo', amountMinor: 4000, merchantId: 'shop-9' });
    expect(first.json).toMatchObject({ discountMinor: 250, cashbackMinor: 0 });
    const retry = await redeem(shop, { ...purchase, code: c.code });
    expect(retry.status).toBe(200);
    expect(retry.json).toEqual(first.json);
    expect((await redeem(shop, { ...purchase, amountMinor: 4001 })).status).toBe(409);
    expect(await spent(campaignId)).toBe(250);

    const read = async (token: string) => (await s.call('GET', `/v1/redemptions/${c.code}`, token)).status;
    expect(await read(await s.token('device', 'cleo'))).toBe(200);
    expect(await read(await s.token('device', 'dan'))).toBe(404);
    expect(await read(shop)).toBe(200);
    expect(await read(await merchant('shop-8'))).toBe(404);

    expect((await s.call('POST', `/v1/redemptions/${c.code}/reversal`, shop)).status).toBe(403);
    const rev = await s.call('POST', `/v1/redemptions/${c.code}/reversal`, admin, { reason: 'refund' });
    expect(rev.status).toBe(200);
    expect((rev.json as { reversedAt: string | null }).reversedAt).not.toBeNull();
    expect(await spent(campaignId)).toBe(0);
  });
});

describe('card-linked redemption from the transaction feed', () => {
  let s: CouponStack;
  let stopConsumer: () => Promise<void>;

  beforeAll(async () => {
    s = await startCouponStack();
    const consumer = await startImportConsumer(s.rt);
    stopConsumer = () => consumer.stop();
    await consumer.joined;
  }, 60_000);
  afterAll(async () => {
    await stopConsumer?.();
    await s?.close();
  });

  it('redeems a live claim of an offer at the purchase merchant, once per transaction, and nothing else', async () => {
    const { offerId } = await s.liveOffer({
      title: 'Cafe',
      circles: [FENCE],
      merchantIds: ['cafe-1'],
      reward: { type: 'cashback', percent: 10 },
      maxRewardMinor: 300,
      maxPurchaseMinor: 100_000,
    });
    const fixed = { type: 'cashback', fixedMinor: 100 };
    const { offerId: anywhere } = await s.liveOffer({ title: 'Anywhere', circles: [FENCE], reward: fixed });
    const phone = await s.token('device', 'zoe');
    const claim = async (id: string) => ((await s.call('POST', `/v1/offers/${id}/claims`, phone)).json as Json).code;
    const c1 = await claim(offerId);
    const loose = await claim(anywhere);
    const topic = topicNames(s.config.topics.prefix).importTransactions;
    const codec = await s.rt.codecs.forTopic<ImportedTransaction>(topic, TOPICS.importTransactions.valueSchema);
    const now = Date.now();
    type Tx = ImportedTransaction;
    const tx = (transactionId: string, merchantId: string, amountMinor: number, occurredAt: number): Tx => ({
      importId: 'imp-1',
      line: 1,
      transactionId,
      userId: 'zoe',
      amountMinor,
      currency: 'EUR',
      merchantId,
      category: 'food',
      occurredAt,
    });
    const send = async (rows: ImportedTransaction[]) => {
      const messages = await Promise.all(rows.map(async (r) => ({ key: r.userId, value: await codec.encode(r) })));
      await s.rt.publisher.publish(topic, messages);
    };
    const byTransaction = 'SELECT claim_id::text AS code, * FROM redemptions WHERE transaction_id = $1';
    const redemptionOf = async (id: string) => (await s.rt.pool.query(byTransaction, [id])).rows[0];

    // Earlier purchases that must not redeem (they would win: purchases redeem in the order they happened).
    await send([
      tx('tx-foreign', 'cafe-2', 5000, now - 2000),
      tx('tx-before-claim', 'cafe-1', 5000, now - 3_600_000),
      tx('tx-refund', 'cafe-1', -5000, now - 1000),
      tx('tx-1', 'cafe-1', 20_000, now),
    ]);
    await eventually(async () => (await redemptionOf('tx-1')) !== undefined, 20_000, 'tx-1 redeemed');
    expect(await redemptionOf('tx-1')).toMatchObject({
      code: c1,
      amount_minor: '20000',
      merchant_id: 'cafe-1',
      cashback_minor: '300',
      redeemed_by: 'feed:imp-1',
      redeemed_by_role: 'feed',
    });

    // The same transaction again, then a new one: the replay redeems nothing, the new purchase the next claim.
    const c2 = await claim(offerId);
    await send([tx('tx-1', 'cafe-1', 20_000, now), tx('tx-2', 'cafe-1', 1000, Date.now() + 1000)]);
    await eventually(async () => (await redemptionOf('tx-2')) !== undefined, 20_000, 'tx-2 redeemed');
    expect(await redemptionOf('tx-2')).toMatchObject({ code: c2, cashback_minor: '100' });
    const { rows } = await s.rt.pool.query("SELECT claim_id::text AS code FROM redemptions WHERE user_id = 'zoe'");
    expect(rows.map((r) => r.code).sort()).toEqual([c1, c2].sort());
    // An offer that names no merchant is not redeemed by any purchase anywhere.
    const {
      rows: [untouched],
    } = await s.rt.pool.query('SELECT status FROM claims WHERE claim_id = $1', [loose]);
    expect(untouched.status).toBe('live');
    const offer = (await s.call('GET', `/v1/admin/offers/${offerId}`, await s.token('admin'))).json;
    expect(offer).toMatchObject({ spentMinor: 400, redeemedCount: 2 });
  }, 60_000);
});
