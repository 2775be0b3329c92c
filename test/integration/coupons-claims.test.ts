// Caps are exact under concurrency: 1,000 claims from four OS processes, each
// with its own gateway and connection pool, against an offer capped at 100
// (and at one per user): exactly 100 live claims, no user over its cap, all
// codes unique. Then the claims lapse and their units return to the pool.
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGateway } from '../../gateway/app.ts';
import { startCouponStack, type CouponStack } from '../support/coupons.ts';
import { eventually } from '../support/harness.ts';
import { startClaimer } from '../support/claimers.ts';

const PROCESSES = 4;
const PER_PROCESS = 250;
const USERS = 400;
const CAP = 100;
// Long enough that no claim lapses during the burst on a busy 2-core machine.
const TTL = 12;

describe('exact caps under concurrency', () => {
  let s: CouponStack;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    s = await startCouponStack({ NEARCAST_CLAIM_RATE_PER_MINUTE: '100000' });
  });
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await s?.close();
  });

  it(`gives exactly ${CAP} units to ${PROCESSES * PER_PROCESS} concurrent claims from ${PROCESSES} processes, then returns lapsed units`, async () => {
    const { offerId } = await s.liveOffer({ caps: { maxTotal: CAP, maxPerUser: 1 }, claimTtlSeconds: TTL });
    const claimers = await Promise.all(Array.from({ length: PROCESSES }, (_, i) => startClaimer(s.env, i + 1, 15)));
    children.push(...claimers.map((c) => c.child));
    // Users overlap across processes (400 users, 1,000 claims), so the per-user cap is raced too.
    const started = Date.now();
    const batches = claimers.map((c, i) =>
      c.run(
        offerId,
        Array.from({ length: PER_PROCESS }, (_, j) => `u-${(i * PER_PROCESS + j * 7) % USERS}`),
      ),
    );
    const results = (await Promise.all(batches)).flat();

    expect(Date.now() - started).toBeLessThan(TTL * 1000);
    expect(results).toHaveLength(PROCESSES * PER_PROCESS);
    const granted = results.filter((r) => r.status === 201);
    expect(granted).toHaveLength(CAP);
    expect(new Set(granted.map((r) => r.code)).size).toBe(CAP);
    const others = results.filter((r) => r.status !== 201);
    // Refusals are sold out or the per-user cap; on an overloaded machine a claim that waited too long
    // for a database connection is answered 503 + Retry-After (never granted beyond the cap).
    const kinds = [...new Set(others.map((r) => `${r.status} ${r.error}`))].sort();
    expect(
      kinds.every((k) => ['409 SOLD_OUT', '409 CLAIM_REFUSED', '503 DEPENDENCY_UNAVAILABLE'].includes(k)),
      kinds.join(', '),
    ).toBe(true);
    expect(others.filter((r) => r.status === 503).length).toBeLessThan(results.length / 2);

    const db = s.rt.pool;
    const {
      rows: [live],
    } = await db.query(
      `SELECT count(*)::int AS n, count(DISTINCT unit_no)::int AS units, count(DISTINCT user_id)::int AS users FROM claims WHERE offer_id = $1 AND status = 'live' AND expires_at > now()`,
      [offerId],
    );
    expect(live).toEqual({ n: CAP, units: CAP, users: CAP });
    const {
      rows: [held],
    } = await db.query('SELECT count(*)::int AS n FROM claim_units WHERE offer_id = $1 AND held_until > now()', [
      offerId,
    ]);
    expect(held.n).toBe(CAP);

    // Sold out now, with a hint when a unit comes back.
    const late = await s.app.inject({
      method: 'POST',
      url: `/v1/offers/${offerId}/claims`,
      headers: { authorization: `Bearer ${await s.token('device', 'late-1')}` },
    });
    expect(late.statusCode).toBe(409);
    expect(late.json().error.code).toBe('SOLD_OUT');
    expect(Number(late.headers['retry-after'])).toBeGreaterThanOrEqual(1);

    // After the time to live the units are back: a later claimer gets one, and the sweeper marks the lapsed claims expired.
    const {
      rows: [last],
    } = await db.query(
      'SELECT extract(epoch FROM max(expires_at) - now()) * 1000 AS ms FROM claims WHERE offer_id = $1',
      [offerId],
    );
    await new Promise((r) => setTimeout(r, Math.max(0, Number(last.ms)) + 200));
    const again = await s.app.inject({
      method: 'POST',
      url: `/v1/offers/${offerId}/claims`,
      headers: { authorization: `Bearer ${await s.token('device', 'late-1')}` },
    });
    expect(again.statusCode).toBe(201);
    await eventually(
      async () =>
        (await db.query(`SELECT count(*)::int AS n FROM claims WHERE offer_id = $1 AND status = 'expired'`, [offerId]))
          .rows[0].n === CAP,
      5000,
      'lapsed claims marked expired',
    );
    // A user whose claim lapsed may claim again (maxPerUser counts claims that hold or used a unit).
    const {
      rows: [lapsedUser],
    } = await db.query(`SELECT user_id FROM claims WHERE offer_id = $1 AND status = 'expired' LIMIT 1`, [offerId]);
    const back = await s.app.inject({
      method: 'POST',
      url: `/v1/offers/${offerId}/claims`,
      headers: { authorization: `Bearer ${await s.token('device', lapsedUser.user_id)}` },
    });
    expect(back.statusCode).toBe(201);
  }, 90_000);

  it('answers 429 with Retry-After once a device claims too fast, shared across gateway instances', async () => {
    const strict = await startCouponStack({ NEARCAST_CLAIM_RATE_PER_MINUTE: '3' }, { worker: false });
    try {
      // A second gateway on the same Redis prefix and database counts toward the same limit.
      const { offerId } = await strict.liveOffer({ caps: { maxTotal: 10, maxPerUser: 10 } });
      const token = await strict.token('device', 'greedy');
      const statuses: number[] = [];
      const second = await buildGateway(strict.rt);
      for (let i = 0; i < 5; i++) {
        const res = await (i % 2 ? second : strict.app).inject({
          method: 'POST',
          url: `/v1/offers/${offerId}/claims`,
          headers: { authorization: `Bearer ${token}` },
        });
        statuses.push(res.statusCode);
        if (res.statusCode === 429) {
          expect(res.json().error.code).toBe('RATE_LIMITED');
          expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
        }
      }
      expect(statuses).toEqual([201, 201, 201, 429, 429]);
      const other = await strict.app.inject({
        method: 'POST',
        url: `/v1/offers/${offerId}/claims`,
        headers: { authorization: `Bearer ${await strict.token('device', 'polite')}` },
      });
      expect(other.statusCode).toBe(201);
      await second.close();
    } finally {
      await strict.close();
    }
  });

  it('refuses claims without a device token, for unknown offers, and for offers not live', async () => {
    const { offerId } = await s.liveOffer({ caps: { maxTotal: 5 } });
    const device = await s.token('device', 'd-1');
    const claim = (id: string, token?: string) =>
      s.app.inject({
        method: 'POST',
        url: `/v1/offers/${id}/claims`,
        headers: token ? { authorization: `Bearer ${token}` } : {},
      });
    expect((await claim(offerId)).statusCode).toBe(401);
    expect((await claim(offerId, await s.token('marketer'))).statusCode).toBe(403);
    expect((await claim('00000000-0000-4000-8000-000000000000', device)).statusCode).toBe(404);
    expect((await claim('nope', device)).statusCode).toBe(400);
    expect((await s.call('POST', `/v1/admin/offers/${offerId}/pause`, await s.token('marketer'))).status).toBe(200);
    const paused = await claim(offerId, device);
    expect(paused.statusCode).toBe(409);
    expect(paused.json().error.code).toBe('CLAIM_REFUSED');
  });
});
