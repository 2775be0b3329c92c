// The gateway's contract at its edge: authentication, validation with JSON
// errors and the right statuses, 202 only after Kafka acknowledged, health.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createRuntime, type Runtime } from '../../pipeline/runtime.ts';
import { createKafka, topicNames } from '../../pipeline/kafka.ts';
import { BatchingPublisher } from '../../pipeline/publisher.ts';
import { buildGateway } from '../../gateway/app.ts';
import { secretKey, signToken } from '../../gateway/auth.ts';
import { SchemaCodecs } from '../../pipeline/registry.ts';
import { testConfig } from '../support/env.ts';
import { collect, counterValue, eventually } from '../support/harness.ts';
import type { LocationPing } from '../../schemas/types.ts';

const at = () => new Date().toISOString();
const good = () => ({ lat: 48.8566, lng: 2.3522, accuracy: 12, recordedAt: at() });

describe('gateway', () => {
  let rt: Runtime;
  let app: FastifyInstance;
  let token: string;

  beforeAll(async () => {
    rt = await createRuntime(testConfig({ NEARCAST_MAX_PINGS_PER_REQUEST: '5', NEARCAST_MAX_BODY_BYTES: '4096' }));
    app = await buildGateway(rt);
    token = await signToken(secretKey(rt.config.auth.tokenSecret), { userId: 'user-42', role: 'device' });
  });
  afterAll(async () => {
    await app?.close();
    await rt?.close();
  });

  const post = (url: string, payload: unknown, auth: string | null = token, headers: Record<string, string> = {}) =>
    app.inject({
      method: 'POST',
      url,
      payload: payload as object,
      headers: { ...(auth ? { authorization: `Bearer ${auth}` } : {}), ...headers },
    });

  it('accepts one ping and a batch with 202 after Kafka acknowledged, keyed by the token user', async () => {
    const one = await post('/v1/locations', good());
    expect(one.statusCode).toBe(202);
    expect(one.json()).toMatchObject({ accepted: 1 });
    const batch = await post('/v1/locations', { pings: [good(), good(), good()] });
    expect(batch.statusCode).toBe(202);
    expect(batch.json().pingIds).toHaveLength(3);

    const topic = topicNames(rt.config.topics.prefix).locations;
    const offsets = await rt.admin.fetchTopicOffsets(topic);
    expect(offsets.reduce((n, p) => n + Number(p.high), 0)).toBe(4);
    // Keyed by user: all four on one partition.
    expect(offsets.filter((p) => Number(p.high) > 0)).toHaveLength(1);
  });

  it.each([
    ['latitude out of range', { ...good(), lat: 91 }, /lat/],
    ['longitude out of range', { ...good(), lng: -180.5 }, /lng/],
    ['wrong type', { ...good(), lat: '48.8' }, /lat/],
    ['unknown field', { ...good(), speed: 3 }, /additional/],
    ['missing field', { lat: 1, lng: 2, recordedAt: at() }, /accuracy/],
    ['negative accuracy', { ...good(), accuracy: -1 }, /accuracy/],
    ['bad timestamp', { ...good(), recordedAt: 'yesterday' }, /recordedAt/],
    [
      'timestamp far in the future',
      { ...good(), recordedAt: new Date(Date.now() + 3_600_000).toISOString() },
      /future/,
    ],
    ['empty batch', { pings: [] }, /pings/],
    ['batch over the limit', { pings: Array.from({ length: 6 }, good) }, /pings/],
    ['not an object', [1, 2, 3], /body/],
  ])('rejects %s with 400 and a JSON error', async (_name, body, message) => {
    const res = await post('/v1/locations', body);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('VALIDATION_FAILED');
    expect(res.json().error.message).toMatch(message);
  });

  it('rejects malformed JSON, a wrong content type and an oversized body', async () => {
    const bad = await app.inject({
      method: 'POST',
      url: '/v1/locations',
      payload: '{"lat": 1,',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('VALIDATION_FAILED');
    const text = await app.inject({
      method: 'POST',
      url: '/v1/locations',
      payload: 'lat=1',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain' },
    });
    expect(text.statusCode).toBe(415);
    const big = await post('/v1/locations', { pings: [{ ...good(), pad: 'x'.repeat(5000) }] });
    expect(big.statusCode).toBe(413);
    expect(big.json().error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('requires a valid device token; an admin-only route refuses a device token', async () => {
    expect((await post('/v1/locations', good(), null)).statusCode).toBe(401);
    expect((await post('/v1/locations', good(), 'not.a.jwt')).json().error.code).toBe('UNAUTHENTICATED');
    const forged = await signToken(secretKey('z'.repeat(40)), { userId: 'user-42', role: 'device' });
    expect((await post('/v1/locations', good(), forged)).statusCode).toBe(401);
    const res = await post('/v1/admin/offers', { title: 'x', circles: [{ lat: 1, lng: 1, radiusM: 100 }] });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('FORBIDDEN');
  });

  it('validates push registrations', async () => {
    const ok = await post('/v1/push/subscriptions', { type: 'fcm', token: 'f'.repeat(40) });
    expect(ok.statusCode).toBe(201);
    const http = await post('/v1/push/subscriptions', {
      type: 'webpush',
      subscription: { endpoint: 'http://insecure.example/x', keys: { p256dh: 'a'.repeat(87), auth: 'b'.repeat(22) } },
    });
    expect(http.statusCode).toBe(400);
  });

  it('answers JSON 404 for unknown routes and serves health, metrics and OpenAPI', async () => {
    const missing = await app.inject({ method: 'GET', url: '/v1/nope' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('NOT_FOUND');
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    // PostgreSQL is checked too (test/integration/readiness.test.ts); this file's default database may not exist.
    expect(Object.keys(ready.json().checks).sort()).toEqual(['kafka', 'postgres', 'redis']);
    expect(ready.json().checks).toMatchObject({ kafka: 'ok', redis: 'ok' });
    const metrics = await app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toContain('nearcast_pings_accepted_total');
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v1/locations', '/v1/push/subscriptions', '/v1/admin/offers']),
    );
  });

  it('answers 503 with Retry-After, not 202, when Kafka cannot take the write', async () => {
    const dead = createKafka({ ...rt.config, kafka: { ...rt.config.kafka, brokers: ['127.0.0.1:1'] } }, rt.log);
    const producer = dead.producer({ idempotent: true, maxInFlightRequests: 1, retry: { retries: 1 } });
    const publisher = new BatchingPublisher(producer, { maxBatchMessages: 100, timeoutMs: 1500 });
    const app2 = await buildGateway({ ...rt, publisher, codecs: new SchemaCodecs(rt.config.registryUrl) });
    const res = await app2.inject({
      method: 'POST',
      url: '/v1/locations',
      payload: good(),
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.json().error.code).toBe('BROKER_UNAVAILABLE');
    await app2.close();
  });

  it('sheds ping requests with 503 + Retry-After past the pending bound, and everything it acknowledged is on the topic', async () => {
    // Kafka is made slow on purpose: the first publishes are held back, so the backlog is known.
    let hold = true;
    let heldMessages = 0;
    const release: Array<() => void> = [];
    const slowKafka = Object.assign(Object.create(rt.publisher) as typeof rt.publisher, {
      async publish(topic: string, messages: Parameters<typeof rt.publisher.publish>[1]) {
        if (hold) {
          heldMessages += messages.length;
          await new Promise<void>((r) => release.push(r));
          heldMessages -= messages.length;
        }
        return rt.publisher.publish(topic, messages);
      },
      backlog: () => ({ messages: rt.publisher.backlog().messages + heldMessages, oldestAgeMs: 0 }),
    });
    const admission = { ...rt.config.gateway.admission, maxPendingPings: 5, maxPendingAgeMs: 0 };
    const app3 = await buildGateway({
      ...rt,
      publisher: slowKafka,
      config: { ...rt.config, gateway: { ...rt.config.gateway, admission } },
    });
    const shedBefore = await counterValue(rt, 'nearcast_gateway_shed_total', { reason: 'pending' });
    const key = secretKey(rt.config.auth.tokenSecret);
    const phones = await Promise.all(
      Array.from({ length: 22 }, (_, i) => signToken(key, { userId: `shed-${i}`, role: 'device' })),
    );
    const send = (phone: string) =>
      app3.inject({
        method: 'POST',
        url: '/v1/locations',
        payload: { pings: [good(), good(), good()] },
        headers: { authorization: `Bearer ${phone}` },
      });
    // Two requests (6 pings) wait for Kafka: past the bound of 5, so the next 20 are shed.
    const first = phones.slice(0, 2).map(send);
    await eventually(() => heldMessages === 6, 5000, 'two requests waiting for Kafka');
    const later = await Promise.all(phones.slice(2).map(send));
    hold = false;
    release.forEach((r) => r());
    const res = [...(await Promise.all(first)), ...later];
    const shed = res.filter((r) => r.statusCode === 503);
    const accepted = res.filter((r) => r.statusCode === 202);
    expect(accepted).toHaveLength(2);
    expect(shed).toHaveLength(20);
    for (const r of shed) {
      expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(r.json().error.code).toBe('BROKER_UNAVAILABLE');
    }
    expect(await counterValue(rt, 'nearcast_gateway_shed_total', { reason: 'pending' })).toBe(shedBefore + shed.length);

    const ids = new Set(accepted.flatMap((r) => r.json().pingIds as string[]));
    expect(ids.size).toBe(accepted.length * 3);
    const topic = topicNames(rt.config.topics.prefix).locations;
    const found = await collect<LocationPing>(rt, topic, (v) => ids.has(v.pingId), ids.size, 30_000);
    expect(new Set(found.map((f) => f.value.pingId))).toEqual(ids);

    // The backlog drained: requests are taken again.
    expect(
      (
        await app3.inject({
          method: 'POST',
          url: '/v1/locations',
          payload: good(),
          headers: { authorization: `Bearer ${phones[0]}` },
        })
      ).statusCode,
    ).toBe(202);
    await app3.close();
  });

  it('sheds before the address limit counts: an overloaded gateway answers 503, not 429, and spends no budget', async () => {
    const admission = { maxPendingPings: 0, maxPendingAgeMs: 0, maxLoopDelayMs: 200, maxLoopUtilization: 0 };
    const rateLimits = { ...rt.config.gateway.rateLimits, address: { max: 2, windowMs: 60_000 } };
    const gateway = { ...rt.config.gateway, admission, rateLimits, trustProxy: true };
    const app5 = await buildGateway({ ...rt, config: { ...rt.config, gateway } });
    const phone = await signToken(secretKey(rt.config.auth.tokenSecret), { userId: 'order-shed', role: 'device' });
    const from = {
      authorization: `Bearer ${phone}`,
      'x-forwarded-for': `198.51.100.${1 + Math.floor(Math.random() * 250)}`,
    };
    const send = () => app5.inject({ method: 'POST', url: '/v1/locations', payload: good(), headers: from });
    await eventually(async () => (await send()).statusCode === 202, 5000, 'an idle gateway takes pings');
    const until = Date.now() + 500;
    while (Date.now() < until); // saturate the loop
    const shed = await Promise.all([send(), send(), send()]);
    expect(shed.map((r) => r.statusCode)).toEqual([503, 503, 503]);
    // The three shed requests spent none of the address budget: one more request is allowed.
    await eventually(async () => (await send()).statusCode === 202, 5000, 'the budget left after shedding');
    expect((await send()).statusCode).toBe(429);
    await app5.close();
  });

  it('sheds ping requests while the event loop is saturated, keeps health and metrics answering, and recovers', async () => {
    // Only the event-loop bound is on; the loop is blocked by a busy-wait of a known length, so
    // the measured delay exceeds the bound whatever the machine's speed.
    const admission = { maxPendingPings: 0, maxPendingAgeMs: 0, maxLoopDelayMs: 200, maxLoopUtilization: 0 };
    const app4 = await buildGateway({ ...rt, config: { ...rt.config, gateway: { ...rt.config.gateway, admission } } });
    const phone = await signToken(secretKey(rt.config.auth.tokenSecret), { userId: 'loop-shed', role: 'device' });
    const send = () =>
      app4.inject({
        method: 'POST',
        url: '/v1/locations',
        payload: good(),
        headers: { authorization: `Bearer ${phone}` },
      });
    await eventually(async () => (await send()).statusCode === 202, 5000, 'an idle gateway takes pings');
    const shedBefore = await counterValue(rt, 'nearcast_gateway_shed_total', { reason: 'event_loop' });

    const until = Date.now() + 500;
    while (Date.now() < until); // saturate the loop
    const shed = await send();
    expect(shed.statusCode).toBe(503);
    expect(shed.headers['retry-after']).toBe('1');
    expect(shed.json().error.code).toBe('DEPENDENCY_UNAVAILABLE');
    for (const url of ['/healthz', '/readyz', '/metrics'])
      expect((await app4.inject({ method: 'GET', url })).statusCode).toBe(200);
    expect(await counterValue(rt, 'nearcast_gateway_shed_total', { reason: 'event_loop' })).toBe(shedBefore + 1);

    // Once the loop is free again the worst delay of the last second falls under the bound.
    await eventually(async () => (await send()).statusCode === 202, 5000, 'pings taken again after the loop recovered');
    await app4.close();
  });
});
