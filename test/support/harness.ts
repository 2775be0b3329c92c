// Starts the whole spine in-process against the real local stack: gateway
// (via inject), matcher and dispatcher, plus a local Web Push service.
import webpush from 'web-push';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../../pipeline/config.ts';
import { createRuntime, type Runtime } from '../../pipeline/runtime.ts';
import { buildGateway } from '../../gateway/app.ts';
import { secretKey, signToken } from '../../gateway/auth.ts';
import { startMatcher, type Matcher } from '../../processors/matcher/matcher.ts';
import { startDispatcher, type Dispatcher } from '../../processors/dispatcher/dispatcher.ts';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalWebPushService, localPushEnv } from '../../scripts/local-push/webpush-service.ts';
import { LocalFcmService } from '../../scripts/local-push/fcm-service.ts';
import { randomUUID } from 'node:crypto';
import { testEnv } from './env.ts';
import { topicNames } from '../../pipeline/kafka.ts';
import { PushRegistrations } from '../../users/push-registrations.ts';
import { TOPICS } from '../../schemas/topics.ts';
import { OFFER_DEFAULTS, type Offer } from '../../schemas/types.ts';
import { loadConfig } from '../../pipeline/config.ts';
import { dropDatabase, migrate, startCouponWorker, type CouponWorker } from '../../coupons/index.ts';
import { uniqueDatabaseUrl } from './coupons.ts';

export interface Spine {
  /** The environment the spine was configured from: hand it to child processes. */
  env: Record<string, string>;
  config: Config;
  rt: Runtime;
  app: FastifyInstance;
  push: LocalWebPushService;
  fcm: LocalFcmService;
  matchers: Matcher[];
  /** Absent when the test runs its dispatchers itself (as processes). */
  dispatcher: Dispatcher | undefined;
  deviceToken(userId: string): Promise<string>;
  adminToken(): Promise<string>;
  /** A staff token (marketer, approver, admin) for the person `sub`. */
  staffToken(role: 'marketer' | 'approver' | 'admin', sub: string): Promise<string>;
  close(): Promise<void>;
}

export async function startSpine(
  overrides: Record<string, string> = {},
  opts: { matchers?: number; coupons?: boolean; dispatcher?: boolean } = {},
): Promise<Spine> {
  const [push, fcm] = await Promise.all([LocalWebPushService.start(), LocalFcmService.start()]);
  const vapid = webpush.generateVAPIDKeys();
  // One trust file for both local push services.
  const caFile = join(mkdtempSync(join(tmpdir(), 'nearcast-ca-')), 'ca.pem');
  writeFileSync(caFile, readFileSync(push.caFile, 'utf8') + readFileSync(fcm.caFile, 'utf8'));
  const env = testEnv({
    NEARCAST_VAPID_PUBLIC_KEY: vapid.publicKey,
    NEARCAST_VAPID_PRIVATE_KEY: vapid.privateKey,
    NEARCAST_PUSH_CA_FILE: caFile,
    NEARCAST_FCM_SERVICE_ACCOUNT_FILE: fcm.serviceAccountFile,
    NEARCAST_FCM_CONNECT_TO: fcm.connectTo,
    ...localPushEnv(push.origin),
    // With coupons: a database of its own (dropped on close) and the outbox relay running.
    ...(opts.coupons ? { NEARCAST_DATABASE_URL: uniqueDatabaseUrl(), NEARCAST_OUTBOX_POLL_MS: '100' } : {}),
    ...overrides,
  });
  const config = loadConfig(env);
  if (opts.coupons) await migrate(config.databaseUrl);
  const rt = await createRuntime(config);
  const app = await buildGateway(rt);
  const coupons: CouponWorker | undefined = opts.coupons ? startCouponWorker(rt) : undefined;
  const matchers: Matcher[] = [];
  for (let i = 0; i < (opts.matchers ?? 1); i++) matchers.push(await startMatcher(rt));
  const dispatcher = opts.dispatcher === false ? undefined : await startDispatcher(rt);
  await Promise.all([...matchers.map((m) => m.joined), dispatcher?.joined]);
  const key = secretKey(config.auth.tokenSecret);
  return {
    env,
    config,
    rt,
    app,
    push,
    fcm,
    matchers,
    dispatcher,
    deviceToken: (userId) => signToken(key, { userId, role: 'device' }),
    adminToken: () => signToken(key, { userId: 'admin-1', role: 'admin' }),
    staffToken: (role, sub) => signToken(key, { userId: sub, role }),
    async close() {
      await Promise.allSettled([...matchers.map((m) => m.stop()), dispatcher?.stop(), app.close(), coupons?.stop()]);
      await rt.close();
      if (opts.coupons) await dropDatabase(config.databaseUrl);
      await Promise.all([push.close(), fcm.close()]);
    },
  };
}

/** Resolves with the first push matching `pred`, or rejects after `ms`. */
export function nextPush(
  push: LocalWebPushService,
  pred: (p: { deviceId: string; payload: unknown }) => boolean,
  ms: number,
) {
  return new Promise<{ deviceId: string; payload: unknown; receivedAt: number }>((resolve, reject) => {
    const timer = setTimeout(() => {
      push.off('push', on);
      reject(new Error(`no matching push within ${ms} ms`));
    }, ms);
    const on = (p: { deviceId: string; payload: unknown; receivedAt: number }) => {
      if (!pred(p)) return;
      clearTimeout(timer);
      push.off('push', on);
      resolve(p);
    };
    push.on('push', on);
  });
}

/** Polls until `fn` returns true, or fails after `ms`. */
export async function eventually(fn: () => Promise<boolean> | boolean, ms = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} not met within ${ms} ms`);
}

export async function counterValue(rt: Runtime, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = (await rt.metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
  const values = (metric?.values ?? []) as Array<{ value: number; labels: Record<string, string | number> }>;
  return values
    .filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))
    .reduce((a, v) => a + v.value, 0);
}

/** Reads a topic from the beginning until `count` decoded values match, or fails after `ms`. */
export async function collect<T>(
  rt: Runtime,
  topic: string,
  pred: (v: T, headers: Record<string, string>) => boolean,
  count: number,
  ms = 10_000,
): Promise<Array<{ value: T; headers: Record<string, string> }>> {
  const consumer = rt.kafka.consumer({
    groupId: `${rt.config.topics.prefix}collect-${Math.random().toString(36).slice(2)}`,
    maxWaitTimeInMs: 100,
  });
  const found: Array<{ value: T; headers: Record<string, string> }> = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`only ${found.length}/${count} matching messages on ${topic} within ${ms} ms`)),
        ms,
      );
      void consumer.run({
        eachMessage: async ({ message }) => {
          const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
          let value: T;
          try {
            value = await rt.codecs.decode<T>(message.value);
          } catch {
            return;
          }
          if (pred(value, headers)) found.push({ value, headers });
          if (found.length >= count) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return found;
}

/** Puts an offer on the compacted offers topic, as the coupon system's outbox does. */
export async function publishOffer(s: Spine, offer: Partial<Offer> & { circles?: Offer['circles'] }): Promise<Offer> {
  const full: Offer = {
    ...OFFER_DEFAULTS,
    offerId: randomUUID(),
    title: 'Test offer',
    updatedTs: Date.now(),
    ...offer,
  };
  const topic = topicNames(s.config.topics.prefix).offers;
  const codec = await s.rt.codecs.forTopic<Offer>(topic, TOPICS.offers.valueSchema);
  await s.rt.publisher.publish(topic, [{ key: full.offerId, value: await codec.encode(full) }]);
  return full;
}

/** Registers a fresh local Web Push device for `userId` and returns it. */
export async function subscribeDevice(s: Spine, userId: string) {
  const device = s.push.newDevice();
  await new PushRegistrations(s.rt.redis, s.config.topics.prefix, s.rt.changelog).add(userId, {
    type: 'webpush',
    endpoint: device.subscription.endpoint,
    keys: device.subscription.keys,
  });
  return device;
}

/** Posts one ping for `userId` through the gateway; returns the HTTP status. */
export async function postPing(
  s: Spine,
  userId: string,
  lat: number,
  lng: number,
  recordedAt = new Date(),
): Promise<number> {
  const res = await s.app.inject({
    method: 'POST',
    url: '/v1/locations',
    headers: { authorization: `Bearer ${await s.deviceToken(userId)}` },
    payload: { lat, lng, accuracy: 8, recordedAt: recordedAt.toISOString() },
  });
  return res.statusCode;
}
