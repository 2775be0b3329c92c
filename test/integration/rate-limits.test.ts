// Per-device and per-address limits answer 429 with Retry-After, and the
// budget is shared: two gateway instances draw from the same Redis counters.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createRuntime, type Runtime } from '../../pipeline/runtime.ts';
import { buildGateway } from '../../gateway/app.ts';
import { secretKey, signToken } from '../../gateway/auth.ts';
import { Redis } from 'ioredis';
import { RateLimiter, verdict } from '../../users/rate-limit.ts';
import { testEnv } from '../support/env.ts';
import { loadConfig } from '../../pipeline/config.ts';

describe('rate limits', () => {
  let rt: Runtime;
  let a: FastifyInstance;
  let b: FastifyInstance;
  let key: Uint8Array;
  beforeAll(async () => {
    const config = loadConfig(
      testEnv({
        NEARCAST_RATE_LIMIT_DEVICE_PER_MINUTE: '5',
        NEARCAST_RATE_LIMIT_ADDRESS_PER_MINUTE: '40',
        NEARCAST_TRUST_PROXY: 'true',
      }),
    );
    rt = await createRuntime(config);
    [a, b] = await Promise.all([buildGateway(rt), buildGateway(rt)]);
    key = secretKey(config.auth.tokenSecret);
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await rt?.close();
  });

  const ping = () => ({ lat: 10, lng: 10, accuracy: 5, recordedAt: new Date().toISOString() });

  it('limits one device across two gateway instances, with Retry-After', async () => {
    const token = await signToken(key, { userId: 'greedy', role: 'device' });
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      const app = i % 2 ? a : b;
      const res = await app.inject({
        method: 'POST',
        url: '/v1/locations',
        headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': `10.0.0.${i}` },
        payload: ping(),
      });
      statuses.push(res.statusCode);
      if (res.statusCode === 429) {
        expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
        expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(60);
        expect(res.json().error.code).toBe('RATE_LIMITED');
      }
    }
    expect(statuses).toEqual([202, 202, 202, 202, 202, 429, 429]);
    const other = await signToken(key, { userId: 'polite', role: 'device' });
    expect(
      (
        await a.inject({
          method: 'POST',
          url: '/v1/locations',
          headers: { authorization: `Bearer ${other}`, 'x-forwarded-for': '10.0.1.1' },
          payload: ping(),
        })
      ).statusCode,
    ).toBe(202);
  });

  it('limits one address before authentication, so token guessing is throttled too', async () => {
    const statuses = await Promise.all(
      Array.from({ length: 45 }, () =>
        a
          .inject({
            method: 'POST',
            url: '/v1/locations',
            headers: { authorization: 'Bearer guess', 'x-forwarded-for': '203.0.113.9' },
            payload: ping(),
          })
          .then((r) => r.statusCode),
      ),
    );
    expect(statuses.filter((s) => s === 401)).toHaveLength(40);
    expect(statuses.filter((s) => s === 429)).toHaveLength(5);
    expect(
      (await a.inject({ method: 'GET', url: '/healthz', headers: { 'x-forwarded-for': '203.0.113.9' } })).statusCode,
    ).toBe(200);
  });

  it('stays exact when checks of one event-loop turn share a Redis call, across two instances', async () => {
    const prefix = `rl-batch-${Date.now()}.`;
    const conns = [new Redis(rt.config.redisUrl), new Redis(rt.config.redisUrl)];
    try {
      const [x, y] = conns.map((c) => new RateLimiter(c, prefix));
      const limit = { max: 100, windowMs: 60_000 };
      // 300 checks on one key in one turn (they batch), split over two instances, plus other keys mixed in.
      const verdicts = await Promise.all(
        Array.from({ length: 300 }, (_, i) => (i % 2 ? x! : y!).hit('dev', i % 3 === 0 ? `other-${i}` : 'hot', limit)),
      );
      const hot = verdicts.filter((_, i) => i % 3 !== 0);
      expect(hot.filter((v) => v.allowed)).toHaveLength(100);
      expect(verdicts.filter((_, i) => i % 3 === 0).every((v) => v.allowed)).toBe(true);
      const refused = hot.find((v) => !v.allowed);
      expect(refused && !refused.allowed && refused.retryAfterSeconds).toBeGreaterThanOrEqual(59);
    } finally {
      await Promise.all(conns.map((c) => c.quit()));
    }
  });

  it('computes the wait from what is left of the window', () => {
    const limit = { max: 2, windowMs: 60_000 };
    expect(verdict(2, 10_000, limit)).toEqual({ allowed: true });
    expect(verdict(3, 10_001, limit)).toEqual({ allowed: false, retryAfterSeconds: 11 });
    expect(verdict(3, -1, limit)).toEqual({ allowed: false, retryAfterSeconds: 60 });
  });
});

describe('token revocation', () => {
  it('voids every earlier token of a user within a second, on every gateway instance, and survives in the changelog', async () => {
    const config = loadConfig(testEnv());
    const rt = await createRuntime(config);
    const [a, b] = [await buildGateway(rt), await buildGateway(rt)];
    const key = secretKey(config.auth.tokenSecret);
    const device = await signToken(key, { userId: 'lost-phone', role: 'device' });
    const admin = await signToken(key, { userId: 'ops', role: 'admin' });
    const ping = { lat: 1, lng: 1, accuracy: 5, recordedAt: new Date().toISOString() };
    try {
      expect(
        (
          await b.inject({
            method: 'POST',
            url: '/v1/locations',
            headers: { authorization: `Bearer ${device}` },
            payload: ping,
          })
        ).statusCode,
      ).toBe(202);
      const res = await a.inject({
        method: 'POST',
        url: '/v1/users/lost-phone/tokens/revoke',
        headers: { authorization: `Bearer ${admin}` },
      });
      expect(res.statusCode).toBe(200);
      await new Promise((r) => setTimeout(r, 1100)); // b's local cache of the old answer lapses
      const after = await b.inject({
        method: 'POST',
        url: '/v1/locations',
        headers: { authorization: `Bearer ${device}` },
        payload: ping,
      });
      expect(after.statusCode).toBe(401);
      expect(after.json().error.message).toMatch(/revoked/);
      await new Promise((r) => setTimeout(r, 1000)); // a token issued in a later second works again
      const fresh = await signToken(key, { userId: 'lost-phone', role: 'device' });
      expect(
        (
          await b.inject({
            method: 'POST',
            url: '/v1/locations',
            headers: { authorization: `Bearer ${fresh}` },
            payload: ping,
          })
        ).statusCode,
      ).toBe(202);
    } finally {
      await Promise.all([a.close(), b.close()]);
      await rt.close();
    }
  });
});
