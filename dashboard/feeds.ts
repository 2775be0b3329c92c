// Feeds the dashboard state from Kafka: its own throwaway consumer group (no commits), live
// topics from their end, the compacted offers topic from the start. One instance sees every
// partition, which is why the dashboard runs as one small pod rather than inside gateways.
import { randomUUID } from 'node:crypto';
import type { Consumer } from 'kafkajs';
import { topicNames } from '../pipeline/kafka.ts';
import type { Runtime } from '../pipeline/runtime.ts';
import type { DeliveryResult, LocationPing, Offer, PushRequest } from '../schemas/types.ts';
import type { DashboardState } from './aggregate.ts';

export interface Feeds {
  /** Resolves once the consumer has its partitions: later messages will be seen. */
  joined: Promise<void>;
  stop(): Promise<void>;
}

export async function startFeeds(
  rt: Pick<Runtime, 'kafka' | 'codecs' | 'config' | 'log'>,
  state: DashboardState,
  now: () => number,
): Promise<Feeds> {
  const t = topicNames(rt.config.topics.prefix);
  const log = rt.log.child({ component: 'dashboard-feeds' });
  const consumer: Consumer = rt.kafka.consumer({
    groupId: `${rt.config.topics.prefix}dashboard-${randomUUID()}`,
    maxWaitTimeInMs: 250,
  });
  const joined = new Promise<void>((resolve) => {
    const off = consumer.on(consumer.events.GROUP_JOIN, () => (off(), resolve()));
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [t.offers], fromBeginning: true });
  await consumer.subscribe({
    topics: [t.locations, t.pushRequests, t.deliveryResults, t.deadLetters],
    fromBeginning: false,
  });
  await consumer.run({
    autoCommit: false,
    partitionsConsumedConcurrently: 4,
    eachBatch: async ({ batch, heartbeat }) => {
      for (const m of batch.messages) {
        try {
          if (batch.topic === t.deadLetters) {
            state.deadLetter(String(m.headers?.['nearcast-dlq-stage'] ?? 'unknown'), now());
          } else if (batch.topic === t.offers) {
            state.offer(String(m.key), m.value ? await rt.codecs.decode<Offer>(m.value) : null);
          } else if (batch.topic === t.locations) {
            state.ping(await rt.codecs.decode<LocationPing>(m.value), now());
          } else if (batch.topic === t.pushRequests) {
            state.pushRequest(await rt.codecs.decode<PushRequest>(m.value));
          } else if (batch.topic === t.deliveryResults) {
            state.deliveryResult(await rt.codecs.decode<DeliveryResult>(m.value), now());
          }
        } catch (err) {
          // The processors dead-letter bad messages; the dashboard only skips them.
          log.debug(
            { err: (err as Error).message, topic: batch.topic, partition: batch.partition, offset: m.offset },
            'undecodable message skipped',
          );
        }
      }
      await heartbeat();
    },
  });
  return { joined, stop: () => consumer.disconnect() };
}
