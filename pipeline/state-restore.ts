// Rebuilds Redis from the state changelog when Redis has lost its data (a
// restart: it keeps nothing on disk). An epoch key marks a Redis that holds
// the state; the first process to find it missing takes a lease, replays the
// compacted topic to its end and sets the epoch; the others wait for it.
import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import type { Redis } from 'ioredis';
import type { Logger } from './logger.ts';
import type { SchemaCodecs } from './registry.ts';
import { NearcastError } from './errors.ts';
import type { StateEntry } from '../schemas/types.ts';
import { erasureDigest, isTombstoneKey } from '../users/erasure.ts';
import { userKey, userOfKey } from '../users/user-keys.ts';
import { RELOAD, consentChannel, consentSetKey } from '../users/consent-gate.ts';
import type { UserPreferences } from '../users/user-preferences.ts';
import { retryTransient, topicNames } from './kafka.ts';

export interface RestoreDeps {
  redis: Redis;
  kafka: Kafka;
  codecs: SchemaCodecs;
  topic: string;
  keyPrefix: string;
  log: Logger;
}

/**
 * The restore lock is a lease its holder renews while it works: a process
 * killed mid-restore holds the others back for one lease at most, after which
 * one of them takes over (a restore is safe to run twice).
 */
const LEASE_MS = 5000;
const RENEW_MS = 1500;
/** How long a process waits for restores (its own turn included) before giving up. */
const GIVE_UP_MS = 10 * 60_000;
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/** What a component that keeps state in Redis hands the restore: its own clients and topic prefix. */
export function restoreDepsOf(
  d: { redis: Redis; kafka: Kafka; codecs: SchemaCodecs; config: { topics: { prefix: string } } },
  log: Logger,
): RestoreDeps {
  const prefix = d.config.topics.prefix;
  const topic = topicNames(prefix).stateChangelog;
  return { redis: d.redis, kafka: d.kafka, codecs: d.codecs, topic, keyPrefix: prefix, log };
}

export const epochKey = (prefix: string) => `${prefix}state:epoch`;
export const restoreLockKey = (prefix: string) => `${prefix}state:restoring`;

/** Ensures Redis holds the state; returns what had to be done. */
export async function ensureState(d: RestoreDeps): Promise<'intact' | 'restored' | 'waited'> {
  const lock = restoreLockKey(d.keyPrefix);
  const token = randomUUID();
  const until = Date.now() + GIVE_UP_MS;
  let waited = false;
  for (;;) {
    if (await d.redis.exists(epochKey(d.keyPrefix))) return waited ? 'waited' : 'intact';
    if ((await d.redis.set(lock, token, 'PX', LEASE_MS, 'NX')) === 'OK') break;
    if (Date.now() > until) {
      throw new NearcastError(
        'DEPENDENCY_UNAVAILABLE',
        'another process is restoring Redis state and has not finished',
      );
    }
    waited = true;
    await new Promise((r) => setTimeout(r, 200));
  }
  const renewal = setInterval(() => void d.redis.eval(RENEW, 1, lock, token, LEASE_MS).catch(() => {}), RENEW_MS);
  try {
    return await restore(d);
  } finally {
    clearInterval(renewal);
    await d.redis.eval(RELEASE, 1, lock, token).catch(() => {});
  }
}

async function restore(d: RestoreDeps): Promise<'restored'> {
  const started = Date.now();
  const entries = honourErasures(d.keyPrefix, await readChangelog(d));
  await d.redis.del(consentSetKey(d.keyPrefix)); // rebuilt from the preferences below
  await apply(d.redis, d.keyPrefix, entries);
  await d.redis.set(epochKey(d.keyPrefix), new Date().toISOString());
  await d.redis.publish(consentChannel(d.keyPrefix), RELOAD); // gateways re-read who withdrew consent
  const level = entries.size > 0 ? 'warn' : 'info'; // an empty changelog is a first start, not a recovery
  d.log[level]({ entries: entries.size, ms: Date.now() - started }, 'Redis state restored from the changelog');
  return 'restored';
}

/** The latest value per compaction key, up to the topic's end at the time of the call. */
async function readChangelog(d: RestoreDeps): Promise<Map<string, StateEntry | null>> {
  const admin = d.kafka.admin();
  await admin.connect();
  const ends = await retryTransient(() => admin.fetchTopicOffsets(d.topic));
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

/**
 * Drops every record of an erased user (erasure.ts): a writer that raced the
 * erasure may have recorded a value after the erasure's deletions.
 */
export function honourErasures(
  prefix: string,
  entries: Map<string, StateEntry | null>,
): Map<string, StateEntry | null> {
  const erased = new Set<string>();
  for (const [key, e] of entries) {
    if (e && isTombstoneKey(prefix, key)) erased.add(key.slice(`${prefix}erased:`.length));
  }
  if (erased.size === 0) return entries;
  const out = new Map<string, StateEntry | null>();
  for (const [key, e] of entries) {
    const user = userOfKey(prefix, key.split('\u0000')[0]!);
    if (user === undefined || !erased.has(erasureDigest(user))) out.set(key, e);
  }
  return out;
}

async function apply(redis: Redis, prefix: string, entries: Map<string, StateEntry | null>): Promise<void> {
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
      const user = userOfKey(prefix, e.redisKey);
      // The consent set (consent-gate.ts) follows the preferences it was kept from.
      const prefs = user !== undefined && e.redisKey === userKey(prefix, 'prefs', user);
      if (prefs && !(JSON.parse(e.json) as UserPreferences).consent) p.sadd(consentSetKey(prefix), user);
    }
    if (++n % 1000 === 0) {
      await p.exec();
      p = redis.pipeline();
    }
  }
  await p.exec();
}
