// Erases one user everywhere, inside the erasure request. Order: the
// tombstone first (changelog, Redis, PostgreSQL), so every writer refuses the
// user from then on; then the PostgreSQL rows (accounting kept under a random
// pseudonym); then every Redis key of the user and its changelog records;
// then the tokens. Every step is idempotent: a request that fails part-way
// answers 5xx and the caller repeats it until it answers 200.
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { Redis } from 'ioredis';
import { PSEUDONYM_PREFIX, erasureDigest, tombstoneKey } from './erasure.ts';
import type { StateChangelog } from '../pipeline/state-changelog.ts';
import type { PreferenceStore } from './user-preferences.ts';
import type { PushRegistrations } from './push-registrations.ts';
import type { Revocations } from './revocations.ts';
import { isUserLedgerKey, userKey, userLedgerPattern, userRateLimitKeys } from './user-keys.ts';

export interface ErasureDeps {
  redis: Redis;
  pool: pg.Pool;
  keyPrefix: string;
  changelog: StateChangelog;
  prefs: PreferenceStore;
  registrations: PushRegistrations;
  revocations: Revocations;
  now: () => number;
}

/** Accounting rows keep amounts, offers and times; the user id (and the push id embedding it) become the pseudonym. */
const PSEUDONYMIZE = [
  'UPDATE claims SET user_id = $2 WHERE user_id = $1',
  'UPDATE redemptions SET user_id = $2 WHERE user_id = $1',
  'UPDATE imported_transactions SET user_id = $2 WHERE user_id = $1',
  `UPDATE impressions SET user_id = $2,
          push_id = CASE WHEN left(push_id, length($1) + 1) = $1 || ':'
                         THEN $2 || substr(push_id, length($1) + 1) ELSE push_id END
    WHERE user_id = $1`,
];

/** Erases `userId`; answers how many rows and keys held the user's data. */
export async function eraseUser(d: ErasureDeps, userId: string): Promise<{ rows: number; keys: number }> {
  const tombstone = tombstoneKey(d.keyPrefix, userId);
  const erasedTs = d.now();
  await d.changelog.record([{ redisKey: tombstone, value: { erasedTs } }]);
  await d.redis.set(tombstone, JSON.stringify({ erasedTs }));
  const rows = await erasePostgres(d.pool, userId, erasedTs);
  await Promise.all([d.prefs.remove(userId), d.registrations.removeAll(userId)]);
  await d.changelog.record([{ redisKey: userKey(d.keyPrefix, 'geo', userId), value: null }]);
  const ledger = (await scanAll(d.redis, userLedgerPattern(d.keyPrefix, userId))).filter((k) =>
    isUserLedgerKey(d.keyPrefix, userId, k),
  );
  const keys = [
    userKey(d.keyPrefix, 'geo', userId),
    userKey(d.keyPrefix, 'decisions', userId),
    ...userRateLimitKeys(d.keyPrefix, userId),
    ...ledger,
  ];
  const removed = await d.redis.del(...keys);
  await d.revocations.revokeErased(userId); // the erased user's tokens die with their data
  return { rows, keys: removed };
}

async function erasePostgres(pool: pg.Pool, userId: string, erasedTs: number): Promise<number> {
  const pseudonym = `${PSEUDONYM_PREFIX}${randomUUID()}`;
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('INSERT INTO erased_users (digest, erased_at) VALUES ($1, $2) ON CONFLICT DO NOTHING', [
      erasureDigest(userId),
      new Date(erasedTs),
    ]);
    let rows = 0;
    for (const sql of PSEUDONYMIZE) rows += (await client.query(sql, [userId, pseudonym])).rowCount ?? 0;
    // Opens still waiting for their push count for nothing yet: deleted (the table is newer than some databases).
    const {
      rows: [pending],
    } = await client.query<{ t: string | null }>(`SELECT to_regclass('pending_opens')::text AS t`);
    if (pending?.t) {
      rows += (await client.query('DELETE FROM pending_opens WHERE user_id = $1', [userId])).rowCount ?? 0;
    }
    await client.query('COMMIT');
    return rows;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

async function scanAll(redis: Redis, match: string): Promise<string[]> {
  const out: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', match, 'COUNT', 1000);
    out.push(...keys);
    cursor = next;
  } while (cursor !== '0');
  return out;
}
