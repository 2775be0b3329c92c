// Pushes delivered, for the reports: reads the delivery-results topic and
// records one `push` impression per push id (a redelivered batch inserts
// nothing twice: the push id is unique). Results for offers this database
// does not know (tests that publish offers straight to Kafka) are skipped, and
// so are late results of an erased user (erased_users, users/erasure.ts).
//
// Opens come from phones, so they are trusted only as far as a delivered push
// backs them: an open counts when a `push` impression with the same push id,
// user and offer exists. One reported before its delivery result was consumed
// waits in pending_opens and counts when the push arrives. Both sides write
// first and match second, each in its own statement (READ COMMITTED: a fresh
// snapshot per statement), so whichever commits second sees the other's row
// and a real open is never left pending by the race; the unique push id on
// impressions makes a match found by both sides count once.
import { NearcastError } from '../pipeline/errors.ts';
import { runConsumer, type Decoded, type Rejected } from '../pipeline/consumer.ts';
import { topicNames } from '../pipeline/kafka.ts';
import type { Runtime } from '../pipeline/runtime.ts';
import type { DeliveryResult } from '../schemas/types.ts';
import { query, type Db } from './db.ts';
import { erasureDigest } from '../users/erasure.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const INSERT = `
  INSERT INTO impressions (offer_id, user_id, kind, push_id, at)
  SELECT r.offer_id, r.user_id, 'push', r.push_id, r.at
    FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[], $5::text[]) AS r(offer_id, user_id, push_id, at, digest)
   WHERE EXISTS (SELECT 1 FROM offers o WHERE o.offer_id = r.offer_id)
     AND NOT EXISTS (SELECT 1 FROM erased_users e WHERE e.digest = r.digest)
  ON CONFLICT (kind, push_id) WHERE push_id IS NOT NULL DO NOTHING`;

// Pending opens whose push has been delivered to that user for that offer become counted opens.
const PROMOTE = `
  WITH matched AS (
    DELETE FROM pending_opens q USING impressions p
     WHERE q.push_id = ANY($1::text[]) AND p.kind = 'push' AND p.push_id = q.push_id
       AND p.user_id = q.user_id AND p.offer_id = q.offer_id
    RETURNING q.offer_id, q.user_id, q.push_id, q.at
  )
  INSERT INTO impressions (offer_id, user_id, kind, push_id, at)
  SELECT offer_id, user_id, 'open', push_id, at FROM matched
  ON CONFLICT (kind, push_id) WHERE push_id IS NOT NULL DO NOTHING`;

/** Counts the opens of `pushIds` that were waiting for their delivered push. */
async function promotePendingOpens(pool: Db, pushIds: string[]): Promise<void> {
  await query(pool, PROMOTE, [pushIds]);
}

const COUNT_OPEN = `
  INSERT INTO impressions (offer_id, user_id, kind, push_id, at)
  SELECT p.offer_id, p.user_id, 'open', p.push_id, $4 FROM impressions p
   WHERE p.kind = 'push' AND p.push_id = $3 AND p.offer_id = $1 AND p.user_id = $2
  ON CONFLICT (kind, push_id) WHERE push_id IS NOT NULL DO NOTHING
  RETURNING 1`;

const DELIVERED = `SELECT 1 FROM impressions WHERE kind = 'push' AND push_id = $3 AND offer_id = $1 AND user_id = $2`;

const WAIT = `
  INSERT INTO pending_opens (push_id, user_id, offer_id, at) SELECT $3, $2, $1, $4
   WHERE EXISTS (SELECT 1 FROM offers WHERE offer_id = $1)
  ON CONFLICT (push_id, user_id) DO NOTHING`;

export type OpenOutcome = 'counted' | 'pending';

/**
 * A phone says it opened push `pushId` of `offerId`. Counted (once per push
 * id) when that push was delivered to this user for this offer; otherwise it
 * waits for the delivery result and counts only if one arrives that matches.
 */
export async function recordOpen(
  pool: Db,
  o: { offerId: string; userId: string; pushId: string; at: Date },
): Promise<OpenOutcome> {
  const v = [o.offerId, o.userId, o.pushId, o.at];
  // The route's schema guarantees a uuid.
  const known = await query(pool, 'SELECT 1 FROM offers WHERE offer_id = $1', [o.offerId]);
  if (!known.rowCount) throw new NearcastError('NOT_FOUND', 'no such offer');
  if ((await query(pool, COUNT_OPEN, v)).rowCount) return 'counted';
  // Not inserted: either counted before (a repeat) or the push is not known (yet).
  if ((await query(pool, DELIVERED, v.slice(0, 3))).rowCount) return 'counted';
  await query(pool, WAIT, v);
  await promotePendingOpens(pool, [o.pushId]);
  return (await query(pool, DELIVERED, v.slice(0, 3))).rowCount ? 'counted' : 'pending';
}

export async function startImpressionConsumer(
  rt: Pick<Runtime, 'config' | 'log' | 'metrics' | 'kafka' | 'codecs' | 'publisher' | 'pool'>,
) {
  const topics = topicNames(rt.config.topics.prefix);
  return runConsumer<DeliveryResult>({
    kafka: rt.kafka,
    groupId: `${rt.config.topics.prefix}coupon-impressions`,
    topic: topics.deliveryResults,
    stage: 'impressions',
    codecs: rt.codecs,
    deadLetters: { topic: topics.deadLetters, publisher: rt.publisher },
    metrics: rt.metrics,
    log: rt.log.child({ component: 'impressions' }),
    processBatch: async (items: Decoded<DeliveryResult>[]) => {
      const rejected: Rejected<DeliveryResult>[] = [];
      const delivered = items.filter((i) => {
        if (i.value.outcome !== 'DELIVERED') return false;
        if (UUID.test(i.value.offerId)) return true;
        rejected.push({ item: i, reason: 'offerId is not a uuid' });
        return false;
      });
      if (delivered.length) {
        const v = delivered.map((i) => i.value);
        // A throw (database down) makes the batch come again; the insert is idempotent.
        await query(rt.pool, INSERT, [
          v.map((x) => x.offerId),
          v.map((x) => x.userId),
          v.map((x) => x.pushId),
          v.map((x) => new Date(x.completedTs)),
          v.map((x) => erasureDigest(x.userId)),
        ]);
        // After the pushes are committed, so an open reported meanwhile is seen here or sees them.
        await promotePendingOpens(
          rt.pool,
          v.map((x) => x.pushId),
        );
      }
      return rejected;
    },
  });
}
