// Pushes delivered, for the reports: reads the delivery-results topic and
// records one `push` impression per push id (a redelivered batch inserts
// nothing twice: the push id is unique). Results for offers this database
// does not know (tests that publish offers straight to Kafka) are skipped.
import { runConsumer, type Decoded, type Rejected } from '../../pipeline/consumer.ts';
import { topicNames } from '../../pipeline/kafka.ts';
import type { Runtime } from '../../pipeline/runtime.ts';
import type { DeliveryResult } from '../../schemas/types.ts';
import { query } from './db.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const INSERT = `
  INSERT INTO impressions (offer_id, user_id, kind, push_id, at)
  SELECT r.offer_id, r.user_id, 'push', r.push_id, r.at
    FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[]) AS r(offer_id, user_id, push_id, at)
   WHERE EXISTS (SELECT 1 FROM offers o WHERE o.offer_id = r.offer_id)
  ON CONFLICT (kind, push_id) WHERE push_id IS NOT NULL DO NOTHING`;

export async function startImpressionConsumer(rt: Pick<Runtime, 'config' | 'log' | 'metrics' | 'kafka' | 'codecs' | 'publisher' | 'pool'>) {
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
        await query(rt.pool, INSERT, [v.map((x) => x.offerId), v.map((x) => x.userId), v.map((x) => x.pushId), v.map((x) => new Date(x.completedTs))]);
      }
      return rejected;
    },
  });
}
