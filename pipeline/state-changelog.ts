// Redis holds the hot per-user state but keeps nothing on disk, so every
// write of state we cannot recompute (preferences, push registrations, the
// matcher's visits) is first recorded on a compacted Kafka topic. Redis is a
// cache of that topic: after Redis loses its data, restoreState() rebuilds it.
import type { Message } from 'kafkajs';
import type { BatchingPublisher } from './publisher.ts';
import type { SchemaCodecs } from './registry.ts';
import { TOPICS } from '../schemas/topics.ts';
import type { StateEntry } from '../schemas/types.ts';

export interface StateWrite {
  redisKey: string;
  /** Set for one field of a Redis hash. */
  field?: string;
  /** The JSON-able value, or null to delete. */
  value: unknown;
  ttlSeconds?: number;
}

/** The compaction key: one per Redis key, or per hash field. */
export const changelogKey = (redisKey: string, field?: string | null) =>
  field ? `${redisKey}\u0000${field}` : redisKey;

export class StateChangelog {
  constructor(
    private readonly publisher: BatchingPublisher,
    private readonly codecs: SchemaCodecs,
    readonly topic: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** Durable in Kafka when this resolves; only then may Redis be written. */
  async record(writes: readonly StateWrite[]): Promise<void> {
    if (writes.length === 0) return;
    const codec = await this.codecs.forTopic<StateEntry>(this.topic, TOPICS.stateChangelog.valueSchema);
    const messages: Message[] = await Promise.all(
      writes.map(async (w) => ({
        key: changelogKey(w.redisKey, w.field),
        value:
          w.value === null
            ? null
            : await codec.encode({
                redisKey: w.redisKey,
                field: w.field ?? null,
                json: JSON.stringify(w.value),
                ttlSeconds: w.ttlSeconds ?? 0,
                writtenTs: this.now(),
              }),
      })),
    );
    await this.publisher.publish(this.topic, messages);
  }
}
