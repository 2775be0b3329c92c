// The spine end to end on the real stack: an offer, a Web Push subscription,
// a ping inside the geofence, and the decrypted coupon at a local push service.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topicNames } from '../../pipeline/kafka.ts';
import { TOPICS } from '../../schemas/topics.ts';
import type { LocationPing } from '../../schemas/types.ts';
import { counterValue, eventually, nextPush, startSpine, type Spine } from '../support/harness.ts';
import { launchOffers, type ApiCall } from '../../scripts/launch-offers.ts';

const CAFE = { lat: 52.3731, lng: 4.8922 };

describe('ping to push', () => {
  let s: Spine;
  let offerId: string;

  beforeAll(async () => {
    s = await startSpine({ NEARCAST_PING_TTL_SECONDS: '10' }, { coupons: true });
    // Through the coupon API, four eyes included: a marketer creates and submits, an approver approves.
    const call: ApiCall = async (method, url, token, body) => {
      const res = await s.app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${token}` },
        ...(body === undefined ? {} : { payload: body as object }),
      });
      return { status: res.statusCode, json: res.json() };
    };
    const tokens = { marketer: await s.staffToken('marketer', 'mia'), approver: await s.staffToken('approver', 'ann') };
    const launched = await launchOffers(call, tokens, [
      {
        title: 'Coffee 2 for 1',
        description: 'Show this at the counter',
        category: 'food',
        circles: [{ ...CAFE, radiusM: 150 }],
      },
    ]);
    offerId = launched.offerIds[0]!;
    await eventually(() => s.matchers[0]!.directory.get(offerId) !== undefined, 10_000, 'offer reaches the matcher');
  });
  afterAll(() => s?.close());

  async function subscribe(userId: string) {
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

  async function ping(userId: string, lat: number, lng: number, recordedAt = new Date()) {
    return s.app.inject({
      method: 'POST',
      url: '/v1/locations',
      headers: { authorization: `Bearer ${await s.deviceToken(userId)}` },
      payload: { lat, lng, accuracy: 8, recordedAt: recordedAt.toISOString() },
    });
  }

  it('delivers the decrypted coupon within 2 s of a ping inside the geofence', async () => {
    const device = await subscribe('alice');
    const arrived = nextPush(s.push, (p) => p.deviceId === device.id, 2000);
    const sent = Date.now();
    const res = await ping('alice', CAFE.lat + 0.0005, CAFE.lng);
    expect(res.statusCode).toBe(202);
    const push = await arrived;
    expect(push.payload).toMatchObject({ offerId, title: 'Coffee 2 for 1', body: 'Show this at the counter' });
    expect(push.receivedAt - sent).toBeLessThan(2000);
    expect(JSON.stringify(push.payload)).not.toContain(String(CAFE.lat));
  });

  it('sends nothing for a ping outside every geofence', async () => {
    const device = await subscribe('bob');
    const before = await counterValue(s.rt, 'nearcast_decisions_total', { outcome: 'no_candidates' });
    expect((await ping('bob', CAFE.lat + 0.01, CAFE.lng)).statusCode).toBe(202);
    await eventually(
      async () => (await counterValue(s.rt, 'nearcast_decisions_total', { outcome: 'no_candidates' })) > before,
      5000,
      'ping processed',
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(s.push.received.filter((p) => p.deviceId === device.id)).toHaveLength(0);
  });

  it('drops and counts a ping older than its time to live', async () => {
    const device = await subscribe('carol');
    const before = await counterValue(s.rt, 'nearcast_dropped_total', { stage: 'matcher', reason: 'stale' });
    const res = await ping('carol', CAFE.lat, CAFE.lng, new Date(Date.now() - 60_000));
    expect(res.statusCode).toBe(202);
    await eventually(
      async () =>
        (await counterValue(s.rt, 'nearcast_dropped_total', { stage: 'matcher', reason: 'stale' })) === before + 1,
      5000,
      'stale drop counted',
    );
    expect(s.push.received.filter((p) => p.deviceId === device.id)).toHaveLength(0);
  });

  it('pushes on entry only, not on every ping inside', async () => {
    const device = await subscribe('dave');
    const first = nextPush(s.push, (p) => p.deviceId === device.id, 3000);
    await ping('dave', CAFE.lat, CAFE.lng);
    await first;
    const processed = await counterValue(s.rt, 'nearcast_decisions_total', { outcome: 'nothing_new' });
    await ping('dave', CAFE.lat + 0.0001, CAFE.lng);
    await eventually(
      async () => (await counterValue(s.rt, 'nearcast_decisions_total', { outcome: 'nothing_new' })) > processed,
      5000,
      'second ping processed',
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(s.push.received.filter((p) => p.deviceId === device.id)).toHaveLength(1);
  });

  it('refuses pings after a consent withdrawal, and the matcher drops those already queued', async () => {
    const device = await subscribe('erin');
    const token = await s.deviceToken('erin');
    const off = await s.app.inject({
      method: 'PUT',
      url: '/v1/me/consent',
      headers: { authorization: `Bearer ${token}` },
      payload: { locationMarketing: false },
    });
    expect(off.json()).toEqual({ locationMarketing: false });
    const refused = await ping('erin', CAFE.lat, CAFE.lng);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.code).toBe('CONSENT_WITHDRAWN');
    // A ping the gateway accepted just before the withdrawal is still in Kafka: the matcher says no.
    await new Promise((r) => setTimeout(r, s.config.matcher.prefsCacheMs + 100));
    const topic = topicNames(s.config.topics.prefix).locations;
    const codec = await s.rt.codecs.forTopic<LocationPing>(topic, TOPICS.locations.valueSchema);
    const now = Date.now();
    const queued: LocationPing = {
      pingId: randomUUID(),
      userId: 'erin',
      lat: CAFE.lat,
      lng: CAFE.lng,
      accuracyM: 8,
      deviceTs: now,
      receivedTs: now,
    };
    await s.rt.publisher.publish(topic, [{ key: 'erin', value: await codec.encode(queued) }]);
    const admin = { authorization: `Bearer ${await s.adminToken()}` };
    let log: { decisions: Array<{ outcome: string; considered: Array<{ offerId: string; verdict: string }> }> } = {
      decisions: [],
    };
    await eventually(
      async () => {
        log = (await s.app.inject({ method: 'GET', url: '/v1/users/erin/decisions?limit=5', headers: admin })).json();
        return log.decisions.length > 0;
      },
      5000,
      'decision logged',
    );
    expect(log.decisions[0]).toMatchObject({
      outcome: 'all_rejected',
      considered: [{ offerId, verdict: 'no_consent' }],
    });
    expect(s.push.received.filter((p) => p.deviceId === device.id)).toHaveLength(0);
    expect(JSON.stringify(log)).not.toContain(String(CAFE.lng));
  });

  it('validates preference writes and needs an admin token for them', async () => {
    const admin = { authorization: `Bearer ${await s.adminToken()}` };
    const ok = await s.app.inject({
      method: 'PUT',
      url: '/v1/users/frank/preferences',
      headers: admin,
      payload: { interests: { food: 0.9 }, timeZone: 'Europe/Amsterdam' },
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ interests: { food: 0.9 }, consent: true, timeZone: 'Europe/Amsterdam' });
    const badZone = await s.app.inject({
      method: 'PUT',
      url: '/v1/users/frank/preferences',
      headers: admin,
      payload: { timeZone: 'Mars/Olympus' },
    });
    expect(badZone.statusCode).toBe(400);
    const badWeight = await s.app.inject({
      method: 'PUT',
      url: '/v1/users/frank/preferences',
      headers: admin,
      payload: { interests: { food: 7 } },
    });
    expect(badWeight.statusCode).toBe(400);
    const device = await s.app.inject({
      method: 'PUT',
      url: '/v1/users/frank/preferences',
      headers: { authorization: `Bearer ${await s.deviceToken('frank')}` },
      payload: {},
    });
    expect(device.statusCode).toBe(403);
  });
});
