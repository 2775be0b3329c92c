// Claims with exact caps: a harness that drives any claim design with many
// concurrent claimers for a fixed time, then checks nothing was over-given,
// and the seed-001 relational baseline (one counter row per coupon, locked
// with SELECT … FOR UPDATE for every claim). nearcast's own claim path plugs
// in as another ClaimDesign once it has landed (coupons/; claims-design.ts).
import pg from 'pg';

export interface ClaimDesign {
  name: string;
  /** Prepares one coupon with `cap` units. */
  setup(cap: number): Promise<void>;
  /** One user's claim: true if a unit was given. */
  claim(userId: string): Promise<boolean>;
  /** Units given, as the store itself counts them (for the over-allocation check). */
  given(): Promise<number>;
  close(): Promise<void>;
}

export interface ClaimRun {
  claimsPerSec: number;
  attempts: number;
  granted: number;
  cap: number;
  overAllocated: number;
}

/** `concurrency` claimers, each a distinct stream of users, for `seconds`; then the cap is checked against the store. */
export async function driveClaims(
  d: ClaimDesign,
  cap: number,
  concurrency: number,
  seconds: number,
): Promise<ClaimRun> {
  await d.setup(cap);
  let attempts = 0;
  let granted = 0;
  const end = Date.now() + seconds * 1000;
  const start = Date.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      for (let i = 0; Date.now() < end && i < 10_000_000; i++) {
        attempts++;
        if (await d.claim(`user-${w}-${i}`)) granted++;
      }
    }),
  );
  const elapsed = (Date.now() - start) / 1000;
  const stored = await d.given();
  return {
    claimsPerSec: Math.round(granted / elapsed),
    attempts,
    granted,
    cap,
    overAllocated: Math.max(0, stored - cap, granted - cap),
  };
}

/** Seed 001's design: a coupon row with a remaining count, locked per claim; one claim per user per coupon. */
export function rowLockDesign(serverUrl: string, poolSize: number): ClaimDesign {
  const db = `nearcast_bench_claims_${Date.now().toString(36)}`;
  let admin: pg.Client | undefined;
  let pool: pg.Pool | undefined;
  return {
    name: 'row-lock (seed 001)',
    async setup(cap) {
      admin = new pg.Client({ connectionString: `${serverUrl}/postgres` });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
      await admin.query(`CREATE DATABASE ${db}`);
      pool = new pg.Pool({ connectionString: `${serverUrl}/${db}`, max: poolSize });
      pool.on('error', () => {}); // idle clients cut off when the scratch database is dropped
      await pool.query(`CREATE TABLE coupons (coupon_id int PRIMARY KEY, remaining int NOT NULL CHECK (remaining >= 0));
        CREATE TABLE claims (claim_id bigserial PRIMARY KEY, coupon_id int NOT NULL REFERENCES coupons, user_id text NOT NULL,
          claimed_at timestamptz NOT NULL DEFAULT now(), expires_at timestamptz NOT NULL, UNIQUE (coupon_id, user_id))`);
      await pool.query('INSERT INTO coupons VALUES (1, $1)', [cap]);
    },
    async claim(userId) {
      const c = await pool!.connect();
      try {
        await c.query('BEGIN');
        const { rows } = await c.query<{ remaining: number }>({
          name: 'lock',
          text: 'SELECT remaining FROM coupons WHERE coupon_id = 1 FOR UPDATE',
        });
        if (!rows[0] || rows[0].remaining <= 0) {
          await c.query('ROLLBACK');
          return false;
        }
        await c.query({ name: 'take', text: 'UPDATE coupons SET remaining = remaining - 1 WHERE coupon_id = 1' });
        await c.query({
          name: 'record',
          text: "INSERT INTO claims (coupon_id, user_id, expires_at) VALUES (1, $1, now() + interval '5 minutes')",
          values: [userId],
        });
        await c.query('COMMIT');
        return true;
      } catch (err) {
        await c.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        c.release();
      }
    },
    async given() {
      const { rows } = await pool!.query<{ n: number }>('SELECT count(*)::int AS n FROM claims');
      return rows[0]!.n;
    },
    async close() {
      await pool?.end();
      await admin?.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
      await admin?.end();
    },
  };
}
