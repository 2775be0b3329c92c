// The baseline preference model at work: a user's learnedInterests are
// recomputed from their own recent claims, redemptions and imported purchases
// (processors/matcher/affinity.ts does the arithmetic). Recomputed from the
// tables, never accumulated, so running twice or on two instances is harmless.
import type pg from 'pg';
import { categoryAffinity, type CouponActivity } from '../processors/matcher/affinity.ts';
import { DEFAULT_PREFERENCES, type PreferenceStore } from '../users/user-preferences.ts';
import { query } from './db.ts';
import { PSEUDONYM_PREFIX } from '../users/erasure.ts';
import type { Logger } from '../pipeline/logger.ts';

const WINDOW_MS = 365 * 86_400_000;
const PER_USER = 200;

/** Claims and redemptions of these users since `sinceMs`, with the offer's category. */
async function couponActivity(
  pool: pg.Pool,
  userIds: readonly string[],
  sinceMs: number,
): Promise<Array<CouponActivity & { userId: string }>> {
  const since = new Date(sinceMs).toISOString();
  const [claims, redemptions] = await Promise.all([
    pool.query<{ user_id: string; category: string; at: Date }>(
      `SELECT c.user_id, o.category, c.claimed_at AS at FROM claims c JOIN offers o USING (offer_id)
        WHERE c.user_id = ANY($1::text[]) AND c.claimed_at > $2 ORDER BY c.claimed_at DESC LIMIT $3`,
      [userIds, since, PER_USER * userIds.length],
    ),
    pool.query<{ user_id: string; category: string; at: Date }>(
      `SELECT r.user_id, o.category, r.redeemed_at AS at FROM redemptions r JOIN offers o USING (offer_id)
        WHERE r.user_id = ANY($1::text[]) AND r.redeemed_at > $2 ORDER BY r.redeemed_at DESC LIMIT $3`,
      [userIds, since, PER_USER * userIds.length],
    ),
  ]);
  return [
    ...claims.rows.map((r) => ({
      userId: r.user_id,
      category: r.category,
      kind: 'claim' as const,
      ts: r.at.getTime(),
    })),
    ...redemptions.rows.map((r) => ({
      userId: r.user_id,
      category: r.category,
      kind: 'redemption' as const,
      ts: r.at.getTime(),
    })),
  ];
}

interface Purchase {
  userId: string;
  category: string;
  ts: number;
}

/**
 * Each user's most recent imported purchases within the window (refunds left out), at most
 * `perUser` each. The imports component writes them (processors/imports/transactions-db.ts).
 */
async function recentPurchases(
  pool: pg.Pool,
  userIds: readonly string[],
  sinceMs: number,
  perUser: number,
): Promise<Purchase[]> {
  if (userIds.length === 0) return [];
  const res = await query<{ user_id: string; category: string; occurred_at: Date }>(
    pool,
    `SELECT user_id, category, occurred_at FROM (
       SELECT user_id, category, occurred_at, row_number() OVER (PARTITION BY user_id ORDER BY occurred_at DESC) AS n
       FROM imported_transactions WHERE user_id = ANY($1::text[]) AND occurred_at > $2 AND amount_minor > 0) r
     WHERE n <= $3`,
    [userIds, new Date(sinceMs).toISOString(), perUser],
  );
  return res.rows.map((r) => ({ userId: r.user_id, category: r.category, ts: r.occurred_at.getTime() }));
}

/** Recomputes and stores learnedInterests for these users from every kind of activity. */
export async function learnInterests(
  pool: pg.Pool,
  store: PreferenceStore,
  userIds: readonly string[],
  now: number,
): Promise<void> {
  const users = [...new Set(userIds)];
  if (users.length === 0) return;
  const [coupons, purchases] = await Promise.all([
    couponActivity(pool, users, now - WINDOW_MS),
    recentPurchases(pool, users, now - WINDOW_MS, PER_USER),
  ]);
  const byUser = new Map<string, CouponActivity[]>();
  const add = (userId: string, a: CouponActivity) => byUser.set(userId, [...(byUser.get(userId) ?? []), a]);
  for (const c of coupons) add(c.userId, { category: c.category, kind: c.kind, ts: c.ts });
  for (const p of purchases) add(p.userId, { category: p.category, kind: 'purchase', ts: p.ts });
  // Only learnedInterests changes; update() keeps whatever else was written meanwhile (consent above all),
  // and writes nothing for an erased user, whose claims remain under a pseudonym.
  await Promise.all(
    users.map((u) =>
      store.updateUnlessErased(u, (current) => ({
        ...(current ?? DEFAULT_PREFERENCES),
        learnedInterests: categoryAffinity(byUser.get(u) ?? [], now),
        updatedTs: now,
      })),
    ),
  );
}

export interface AffinityLearner {
  stop(): Promise<void>;
}

/**
 * Every `everyMs`, learns for the users who claimed or redeemed since the last
 * round. One instance at a time does the work (a PostgreSQL advisory lock).
 */
const LATE_COMMIT_MARGIN_MS = 60_000;

export function startAffinityLearner(
  pool: pg.Pool,
  store: PreferenceStore,
  everyMs: number,
  log: Logger,
  now: () => number = Date.now,
): AffinityLearner {
  let since = now() - everyMs;
  let running: Promise<void> = Promise.resolve();
  const round = async () => {
    const until = now();
    const client = await pool.connect();
    try {
      const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(774455) AS ok');
      if (!rows[0]?.ok) return;
      try {
        const { rows: users } = await client.query<{ user_id: string }>(
          `SELECT user_id FROM claims WHERE claimed_at > $1 AND user_id NOT LIKE $2
           UNION SELECT user_id FROM redemptions WHERE redeemed_at > $1 AND user_id NOT LIKE $2 LIMIT 5000`,
          [new Date(since).toISOString(), `${PSEUDONYM_PREFIX}%`],
        );
        await learnInterests(
          pool,
          store,
          users.map((u) => u.user_id),
          until,
        );
        // A claim's time is its transaction's start: one that commits after this round read the
        // table can carry a time before `until`. Looking back a margin again next round finds it;
        // learning is recomputed from the tables, so seeing a user twice is harmless.
        since = until - LATE_COMMIT_MARGIN_MS;
      } finally {
        await client.query('SELECT pg_advisory_unlock(774455)');
      }
    } finally {
      client.release();
    }
  };
  const timer = setInterval(() => {
    running = running
      .then(round)
      .catch((err: Error) => log.warn({ err: err.message }, 'learning interests failed; retrying next round'));
  }, everyMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
