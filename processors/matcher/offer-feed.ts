// Keeps this instance's directory in step with the compacted `offers` topic.
// Every instance reads the whole topic (its own throwaway group, no commits),
// so a restarted instance rebuilds its directory from the log.
import { randomUUID } from 'node:crypto';
import type { Consumer, Kafka } from 'kafkajs';
import type { Logger } from '../../pipeline/logger.ts';
import type { Metrics } from '../../pipeline/metrics.ts';
import type { SchemaCodecs } from '../../pipeline/registry.ts';
import type { Offer } from '../../schemas/types.ts';
import type { OfferDirectory } from './directory.ts';
import { retryTransient } from '../../pipeline/kafka.ts';

export interface OfferFeed {
  consumer: Consumer;
  /** Resolves once everything on the topic at start-up has been applied. */
  caughtUp: Promise<void>;
}

export async function startOfferFeed(
  kafka: Kafka,
  topic: string,
  groupPrefix: string,
  directory: OfferDirectory,
  codecs: SchemaCodecs,
  metrics: Metrics,
  log: Logger,
): Promise<OfferFeed> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await retryTransient(() => admin.fetchTopicOffsets(topic));
  await admin.disconnect();
  const pending = new Map(ends.filter((p) => p.high !== p.low).map((p) => [p.partition, BigInt(p.high)]));

  let markCaughtUp: () => void = () => {};
  const caughtUp = new Promise<void>((resolve) => (markCaughtUp = resolve));
  if (pending.size === 0) markCaughtUp();

  const consumer = kafka.consumer({ groupId: `${groupPrefix}directory-${randomUUID()}`, maxWaitTimeInMs: 250 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ message, partition }) => {
      const offerId = message.key?.toString();
      try {
        if (message.value === null) {
          if (offerId) directory.remove(offerId);
        } else {
          directory.upsert(await codecs.decode<Offer>(message.value));
        }
      } catch (err) {
        log.error({ err, partition, offset: message.offset }, 'undecodable offer change skipped');
      }
      metrics.directoryOffers.set(directory.size);
      const end = pending.get(partition);
      if (end !== undefined && BigInt(message.offset) + 1n >= end) {
        pending.delete(partition);
        if (pending.size === 0) markCaughtUp();
      }
    },
  });
  return { consumer, caughtUp };
}
