// Property-based fuzzing of every public route the gateway declares (read from
// its own OpenAPI document, so new routes are covered automatically): hostile
// bodies, paths, query strings, content types and tokens. Never a 5xx, never a
// crash; every rejection is a JSON error with a code and a message.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { createRuntime, type Runtime } from '../../pipeline/runtime.ts';
import { buildGateway } from '../../gateway/app.ts';
import { secretKey, signToken } from '../../gateway/auth.ts';
import { testConfig } from '../support/env.ts';
import { uniqueDatabaseUrl } from '../support/coupons.ts';
import { dropDatabase, migrate } from '../../coupons/index.ts';

const RUNS = Number(process.env['NEARCAST_FUZZ_RUNS'] ?? 100_000);
type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

describe('gateway fuzzing', () => {
  let rt: Runtime;
  let app: FastifyInstance;
  let routes: Array<{ method: Method; path: string }>;
  let tokens: string[];

  beforeAll(async () => {
    // Limits off: this test is about input handling, not about throttling one busy address.
    // A database of its own: coupon routes must answer from a real schema, not a missing database.
    const config = testConfig({
      NEARCAST_MAX_BODY_BYTES: '16384',
      NEARCAST_RATE_LIMIT_ADDRESS_PER_MINUTE: '0',
      NEARCAST_RATE_LIMIT_DEVICE_PER_MINUTE: '0',
      NEARCAST_DATABASE_URL: uniqueDatabaseUrl(),
    });
    await migrate(config.databaseUrl);
    rt = await createRuntime(config);
    app = await buildGateway(rt);
    await app.ready();
    const doc = app.swagger() as { paths: Record<string, Record<string, unknown>> };
    routes = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => ({ method: m.toUpperCase() as Method, path })),
    );
    const key = secretKey(rt.config.auth.tokenSecret);
    tokens = [
      '',
      'Bearer ',
      'Bearer not-a-jwt',
      'Basic dXNlcjpwYXNz',
      `Bearer ${await signToken(key, { userId: 'fuzz-user', role: 'device' })}`,
      `Bearer ${await signToken(key, { userId: 'fuzz-admin', role: 'admin' })}`,
      `Bearer ${await signToken(key, { userId: 'fuzz-user', role: 'device' }, -60)}`,
      `Bearer ${await signToken(secretKey('f'.repeat(40)), { userId: 'fuzz-admin', role: 'admin' })}`,
    ];
  });
  afterAll(async () => {
    await app?.close();
    await rt?.close();
    if (rt) await dropDatabase(rt.config.databaseUrl);
  });

  it('declares the routes it is fuzzing', () => {
    expect(routes.length).toBeGreaterThanOrEqual(5);
  });

  it(`answers ${RUNS.toLocaleString('en')} hostile requests without a 5xx, each rejection a JSON error`, async () => {
    const segment = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.constantFrom('..', '%00', '%2e%2e', 'null', '-1', '9'.repeat(30), 'ü𝄞'),
      fc.uuid(),
    );
    const body = fc.oneof(
      fc.jsonValue({ maxDepth: 4 }),
      fc.record(
        { lat: fc.anything(), lng: fc.anything(), accuracy: fc.anything(), recordedAt: fc.anything() },
        { requiredKeys: [] },
      ),
      fc.record({ pings: fc.array(fc.anything(), { maxLength: 5 }) }),
      fc.record(
        { type: fc.constantFrom('webpush', 'fcm', 'apns'), token: fc.anything(), subscription: fc.anything() },
        { requiredKeys: ['type'] },
      ),
      fc.string({ maxLength: 200 }),
    );
    const request = fc.record({
      route: fc.integer({ min: 0, max: 1_000_000 }),
      params: fc.array(segment, { minLength: 4, maxLength: 4 }),
      query: fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 20 }), { maxKeys: 3 }),
      token: fc.integer({ min: 0, max: 1_000 }),
      contentType: fc.constantFrom(
        'application/json',
        'application/json; charset=utf-8',
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        '',
      ),
      body,
      raw: fc.boolean(),
    });
    let checked = 0;
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const route = routes[r.route % routes.length]!;
        let i = 0;
        const url = route.path.replace(/\{[^}]+\}/g, () => encodeURIComponent(r.params[i++] ?? 'x'));
        const qs = new URLSearchParams(r.query).toString();
        const payload = r.raw
          ? typeof r.body === 'string'
            ? r.body
            : JSON.stringify(r.body).slice(0, -1)
          : JSON.stringify(r.body);
        const headers: Record<string, string> = {};
        const auth = tokens[r.token % tokens.length]!;
        if (auth) headers['authorization'] = auth;
        if (r.contentType) headers['content-type'] = r.contentType;
        const hasBody = route.method !== 'GET' && route.method !== 'DELETE';
        const res = await app.inject({
          method: route.method,
          url: qs ? `${url}?${qs}` : url,
          headers,
          ...(hasBody ? { payload } : {}),
        });
        checked++;
        if (res.statusCode >= 500 && res.statusCode !== 503)
          throw new Error(`${route.method} ${url} → ${res.statusCode}: ${res.body.slice(0, 300)}`);
        if (res.statusCode >= 400) {
          const json = res.json() as { error?: { code?: unknown; message?: unknown } };
          if (typeof json.error?.code !== 'string' || typeof json.error.message !== 'string')
            throw new Error(
              `${route.method} ${url} → ${res.statusCode} without a JSON error: ${res.body.slice(0, 200)}`,
            );
        }
      }),
      { numRuns: RUNS, seed: Number(process.env['NEARCAST_FUZZ_SEED'] ?? Date.now() % 2 ** 31) },
    );
    expect(checked).toBe(RUNS);
  }, 600_000);

  it('rejects oversized bodies and batches early with 413 or 400', async () => {
    // Fresh tokens: the fuzzing above may well have called "sign out everywhere" with the old ones.
    const key = secretKey(rt.config.auth.tokenSecret);
    const admin = `Bearer ${await signToken(key, { userId: 'size-admin', role: 'admin' })}`;
    const device = `Bearer ${await signToken(key, { userId: 'size-user', role: 'device' })}`;
    const big = await app.inject({
      method: 'POST',
      url: '/v1/locations',
      headers: { authorization: device, 'content-type': 'application/json' },
      payload: JSON.stringify({
        pings: Array.from({ length: 2000 }, () => ({
          lat: 1,
          lng: 1,
          accuracy: 1,
          recordedAt: new Date().toISOString(),
        })),
      }),
    });
    expect(big.statusCode).toBe(413);
    const huge = await app.inject({
      method: 'PUT',
      url: '/v1/users/x/preferences',
      headers: { authorization: admin, 'content-type': 'application/json' },
      payload: 'x'.repeat(1_000_000),
    });
    expect(huge.statusCode).toBe(413);
  });
});
