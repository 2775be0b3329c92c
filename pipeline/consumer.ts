// Runs a consumer group over one topic: decodes each batch by schema id, hands
// what decodes to the processor, sends what does not decode or what the
// processor rejects to the dead-letter topic with the reason, and lets offsets
// be committed only after all of that is durable. A processor that throws
// makes kafkajs re-deliver the batch.
import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';
import type { SchemaCodecs } from './registry.ts';
import type { BatchingPublisher } from './publisher.ts';

export interface Decoded<T> {
  value: T;
  message: KafkaMessage;
  partition: number;
}

export interface ConsumerOptions<T> {
  kafka: Kafka;
  groupId: string;
  topic: string;
  /** Name of the stage, for metrics and logs. */
  stage: string;
  codecs: SchemaCodecs;
  /**
   * Where poison goes. With `redact`, a dead letter carries the redacted value as JSON instead of the
   * original bytes, and no value at all when those did not decode (they may hold anything).
   */
  deadLetters: { topic: string; publisher: BatchingPublisher; redact?: (value: T) => unknown };
  metrics: Metrics;
  log: Logger;
  fromBeginning?: boolean;
  /**
   * How long the broker may hold a fetch to gather `minBytes` (default: answer
   * with the first byte, wait up to 250 ms for one). Bigger batches cost less
   * per message; the price is up to `maxWaitMs` of latency when traffic is low.
   */
  fetch?: { minBytes: number; maxWaitMs: number };
  /** Processes a batch; returns the items it judged invalid, which go to the dead-letter topic with their reasons. */
  processBatch: (items: Decoded<T>[], partition: number) => Promise<Rejected<T>[] | void>;
}

export interface Rejected<T> {
  item: Decoded<T>;
  reason: string;
}

export interface RunningConsumer {
  consumer: Consumer;
  /** Resolves when this member first joins the group and gets its partitions. */
  joined: Promise<void>;
}

export async function runConsumer<T>(o: ConsumerOptions<T>): Promise<RunningConsumer> {
  const fetch = o.fetch ?? { minBytes: 1, maxWaitMs: 250 };
  const consumer = o.kafka.consumer({
    groupId: o.groupId,
    maxWaitTimeInMs: fetch.maxWaitMs,
    minBytes: fetch.minBytes,
    sessionTimeout: 10_000,
    heartbeatInterval: 1000,
    retry: { retries: 10 },
  });
  const joined = new Promise<void>((resolve) => {
    const off = consumer.on(consumer.events.GROUP_JOIN, () => {
      off();
      resolve();
    });
  });
  await consumer.connect();
  await consumer.subscribe({ topic: o.topic, fromBeginning: o.fromBeginning ?? true });
  await consumer.run({
    partitionsConsumedConcurrently: 3,
    eachBatch: async ({ batch, heartbeat }) => {
      const log = o.log.child({ topic: batch.topic, partition: batch.partition, firstOffset: batch.firstOffset() });
      o.metrics.consumerLag.set({ consumer: o.stage }, Number(batch.offsetLag()));
      const items: Decoded<T>[] = [];
      const poison: Array<{ message: KafkaMessage; reason: string; item?: Decoded<T> }> = [];
      for (const message of batch.messages) {
        try {
          const value = o.codecs.decodeCached<T>(message.value) ?? (await o.codecs.decode<T>(message.value));
          items.push({ value, message, partition: batch.partition });
        } catch (err) {
          poison.push({ message, reason: `undecodable: ${(err as Error).message}` });
        }
      }
      const rejected = (await o.processBatch(items, batch.partition)) ?? [];
      poison.push(...rejected.map((r) => ({ message: r.item.message, reason: r.reason, item: r.item })));
      if (poison.length) {
        const redact = o.deadLetters.redact;
        const letters = poison.map((p) => {
          const letter = deadLetter(p.message, batch.topic, batch.partition, o.stage, p.reason);
          return redact ? redacted(letter, p.item ? Buffer.from(JSON.stringify(redact(p.item.value))) : null) : letter;
        });
        await o.deadLetters.publisher.publish(o.deadLetters.topic, letters);
        o.metrics.deadLettered.inc({ stage: o.stage }, poison.length);
        log.warn({ count: poison.length, reason: poison[0]?.reason }, 'messages sent to the dead-letter topic');
      }
      await heartbeat();
    },
  });
  return { consumer, joined };
}

function deadLetter(m: KafkaMessage, topic: string, partition: number, stage: string, reason: string) {
  return {
    key: m.key,
    value: m.value,
    headers: {
      'nearcast-dlq-reason': reason.slice(0, 500),
      'nearcast-dlq-stage': stage,
      'nearcast-dlq-source': `${topic}/${partition}/${m.offset}`,
    },
  };
}

function redacted(letter: ReturnType<typeof deadLetter>, value: Buffer | null) {
  const bytes = String(letter.value?.length ?? 0);
  const headers = { ...letter.headers, 'nearcast-dlq-redacted': 'true', 'nearcast-dlq-original-bytes': bytes };
  return { ...letter, value, headers };
}

const COORDINATES = new Set(['lat', 'lng', 'accuracyM']);

/** A ping without where it was: dead letters are kept for weeks, coordinates only as long as the locations topic. */
export function withoutCoordinates(value: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([k]) => !COORDINATES.has(k)));
}
