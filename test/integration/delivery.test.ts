// Delivery through the real SDKs (web-push, firebase-admin) to local stand-ins
// speaking the real protocols: success, gone registrations, rate limits,
// 5xx storms, TTLs, and an event on delivery-results for every outcome.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { topicNames } from '../../pipeline/kafka.ts';
import { PushRegistrations } from '../../users/push-registrations.ts';
import { epochKey } from '../../pipeline/state-restore.ts';
import { TOPICS } from '../../schemas/topics.ts';
import type { DeliveryResult, PushRequest } from '../../schemas/types.ts';
import { collect, counterValue, eventually, startSpine, type Spine } from '../support/harness.ts';

describe('delivery', () => {
  let s: Spine;
  let regs: PushRegistrations;
  let topics: ReturnType<typeof topicNames>;
  beforeAll(async () => {
    s = await startSpine();
    regs = new PushRegistrations(s.rt.redis, s.config.topics.prefix, s.rt.changelog);
    topics = topicNames(s.config.topics.prefix);
  });
  afterAll(() => s?.close());

  async function request(userId: string, over: Partial<PushRequest> = {}): Promise<PushRequest> {
    const now = Date.now();
    const req: PushRequest = {
      pushId: `${userId}:offer-1:${now}`,
      userId,
      offerId: 'offer-1',
      title: 'Two for one',
      body: 'Today only',
      distanceM: 12,
      deviceTs: now - 50,
      decidedTs: now,
      expiresTs: now + 120_000,
      ...over,
    };
    const codec = await s.rt.codecs.forTopic<PushRequest>(topics.pushRequests, TOPICS.pushRequests.valueSchema);
    await s.rt.publisher.publish(topics.pushRequests, [{ key: userId, value: await codec.encode(req) }]);
    return req;
  }
  const resultsFor = (pushId: string, n = 1) =>
    collect<DeliveryResult>(s.rt, topics.deliveryResults, (r) => r.pushId === pushId, n);

  it('delivers over FCM with the push lifetime as Android TTL and APNs expiration', async () => {
    const user = `u-${randomUUID()}`;
    const token = `fcm-${randomUUID()}`;
    await regs.add(user, { type: 'fcm', token });
    const req = await request(user);
    const [r] = await resultsFor(req.pushId);
    expect(r!.value).toMatchObject({ channel: 'FCM', outcome: 'DELIVERED', attempts: 1, status: 200 });
    const msg = s.fcm.received.find((m) => m.message.token === token)!.message;
    expect(msg.notification).toEqual({ title: 'Two for one', body: 'Today only' });
    expect(msg.data).toMatchObject({ pushId: req.pushId, offerId: 'offer-1' });
    const ttlSeconds = Number.parseFloat(msg.android!.ttl!);
    expect(ttlSeconds).toBeGreaterThan(100);
    expect(ttlSeconds).toBeLessThanOrEqual(120);
    expect(msg.apns!.headers!['apns-expiration']).toBe(String(Math.floor(req.expiresTs / 1000)));
    expect(s.fcm.tokensIssued).toBeGreaterThan(0); // the SDK really fetched an OAuth token with its signed assertion
  });

  it('removes an FCM token reported UNREGISTERED and a Web Push subscription answered 410', async () => {
    const user = `u-${randomUUID()}`;
    const token = `dead-${randomUUID()}`;
    s.fcm.respond = (t) => (t === token ? 'unregistered' : 'ok');
    const device = s.push.newDevice();
    s.push.forget(device.id); // the browser unsubscribed: the push service answers 410
    await regs.add(user, { type: 'fcm', token });
    await regs.add(user, { type: 'webpush', endpoint: device.subscription.endpoint, keys: device.subscription.keys });
    const req = await request(user);
    const results = await resultsFor(req.pushId, 2);
    expect(results.map((r) => `${r.value.channel}:${r.value.outcome}`).sort()).toEqual(['FCM:GONE', 'WEBPUSH:GONE']);
    expect((await regs.forUsers([user], epochKey(s.config.topics.prefix))).registrations.get(user)).toEqual([]);
    s.fcm.respond = () => 'ok';
  });

  it('retries FCM rate limiting and delivers once the service recovers', async () => {
    const user = `u-${randomUUID()}`;
    const token = `busy-${randomUUID()}`;
    let calls = 0;
    s.fcm.respond = (t) => (t === token && ++calls <= 2 ? { status: 429 } : 'ok');
    await regs.add(user, { type: 'fcm', token });
    const req = await request(user);
    const [r] = await resultsFor(req.pushId);
    expect(r!.value).toMatchObject({ outcome: 'DELIVERED', attempts: 3 });
    s.fcm.respond = () => 'ok';
  });

  it('gives up on a 503 storm after bounded attempts, honouring Retry-After, and dead-letters the push', async () => {
    const user = `u-${randomUUID()}`;
    const device = s.push.newDevice();
    let calls = 0;
    const started = Date.now();
    s.push.respond = (id) =>
      id === device.id ? (calls++, { status: 503, headers: { 'retry-after': '0' } }) : undefined;
    await regs.add(user, { type: 'webpush', endpoint: device.subscription.endpoint, keys: device.subscription.keys });
    const req = await request(user);
    const [r] = await resultsFor(req.pushId);
    expect(r!.value).toMatchObject({ channel: 'WEBPUSH', outcome: 'FAILED', attempts: 4, status: 503 });
    expect(calls).toBe(4);
    expect(Date.now() - started).toBeLessThan(10_000);
    const [dead] = await collect<PushRequest>(s.rt, topics.deadLetters, (v) => v.pushId === req.pushId, 1);
    expect(dead!.headers['nearcast-dlq-reason']).toMatch(/gave up after 4 attempts/);
    s.push.respond = () => undefined;
  });

  it('sends Web Push with a TTL equal to the remaining life, and drops what already expired', async () => {
    const user = `u-${randomUUID()}`;
    const device = s.push.newDevice();
    await regs.add(user, { type: 'webpush', endpoint: device.subscription.endpoint, keys: device.subscription.keys });
    const req = await request(user, { expiresTs: Date.now() + 60_000 });
    await eventually(() => s.push.received.some((p) => p.deviceId === device.id), 5000, 'web push delivered');
    const got = s.push.received.find((p) => p.deviceId === device.id)!;
    expect(got.ttlSeconds).toBeGreaterThan(50);
    expect(got.ttlSeconds).toBeLessThanOrEqual(60);
    expect(got.payload).toMatchObject({ pushId: req.pushId, title: 'Two for one' });

    const before = await counterValue(s.rt, 'nearcast_dropped_total', { stage: 'dispatcher', reason: 'expired' });
    const stale = await request(user, { pushId: `${user}:offer-1:old`, expiresTs: Date.now() - 1 });
    const [r] = await resultsFor(stale.pushId);
    expect(r!.value.outcome).toBe('EXPIRED');
    expect(await counterValue(s.rt, 'nearcast_dropped_total', { stage: 'dispatcher', reason: 'expired' })).toBe(
      before + 1,
    );
    expect(s.push.received.filter((p) => p.deviceId === device.id)).toHaveLength(1);
  });

  it('never sends a redelivered push request twice', async () => {
    const user = `u-${randomUUID()}`;
    const device = s.push.newDevice();
    await regs.add(user, { type: 'webpush', endpoint: device.subscription.endpoint, keys: device.subscription.keys });
    const req = await request(user);
    await request(user, { pushId: req.pushId, decidedTs: req.decidedTs + 5 }); // same push decided again after a matcher crash
    await eventually(
      async () =>
        (await counterValue(s.rt, 'nearcast_dropped_total', { stage: 'dispatcher', reason: 'duplicate' })) > 0,
      5000,
      'duplicate dropped',
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(s.push.received.filter((p) => p.deviceId === device.id)).toHaveLength(1);
  });
});
