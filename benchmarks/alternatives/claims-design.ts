// nearcast's claim path packaged for the claims benchmark (issue 5): the same
// ClaimService the gateway calls, on a database of its own with one live
// offer. Structurally matches benchmarks/alternatives/claims.ts ClaimDesign.
import pg from 'pg';
import { NearcastError } from '../../pipeline/errors.ts';
import {
  ClaimService,
  createCampaign,
  createOffer,
  dropDatabase,
  migrate,
  Snowflake,
  transition,
} from '../../coupons/index.ts';

/** A live offer with `cap` units, put through the real lifecycle (two people: four eyes). */
export async function setupLiveOffer(
  pool: pg.Pool,
  cap: number,
  extra: { maxPerUser?: number | null } = {},
): Promise<string> {
  const marketer = { id: 'bench-marketer', role: 'marketer' as const };
  const approver = { id: 'bench-approver', role: 'approver' as const };
  const now = Date.now();
  const c = await createCampaign(
    pool,
    {
      name: 'bench',
      startsAt: new Date(now - 60_000).toISOString(),
      endsAt: new Date(now + 86_400_000).toISOString(),
      budgetMinor: 1e12,
    },
    marketer,
  );
  const o = await createOffer(
    pool,
    {
      campaignId: c.campaignId,
      title: 'bench',
      circles: [{ lat: 0, lng: 0, radiusM: 100 }],
      reward: { type: 'cashback', percent: 1, maxMinor: 100 },
      caps: { maxTotal: cap, maxPerUser: extra.maxPerUser ?? 1 },
    },
    marketer,
  );
  for (const [entity, id] of [
    ['campaign', c.campaignId],
    ['offer', o.offerId],
  ] as const) {
    await transition(pool, entity, id, 'submit', marketer, undefined, now);
    await transition(pool, entity, id, 'approve', approver, undefined, now);
    await transition(pool, entity, id, 'activate', marketer, undefined, now);
  }
  return o.offerId;
}

export function nearcastClaimDesign(serverUrl: string, poolSize: number, workerId = 1) {
  const url = `${serverUrl}/nearcast_bench_units`;
  let pool: pg.Pool | undefined;
  let offerId = '';
  let claims: ClaimService | undefined;
  return {
    name: 'nearcast (unit rows generated in chunks, SKIP LOCKED)',
    async setup(cap: number) {
      await dropDatabase(url);
      await migrate(url);
      pool = new pg.Pool({ connectionString: url, max: poolSize });
      pool.on('error', () => {}); // idle clients cut off when the next round drops the scratch database
      offerId = await setupLiveOffer(pool, cap);
      claims = new ClaimService(pool, new Snowflake(workerId));
    },
    async claim(userId: string): Promise<boolean> {
      try {
        await claims!.claim(offerId, userId);
        return true;
      } catch (err) {
        if (err instanceof NearcastError && (err.code === 'SOLD_OUT' || err.code === 'CLAIM_REFUSED')) return false;
        throw err;
      }
    },
    async given(): Promise<number> {
      const { rows } = await pool!.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM claims WHERE offer_id = $1 AND status IN ('live', 'redeemed')`,
        [offerId],
      );
      return rows[0]!.n;
    },
    async close() {
      await pool?.end();
      await dropDatabase(url);
    },
  };
}
