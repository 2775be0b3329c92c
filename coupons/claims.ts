// The claim path. Design (docs/coupons.md): every unit of an offer's overall
// cap is a row; claims take free units with FOR UPDATE SKIP LOCKED, so
// concurrent claimers never queue behind one hot counter row, and the overall
// cap cannot be exceeded because a unit row is held by at most one claim.
// Units are generated lazily, a chunk at a time, when a batch finds too few
// free ones: extension is serialised per offer by an advisory lock, unit
// numbers never pass the cap and (offer_id, unit_no) is the primary key, so
// the cap stays exact by construction while an offer of a million units costs
// rows only as fast as it is claimed. Per-user policies are exact
// because a user's claims serialise on a transaction-scoped advisory lock
// (only that user's requests ever wait on it). PostgreSQL is the only place
// claim state lives: a Redis restart loses nothing, and a crash aborts the
// transaction, so a unit is either held by a committed claim or free.
//
// Claims arriving together for the same offer are decided in one
// transaction (group commit): while a batch is in flight the next requests
// queue, and the next batch takes them all — one lock round, one unit
// statement and one commit for up to MAX_BATCH claims. At low load a batch
// is a single claim and nothing waits.
//
// `ClaimService.claim` is the function benchmarks call directly.
import { NearcastError } from '../pipeline/errors.ts';
import { query, withTx, type Db, type Tx } from './db.ts';
import { offerEventStatus } from './lifecycle.ts';
import { campaignState, offerState } from './outbox.ts';
import { decideBatch, REFUSAL_MESSAGES, type UserClaimCounts } from './rules.ts';
import type { Snowflake } from './snowflake.ts';

export interface Claim {
  code: string;
  offerId: string;
  userId: string;
  claimedAt: string;
  expiresAt: string;
}

const MAX_BATCH = 200;
const MAX_IN_FLIGHT_PER_OFFER = 4;
const DEFAULT_UNIT_CHUNK = 1000;

// Sorted, so two batches that share users lock them in the same order and never deadlock.
const LOCK_USERS = `
  SELECT count(pg_advisory_xact_lock(h)) FROM (
    SELECT DISTINCT hashtextextended('claim-user:' || u, 7) AS h FROM unnest($1::text[]) AS u ORDER BY 1
  ) AS keys`;

const LOAD_OFFER = `
  SELECT o.*, c.status AS c_status, c.budget_minor AS c_budget_minor, c.spent_minor AS c_spent_minor,
         greatest(coalesce(o.starts_at, c.starts_at), c.starts_at) AS window_start,
         least(coalesce(o.ends_at, c.ends_at), c.ends_at) AS window_end,
         now() AS db_now, date_trunc('day', now() AT TIME ZONE o.time_zone) AT TIME ZONE o.time_zone AS day_start,
         -- The highest unit number is the count generated (no gaps): one step down the primary key.
         (SELECT coalesce(max(u.unit_no), 0) FROM claim_units u WHERE u.offer_id = o.offer_id) AS units_generated
    FROM offers o JOIN campaigns c USING (campaign_id) WHERE o.offer_id = $1`;

const COUNT_USERS = `
  SELECT u.user_id,
         count(k.claim_id) FILTER (WHERE k.offer_id = $1 AND (k.status = 'redeemed' OR (k.status = 'live' AND k.expires_at > now())))::int AS holding,
         count(k.claim_id) FILTER (WHERE k.offer_id = $1 AND k.claimed_at >= $3)::int AS today,
         count(k.claim_id) FILTER (WHERE k.claimed_at >= $3)::int AS today_any
    FROM unnest($2::text[]) AS u(user_id) LEFT JOIN claims k ON k.user_id = u.user_id
   GROUP BY u.user_id`;

// Takes up to N free units (never held, or their hold lapsed), pairs them with
// the granted requests, marks lapsed claims expired, and records the claims.
const TAKE = `
  WITH req AS (
    SELECT * FROM unnest($2::text[], $3::bigint[]) WITH ORDINALITY AS r(user_id, code, n)
  ), free AS (
    SELECT unit_no, claim_id AS previous FROM claim_units
     WHERE offer_id = $1 AND NOT consumed AND held_until <= now()
     -- In index order, so the scan stops after N rows (unordered, the planner may bitmap-scan every free unit).
     ORDER BY held_until
     LIMIT $4 FOR UPDATE SKIP LOCKED
  ), unit AS (
    SELECT unit_no, previous, row_number() OVER () AS n FROM free
  ), held AS (
    UPDATE claim_units u SET claim_id = req.code, held_until = now() + make_interval(secs => $5)
      FROM unit JOIN req USING (n) WHERE u.offer_id = $1 AND u.unit_no = unit.unit_no
    RETURNING u.unit_no, u.held_until, unit.previous, req.user_id, req.code
  ), lapsed AS (
    UPDATE claims k SET status = 'expired', ended_at = k.expires_at
      FROM held WHERE k.claim_id = held.previous AND k.status = 'live'
  )
  INSERT INTO claims (claim_id, offer_id, user_id, unit_no, claimed_at, expires_at)
  SELECT code, $1, user_id, unit_no, now(), held_until FROM held
  RETURNING claim_id::text AS code, claimed_at, expires_at`;

// Serialises unit generation for one offer only; held until the claim batch commits.
const LOCK_UNITS = `SELECT pg_advisory_xact_lock(hashtextextended('claim-units:' || $1, 7))`;

// The next $2 units after the highest generated, never past the cap.
const EXTEND = `
  INSERT INTO claim_units (offer_id, unit_no)
  SELECT o.offer_id, n
    FROM offers o,
         LATERAL (SELECT coalesce(max(unit_no), 0) AS top FROM claim_units WHERE offer_id = $1) AS g,
         generate_series(g.top + 1, least(g.top + $2, o.max_total)) AS n
   WHERE o.offer_id = $1`;

interface Pending {
  userId: string;
  resolve(c: Claim): void;
  reject(err: unknown): void;
}

export class ClaimService {
  private readonly queues = new Map<string, { waiting: Pending[]; inFlight: number }>();
  private readonly unitChunk: number;

  constructor(
    private readonly pool: Db,
    private readonly ids: Snowflake,
    opts: { unitChunk?: number } = {},
  ) {
    this.unitChunk = opts.unitChunk ?? DEFAULT_UNIT_CHUNK;
  }

  /** Claims one unit of `offerId` for `userId`, or throws CLAIM_REFUSED, SOLD_OUT, NOT_FOUND, DEPENDENCY_UNAVAILABLE. */
  claim(offerId: string, userId: string): Promise<Claim> {
    return new Promise<Claim>((resolve, reject) => {
      let q = this.queues.get(offerId);
      if (!q) {
        q = { waiting: [], inFlight: 0 };
        this.queues.set(offerId, q);
      }
      q.waiting.push({ userId, resolve, reject });
      this.pump(offerId, q);
    });
  }

  private pump(offerId: string, q: { waiting: Pending[]; inFlight: number }): void {
    while (q.waiting.length > 0 && q.inFlight < MAX_IN_FLIGHT_PER_OFFER) {
      const batch = q.waiting.splice(0, MAX_BATCH);
      q.inFlight++;
      void this.settle(offerId, batch).finally(() => {
        q.inFlight--;
        if (q.waiting.length > 0) this.pump(offerId, q);
        else if (q.inFlight === 0) this.queues.delete(offerId);
      });
    }
  }

  private async settle(offerId: string, batch: Pending[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        const outcomes = await withTx(this.pool, (tx) =>
          this.decide(
            tx,
            offerId,
            batch.map((p) => p.userId),
          ),
        );
        outcomes.forEach((o, i) => (o instanceof NearcastError ? batch[i]!.reject(o) : batch[i]!.resolve(o)));
        return;
      } catch (err) {
        // A code already taken (clock stepped back across a restart): the batch retries with fresh ids.
        if ((err as { code?: string }).code === '23505' && attempt < 3) continue;
        for (const p of batch) p.reject(err);
        return;
      }
    }
  }

  private async decide(tx: Tx, offerId: string, userIds: string[]): Promise<Array<Claim | NearcastError>> {
    await tx.query({ name: 'claim-lock', text: LOCK_USERS, values: [userIds] });
    const {
      rows: [o],
    } = await tx.query({ name: 'claim-offer', text: LOAD_OFFER, values: [offerId] }).catch(notUuid);
    if (!o) return userIds.map(() => new NearcastError('NOT_FOUND', 'no such offer'));
    const { rows } = await tx.query({
      name: 'claim-count',
      text: COUNT_USERS,
      values: [offerId, [...new Set(userIds)], o.day_start],
    });
    const counts = new Map<string, UserClaimCounts>(
      rows.map((r) => [r.user_id, { holding: r.holding, today: r.today, todayAnyOffer: r.today_any }]),
    );
    const live = offerEventStatus(offerState(o), campaignState(o)) === 'ACTIVE';
    const policy = {
      startsAt: (o.window_start as Date).getTime(),
      endsAt: (o.window_end as Date).getTime(),
      maxPerUser: o.max_per_user,
      maxPerUserPerDay: o.max_per_user_per_day,
      onePerUserPerDay: o.one_per_user_per_day,
    };
    const refusals = decideBatch(policy, live, (o.db_now as Date).getTime(), userIds, counts);
    const out: Array<Claim | NearcastError> = refusals.map(
      (r) => new NearcastError('CLAIM_REFUSED', r ? REFUSAL_MESSAGES[r] : '', { details: { reason: r } }),
    );
    const granted = refusals.flatMap((r, i) => (r ? [] : [i]));
    if (granted.length === 0) return out;
    const codes = granted.map(() => this.ids.next().toString());
    const byCode = new Map<string, { claimed_at: Date; expires_at: Date }>();
    /** Takes units for the requests `js` (indexes into granted); returns those still without one. */
    const take = async (js: number[]): Promise<number[]> => {
      const users = js.map((j) => userIds[granted[j]!]!);
      const { rows } = await tx.query({
        name: 'claim-take',
        text: TAKE,
        values: [offerId, users, js.map((j) => codes[j]!), js.length, o.claim_ttl_seconds],
      });
      for (const t of rows) byCode.set(t.code, t);
      return js.filter((j) => !byCode.has(codes[j]!));
    };
    const short = await take(granted.map((_, j) => j));
    if (short.length > 0 && Number(o.units_generated) < o.max_total) {
      await this.generateAndTake(tx, offerId, short, take);
    }
    let soldOut: NearcastError | undefined;
    for (const [j, i] of granted.entries()) {
      const t = byCode.get(codes[j]!);
      if (t)
        out[i] = {
          code: codes[j]!,
          offerId,
          userId: userIds[i]!,
          claimedAt: (t.claimed_at as Date).toISOString(),
          expiresAt: (t.expires_at as Date).toISOString(),
        };
      else out[i] = soldOut ??= await this.soldOut(tx, offerId);
    }
    return out;
  }

  /**
   * Generates units in whole chunks until the requests `short` have units or the
   * cap is reached. Under the offer's unit lock, so generators take turns; the
   * first take after the lock finds what the previous holder generated.
   */
  private async generateAndTake(
    tx: Tx,
    offerId: string,
    short: number[],
    take: (js: number[]) => Promise<number[]>,
  ): Promise<void> {
    await tx.query({ name: 'claim-units-lock', text: LOCK_UNITS, values: [offerId] });
    let want = await take(short);
    while (want.length > 0) {
      const size = Math.ceil(want.length / this.unitChunk) * this.unitChunk;
      const { rowCount } = await tx.query({ name: 'claim-extend', text: EXTEND, values: [offerId, size] });
      if (!rowCount) return; // every unit of the cap exists: sold out
      want = await take(want);
    }
  }

  /** SOLD_OUT, with when the next unit frees up (units being taken right now by other claims count as 1 s). */
  private async soldOut(tx: Tx, offerId: string): Promise<NearcastError> {
    const {
      rows: [next],
    } = await tx.query(
      // The earliest hold, straight from the index (no scan over every unit of a large offer).
      `SELECT CASE WHEN h <= now() THEN 1 ELSE ceil(extract(epoch FROM h - now()))::int END AS s
         FROM (SELECT held_until AS h FROM claim_units WHERE offer_id = $1 AND NOT consumed ORDER BY held_until LIMIT 1) AS earliest`,
      [offerId],
    );
    return new NearcastError(
      'SOLD_OUT',
      'every unit of this offer is claimed',
      next?.s > 0 ? { retryAfterSeconds: next.s } : {},
    );
  }

  /** The user's claims of an offer that are live now (read-only). */
  async liveClaims(offerId: string, userId: string): Promise<Claim[]> {
    const { rows } = await query(
      this.pool,
      `SELECT claim_id::text AS code, claimed_at, expires_at FROM claims WHERE offer_id = $1 AND user_id = $2 AND status = 'live' AND expires_at > now() ORDER BY claimed_at`,
      [offerId, userId],
    ).catch(notUuid);
    return rows.map((r) => ({
      code: r.code,
      offerId,
      userId,
      claimedAt: r.claimed_at.toISOString(),
      expiresAt: r.expires_at.toISOString(),
    }));
  }
}

/** An offer id that is not a uuid names no offer. */
export function notUuid(err: { code?: string }): { rows: never[] } {
  if (err.code === '22P02') return { rows: [] };
  throw err;
}
