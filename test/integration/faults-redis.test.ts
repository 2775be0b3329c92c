// Redis restarts and, keeping nothing on disk, comes back empty. The hot
// state is rebuilt from the state changelog in Kafka: push registrations,
// preferences (a withdrawn consent stays withdrawn) and served visits (no
// second push for a visit that was already served). Claim state lives only
// in PostgreSQL, so caps stay exact across the restart. It restarts the
// shared local Redis: integration files run one at a time.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { epochKey } from '../../pipeline/state-restore.ts';
import { eventually, postPing, publishOffer, startSpine, type Spine } from '../support/harness.ts';
import { startCouponStack, type CouponStack } from '../support/coupons.ts';

const run = promisify(execFile);
const UP = fileURLToPath(new URL('../../scripts/stack/up.sh', import.meta.url));
const PLAZA = { lat: 50.0755, lng: 14.4378 };

describe('Redis restart', () => {
  let s: Spine;
  let coupons: CouponStack;
  beforeAll(async () => {
    s = await startSpine({ NEARCAST_PREFS_CACHE_MS: '0' });
    coupons = await startCouponStack({}, { worker: false });
    await publishOffer(s, { title: 'Trdelník', circles: [{ ...PLAZA, radiusM: 200 }] });
  });
  afterAll(async () => {
    await coupons?.close();
    await s?.close();
  });
  const claim = async (offerId: string, user: string) => {
    const res = await coupons.app.inject({
      method: 'POST',
      url: `/v1/offers/${offerId}/claims`,
      headers: { authorization: `Bearer ${await coupons.token('device', user)}` },
    });
    return { status: res.statusCode, code: res.json().code as string | undefined };
  };

  async function register(userId: string) {
    const device = s.push.newDevice();
    const res = await s.app.inject({
      method: 'POST',
      url: '/v1/push/subscriptions',
      headers: { authorization: `Bearer ${await s.deviceToken(userId)}` },
      payload: { type: 'webpush', subscription: device.subscription },
    });
    expect(res.statusCode).toBe(201);
    return device;
  }
  const pushesTo = (deviceId: string) => s.push.received.filter((p) => p.deviceId === deviceId).length;

  it('rebuilds registrations, preferences and visits from Kafka', async () => {
    const served = await register('anna');
    const waiting = await register('ben');
    const optedOut = await register('cleo');
    await s.app.inject({
      method: 'PUT',
      url: '/v1/me/consent',
      headers: { authorization: `Bearer ${await s.deviceToken('cleo')}` },
      payload: { locationMarketing: false },
    });
    await postPing(s, 'anna', PLAZA.lat, PLAZA.lng);
    await eventually(() => pushesTo(served.id) === 1, 5000, 'anna served before the restart');
    const { offerId } = await coupons.liveOffer({ caps: { maxTotal: 5, maxPerUser: 1 } });
    const before = await Promise.all(['c1', 'c2', 'c3'].map((u) => claim(offerId, u)));
    expect(before.map((c) => c.status)).toEqual([201, 201, 201]);

    const admin = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true, retryStrategy: () => null });
    admin.on('error', () => {}); // it is expected to lose its server
    await admin.connect();
    await admin.call('SHUTDOWN', 'NOSAVE').catch(() => {}); // the connection drops as Redis exits
    admin.disconnect();
    await run('bash', [UP], { timeout: 120_000 }); // starts Redis again, empty
    await eventually(async () => (await s.rt.redis.ping().catch(() => '')) === 'PONG', 15_000, 'Redis back');
    expect(await s.rt.redis.exists(epochKey(s.config.topics.prefix))).toBe(0); // it really forgot everything

    await postPing(s, 'anna', PLAZA.lat + 0.0001, PLAZA.lng); // same visit: must not be pushed again
    await postPing(s, 'ben', PLAZA.lat, PLAZA.lng); // registered before the restart: must be reachable
    await postPing(s, 'cleo', PLAZA.lat, PLAZA.lng); // opted out before the restart: must stay out
    await eventually(() => pushesTo(waiting.id) === 1, 30_000, 'ben pushed through his restored registration');
    await new Promise((r) => setTimeout(r, 1000));
    expect(pushesTo(served.id)).toBe(1);
    expect(pushesTo(optedOut.id)).toBe(0);
    expect(await s.rt.redis.exists(epochKey(s.config.topics.prefix))).toBe(1);

    // Caps are exact across the restart: 3 of 5 were taken before it, so exactly 2 more now.
    const after = await Promise.all(['c1', 'c4', 'c5', 'c6', 'c7'].map((u) => claim(offerId, u)));
    expect(after.filter((c) => c.status === 201)).toHaveLength(2);
    expect(after[0]!.status).toBe(409); // c1 already holds one (max one per user)
    const { rows } = await coupons.rt.pool.query(
      `SELECT claim_id::text AS code FROM claims WHERE offer_id = $1 AND status = 'live'`,
      [offerId],
    );
    expect(rows).toHaveLength(5);
    expect(before.every((c) => rows.some((r: { code: string }) => r.code === c.code))).toBe(true);
  }, 180_000);
});
