// Rebuilds Redis from the state changelog when Redis has lost its data (a
// restart: it keeps nothing on disk). An epoch key marks a Redis that holds
// the state; the first process to find it missing takes a lock, replays the
// compacted topic to its end and sets the epoch; the others wait for it.
import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import type { Redis } from 'ioredis';
import type { Logger } from './logger.ts';
import type { SchemaCodecs } from './registry.ts';
import { NearcastError } from './errors.ts';
import type { StateEntry } from '../schemas/types.ts';

export interface RestoreDeps {
  redis: Redis;
  kafka: Kafka;
  codecs: SchemaCodecs;
  topic: string;
  keyPrefix: string;
  log: Logger;
}

const LOCK_MS = 120_000;

export const epochKey = (prefix: string) => `${prefix}state:epoch`;

/** Ensures Redis holds the state; returns what had to be done. */
export async function ensureState(d: RestoreDeps): Promise<'intact' | 'restored' | 'waited'> {
  if (await d.redis.exists(epochKey(d.keyPrefix))) return 'intact';
  const lock = `${d.keyPrefix}state:restoring`;
  const token = randomUUID();
  if ((await d.redis.set(lock, token, 'PX', LOCK_MS, 'NX')) !== 'OK') {
    const until = Date.now() + LOCK_MS;
    while (Date.now() < until) {
      await new Promise((r) => setTimeout(r, 200));
      if (await d.redis.exists(epochKey(d.keyPrefix))) return 'waited';
    }
    throw new NearcastError('DEPENDENCY_UNAVAILABLE', 'another process is restoring Redis state and has not finished');
  }
  const started = Date.now();
  const entries = await readChangelog(d);
  await apply(d.redis, entries);
  await d.redis.set(epochKey(d.keyPrefix), new Date().toISOString());
  if ((await d.redis.get(lock)) === token) await d.redis.del(lock);
  const level = entries.size > 0 ? 'warn' : 'info'; // an empty changelog is a first start, not a recovery
  d.log[level]({ entries: entries.size, ms: Date.now() - started }, 'Redis state restored from the changelog');
  return 'restored';
}

/** The latest value per compaction key, up to the topic's end at the time of the call. */
async function readChangelog(d: RestoreDeps): Promise<Map<string, StateEntry | null>> {
  const admin = d.kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(d.topic);
  await admin.disconnect();
  const pending = new Map(ends.filter((p) => p.high !== p.low).map((p) => [p.partition, BigInt(p.high)]));
  const latest = new Map<string, StateEntry | null>();
  if (pending.size === 0) return latest;
  const consumer = d.kafka.consumer({ groupId: `${d.keyPrefix}restore-${randomUUID()}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic: d.topic, fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          for (const m of batch.messages) {
            const key = m.key?.toString();
            if (key) latest.set(key, m.value ? await d.codecs.decode<StateEntry>(m.value) : null);
          }
          const end = pending.get(batch.partition);
          if (end !== undefined && BigInt(batch.lastOffset()) + 1n >= end) pending.delete(batch.partition);
          if (pending.size === 0) resolve();
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  return latest;
}

async function apply(redis: Redis, entries: Map<string, StateEntry | null>): Promise<void> {
  let p = redis.pipeline();
  let n = 0;
  for (const [key, e] of entries) {
    if (e === null) {
      const [redisKey, field] = key.split('\u0000');
      if (field) p.hdel(redisKey!, field);
      else p.del(redisKey!);
    } else if (e.field) {
      p.hset(e.redisKey, e.field, e.json);
    } else if (e.ttlSeconds > 0) {
      p.set(e.redisKey, e.json, 'EX', e.ttlSeconds);
    } else {
      p.set(e.redisKey, e.json);
    }
    if (++n % 1000 === 0) {
      await p.exec();
      p = redis.pipeline();
    }
  }
  await p.exec();
}

