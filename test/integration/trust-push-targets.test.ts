// The dispatcher calls only real push services (issue #11): endpoints are
// checked at registration, again at send time, and the connection itself
// refuses non-public addresses; registrations per user are capped; /readyz
// asks Kafka once however many probes arrive at once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createECDH, randomBytes, randomUUID } from 'node:crypto';
import type { Admin } from 'kafkajs';
import { topicNames } from '../../pipeline/kafka.ts';
import { PushRegistrations } from '../../users/push-registrations.ts';
import { parseHostRule, type HostRule } from '../../pipeline/push-targets.ts';
import { epochKey } from '../../pipeline/state-restore.ts';
import { changelogKey } from '../../pipeline/state-changelog.ts';
import { userKey } from '../../users/user-keys.ts';
import { buildGateway } from '../../gateway/app.ts';
import { startDispatcher, type Dispatcher } from '../../processors/dispatcher/dispatcher.ts';
import { TOPICS } from '../../schemas/topics.ts';
import type { DeliveryResult, PushRequest } from '../../schemas/types.ts';
import { collect, startSpine, type Spine } from '../support/harness.ts';

function keys() {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  return { p256dh: ecdh.getPublicKey().toString('base64url'), auth: randomBytes(16).toString('base64url') };
}

describe('push targets', () => {
  let s: Spine;
  let dispatcher: Dispatcher;
  let regs: PushRegistrations;
  let topics: ReturnType<typeof topicNames>;
  let pushHost: string;
  beforeAll(async () => {
    s = await startSpine({}, { dispatcher: false });
    regs = new PushRegistrations(s.rt.redis, s.config.topics.prefix, s.rt.changelog);
    topics = topicNames(s.config.topics.prefix);
    pushHost = new URL(s.push.origin).host;
    // A production-like dispatcher: the local push service's names are on the allow-list, but
    // private addresses are not allowed, so nothing on loopback may be dialled.
    const port = new URL(s.push.origin).port;
    const allowedHosts = [`127.0.0.1:${port}`, `localhost:${port}`].map((e) => parseHostRule(e) as HostRule);
    const config = { ...s.config, push: { ...s.config.push, allowedHosts, allowPrivateAddresses: false } };
    dispatcher = await startDispatcher({ ...s.rt, config });
    await dispatcher.joined;
  });
  afterAll(async () => {
    await dispatcher?.stop();
    await s?.close();
  });

  const register = async (userId: string, body: unknown) => {
    const headers = { authorization: `Bearer ${await s.deviceToken(userId)}` };
    return s.app.inject({ method: 'POST', url: '/v1/push/subscriptions', headers, payload: body as object });
  };
  const device = () => ({ type: 'webpush', subscription: s.push.newDevice().subscription });
  const storedIds = async (userId: string) =>
    (await regs.forUsers([userId], epochKey(s.config.topics.prefix))).registrations.get(userId)!.map((r) => r.id);

  it('registration refuses internal, malformed and unlisted endpoints and bad keys with 400', async () => {
    const user = `u-${randomUUID()}`;
    const k = keys();
    const notAPoint = randomBytes(65).toString('base64url').replace(/^./, 'A'); // first byte not 0x04
    const refused: Array<[string, unknown, RegExp]> = [
      ['https://127.0.0.1/push/x', k, /not an IP address/],
      ['https://10.0.0.1/push/x', k, /not an IP address/],
      ['https://169.254.169.254/latest/meta-data/', k, /not an IP address/],
      ['https://[::1]/push/x', k, /not an IP address/],
      ['https://2130706433/push/x', k, /not an IP address/],
      [`https://127.0.0.1:1/push/x`, k, /not an IP address/],
      ['https://', k, /endpoint/],
      ['https://user:pw@fcm.googleapis.com/fcm/send/x', k, /user information/],
      ['https://push.evil.example/x', k, /not an accepted push service/],
      [`https://${pushHost}/push/x`, { p256dh: notAPoint, auth: k.auth }, /p256dh/],
      [`https://${pushHost}/push/x`, { p256dh: k.p256dh, auth: randomBytes(17).toString('base64url') }, /auth/],
    ];
    for (const [endpoint, ks, message] of refused) {
      const res = await register(user, { type: 'webpush', subscription: { endpoint, keys: ks } });
      expect(res.statusCode, endpoint).toBe(400);
      expect(res.json().error.code).toBe('VALIDATION_FAILED');
      expect(res.json().error.message, endpoint).toMatch(message);
    }
    for (const token of ['x'.repeat(600), 'bad token with spaces and more than thirty-two characters', 'short']) {
      expect((await register(user, { type: 'fcm', token })).statusCode, token).toBe(400);
    }
    expect(await storedIds(user)).toEqual([]);

    expect((await register(user, device())).statusCode).toBe(201);
    const real = { endpoint: 'https://fcm.googleapis.com/fcm/send/dGVzdA:APA91bExample', keys: k };
    expect((await register(user, { type: 'webpush', subscription: real })).statusCode).toBe(201);
    expect((await register(user, { type: 'fcm', token: `dGVzdA:APA91b${'x'.repeat(140)}` })).statusCode).toBe(201);
  });

  it('the dispatcher refuses stored targets that are unlisted or resolve to private addresses, for good', async () => {
    const user = `u-${randomUUID()}`;
    const port = new URL(s.push.origin).port;
    // As restored from a changelog written before registration checked anything.
    const targets = [
      s.push.newDevice(), // 127.0.0.1:port: listed, but a private address
      s.push.newDevice(), // the same service reached as localhost: DNS answers loopback
      s.push.newDevice(), // an unlisted port
    ];
    const endpoints = [
      targets[0]!.subscription.endpoint,
      targets[1]!.subscription.endpoint.replace('127.0.0.1', 'localhost'),
      targets[2]!.subscription.endpoint.replace(`:${port}/`, ':1/'),
    ];
    for (const [i, endpoint] of endpoints.entries()) {
      await regs.add(user, { type: 'webpush', endpoint, keys: targets[i]!.subscription.keys });
    }
    const now = Date.now();
    const req: PushRequest = {
      pushId: `${user}:offer-1:${now}`,
      userId: user,
      offerId: 'offer-1',
      title: 'Two for one',
      body: 'Today only',
      distanceM: 12,
      deviceTs: now - 50,
      decidedTs: now,
      expiresTs: now + 120_000,
    };
    const codec = await s.rt.codecs.forTopic<PushRequest>(topics.pushRequests, TOPICS.pushRequests.valueSchema);
    await s.rt.publisher.publish(topics.pushRequests, [{ key: user, value: await codec.encode(req) }]);

    const mine = (r: DeliveryResult) => r.pushId === req.pushId;
    const results = await collect<DeliveryResult>(s.rt, topics.deliveryResults, mine, 3, 20_000);
    for (const r of results) {
      expect(r.value).toMatchObject({ channel: 'WEBPUSH', outcome: 'FAILED', attempts: 1, status: null });
      expect(r.value.reason).toMatch(/^refused: /);
    }
    expect(results.map((r) => r.value.reason).join('\n')).toMatch(/no public address/);
    const dead = await collect<PushRequest>(s.rt, topics.deadLetters, (v) => v.pushId === req.pushId, 3);
    expect(dead.every((d) => /^refused: /.test(d.headers['nearcast-dlq-reason'] ?? ''))).toBe(true);
    expect(s.push.received.filter((p) => targets.some((t) => t.id === p.deviceId))).toEqual([]);
    expect(await storedIds(user)).toEqual([]);
  });

  it('keeps at most 10 registrations per user, evicting the oldest, in Redis and the changelog', async () => {
    const one = `u-${randomUUID()}`;
    const ids: string[] = [];
    for (let i = 0; i < 11; i++) ids.push((await register(one, device())).json().id);
    expect((await storedIds(one)).sort()).toEqual(ids.slice(1).sort());

    const many = `u-${randomUUID()}`;
    const answers = await Promise.all(Array.from({ length: 30 }, () => register(many, device())));
    expect(answers.every((a) => a.statusCode === 201)).toBe(true);
    const inRedis = await storedIds(many);
    expect(inRedis).toHaveLength(10);

    // Replaying the changelog (30 values, 20 tombstones) gives exactly what Redis holds.
    const redisKey = userKey(s.config.topics.prefix, 'push', many);
    const latest = await changelogFor(redisKey, 50);
    const live = [...latest.entries()].filter(([, v]) => v).map(([field]) => field);
    expect(live.sort()).toEqual([...inRedis].sort());
  });

  /** The last value (true) or tombstone (false) per field of one Redis key, after `count` records of it. */
  async function changelogFor(redisKey: string, count: number): Promise<Map<string, boolean>> {
    const groupId = `${s.config.topics.prefix}cl-${randomUUID()}`;
    const consumer = s.rt.kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
    const prefix = changelogKey(redisKey, 'x').slice(0, -1);
    const latest = new Map<string, boolean>();
    let seen = 0;
    await consumer.connect();
    await consumer.subscribe({ topic: topics.stateChangelog, fromBeginning: true });
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`only ${seen}/${count} changelog records`)), 20_000);
        void consumer.run({
          eachMessage: async ({ message }) => {
            const key = message.key?.toString() ?? '';
            if (!key.startsWith(prefix)) return;
            latest.set(key.slice(prefix.length), message.value !== null);
            if (++seen === count) {
              clearTimeout(timer);
              resolve();
            }
          },
        });
      });
    } finally {
      await consumer.disconnect();
    }
    return latest;
  }

  it('/readyz answers 200 to 200 concurrent probes with a bounded number of Kafka checks', async () => {
    let calls = 0;
    const admin = new Proxy(s.rt.admin, {
      get(target, prop, receiver) {
        if (prop === 'describeCluster') return () => (calls++, target.describeCluster());
        return Reflect.get(target, prop, receiver) as unknown;
      },
    }) as Admin;
    const app = await buildGateway({ ...s.rt, admin });
    try {
      const probe = () => app.inject({ method: 'GET', url: '/readyz' });
      const answers = await Promise.all(Array.from({ length: 200 }, probe));
      expect(answers.map((a) => a.statusCode).filter((c) => c !== 200)).toEqual([]);
      expect(calls).toBeGreaterThanOrEqual(1);
      expect(calls).toBeLessThanOrEqual(5); // one per cache period (1 s), not one per probe
    } finally {
      await app.close();
    }
  });
});
