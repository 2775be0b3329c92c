// Location is personal data: coordinates stay on the location topic and in
// matcher memory; erasure removes everything kept per user and is recorded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topicNames } from '../../pipeline/kafka.ts';
import { allUserKeys } from '../../users/user-keys.ts';
import { auditSubject } from '../../users/erasure.ts';
import type { DeliveryResult, PrivacyEvent, PushRequest } from '../../schemas/types.ts';
import {
  collect,
  eventually,
  postPing,
  publishOffer,
  startSpine,
  subscribeDevice,
  type Spine,
} from '../support/harness.ts';

const SPOT = { lat: 45.46427, lng: 9.18951 };
const COORD_TEXT = /45\.46|9\.189/;

describe('privacy', () => {
  let s: Spine;
  beforeAll(async () => {
    s = await startSpine({}, { coupons: true }); // erasure pseudonymizes PostgreSQL rows too
    await publishOffer(s, { title: 'Gelato', circles: [{ ...SPOT, radiusM: 150 }] });
  });
  afterAll(() => s?.close());

  it('keeps coordinates out of push requests, delivery results, Redis state and the decision log', async () => {
    const device = await subscribeDevice(s, 'giulia');
    await postPing(s, 'giulia', SPOT.lat + 0.0001, SPOT.lng + 0.0001);
    await eventually(() => s.push.received.some((p) => p.deviceId === device.id), 5000, 'pushed');
    const topics = topicNames(s.config.topics.prefix);
    const pushes = await collect<PushRequest>(s.rt, topics.pushRequests, (p) => p.userId === 'giulia', 1);
    const results = await collect<DeliveryResult>(s.rt, topics.deliveryResults, (r) => r.userId === 'giulia', 1);
    expect(JSON.stringify(pushes)).not.toMatch(COORD_TEXT);
    expect(JSON.stringify(results)).not.toMatch(COORD_TEXT);
    for (const key of allUserKeys(s.config.topics.prefix, 'giulia')) {
      const type = await s.rt.redis.type(key);
      const value =
        type === 'string'
          ? await s.rt.redis.get(key)
          : type === 'list'
            ? await s.rt.redis.lrange(key, 0, -1)
            : type === 'hash'
              ? await s.rt.redis.hgetall(key)
              : null;
      expect(JSON.stringify(value)).not.toMatch(COORD_TEXT);
    }
    expect(JSON.stringify(s.push.received.filter((p) => p.deviceId === device.id))).not.toMatch(COORD_TEXT);
  });

  it('erases everything kept per user, records the erasure, and pushes nothing afterwards', async () => {
    const device = await subscribeDevice(s, 'marco');
    const marcoToken = await s.deviceToken('marco');
    const admin = { authorization: `Bearer ${await s.adminToken()}` };
    await s.app.inject({
      method: 'PUT',
      url: '/v1/users/marco/preferences',
      headers: admin,
      payload: { interests: { food: 1 } },
    });
    await postPing(s, 'marco', SPOT.lat, SPOT.lng);
    await eventually(() => s.push.received.some((p) => p.deviceId === device.id), 5000, 'pushed');
    await eventually(
      async () => (await s.rt.redis.exists(...allUserKeys(s.config.topics.prefix, 'marco'))) === 4,
      5000,
      'all four stores hold data',
    );

    const res = await s.app.inject({ method: 'DELETE', url: '/v1/users/marco', headers: admin });
    expect(res.statusCode).toBe(200);
    expect(await s.rt.redis.exists(...allUserKeys(s.config.topics.prefix, 'marco'))).toBe(0);
    const [event] = await collect<PrivacyEvent>(
      s.rt,
      topicNames(s.config.topics.prefix).privacyEvents,
      (e) => e.userId === auditSubject('marco'),
      1,
    );
    expect(event!.value).toMatchObject({ kind: 'ERASED', requestedBy: 'admin-1', eventId: res.json().eventId });

    const forbidden = await s.app.inject({
      method: 'DELETE',
      url: '/v1/users/marco',
      headers: { authorization: `Bearer ${await s.deviceToken('nina')}` },
    });
    expect(forbidden.statusCode).toBe(403);
    const revoked = await s.app.inject({
      method: 'PUT',
      url: '/v1/me/consent',
      headers: { authorization: `Bearer ${marcoToken}` },
      payload: { locationMarketing: true },
    });
    expect(revoked.statusCode).toBe(401); // the erased user's tokens died with their data
  });
});
