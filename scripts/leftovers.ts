// Finds and removes what one test file (or the demo) made on the shared stack:
// topics, consumer groups, registry subjects and Redis keys under each prefix
// it was handed, and the databases it created. Best effort: a leftover is
// reported, never a test failure (the test itself has passed or failed).
import { Kafka, logLevel } from 'kafkajs';
import { Redis } from 'ioredis';
import pg from 'pg';

export interface StackUrls {
  brokers: string[];
  registryUrl: string;
  redisUrl: string;
}

export const DEFAULT_URLS: StackUrls = {
  brokers: (process.env['NEARCAST_KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(','),
  registryUrl: process.env['NEARCAST_SCHEMA_REGISTRY_URL'] ?? 'http://127.0.0.1:8081/apis/ccompat/v7',
  redisUrl: process.env['NEARCAST_REDIS_URL'] ?? 'redis://127.0.0.1:6379',
};

export interface Leftovers {
  topics: string[];
  groups: string[];
  subjects: string[];
  keys: number;
}

const kafkaFor = (urls: StackUrls) =>
  new Kafka({ clientId: 'nearcast-test-cleanup', brokers: urls.brokers, logLevel: logLevel.NOTHING });
const startsWithAny = (prefixes: string[]) => (s: string) => prefixes.some((p) => s.startsWith(p));

async function registrySubjects(registryUrl: string): Promise<string[]> {
  const res = await fetch(`${registryUrl}/subjects`);
  return res.ok ? ((await res.json()) as string[]) : [];
}

/** Every key under any of `prefixes`, in one pass over the keyspace (a file may have many prefixes). */
async function eachKeyBatch(redis: Redis, prefixes: string[], fn: (keys: string[]) => Promise<unknown>): Promise<void> {
  const mine = startsWithAny(prefixes);
  const match = prefixes.length === 1 ? `${prefixes[0]}*` : '*';
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', match, 'COUNT', 1000);
    cursor = next;
    const ours = keys.filter(mine);
    if (ours.length > 0) await fn(ours);
  } while (cursor !== '0');
}

/** What is still on the stack under any of `prefixes`. */
export async function leftovers(prefixes: string[], urls: StackUrls = DEFAULT_URLS): Promise<Leftovers> {
  const mine = startsWithAny(prefixes);
  const admin = kafkaFor(urls).admin();
  const redis = new Redis(urls.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 });
  await admin.connect();
  try {
    const [topics, { groups }, subjects] = await Promise.all([
      admin.listTopics(),
      admin.listGroups(),
      registrySubjects(urls.registryUrl),
    ]);
    let keys = 0;
    await eachKeyBatch(redis, prefixes, async (batch) => (keys += batch.length));
    const groupIds = groups.map((g) => g.groupId);
    return { topics: topics.filter(mine), groups: groupIds.filter(mine), subjects: subjects.filter(mine), keys };
  } finally {
    await admin.disconnect();
    redis.disconnect();
  }
}

/**
 * Deletes topics, consumer groups (only empty ones can go: run after the
 * consumers closed), registry subjects (soft, then permanent) and Redis keys
 * under each prefix. Returns the problems met, for a log line.
 */
export async function cleanPrefixes(prefixes: string[], urls: StackUrls = DEFAULT_URLS): Promise<string[]> {
  if (prefixes.length === 0) return [];
  const problems: string[] = [];
  const attempt = async (what: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
    } catch (err) {
      // kafkajs names each group that could not go (a live member: NON_EMPTY_GROUP).
      const failed = (err as { groups?: Array<{ groupId: string; error?: { type?: string } }> }).groups?.filter(
        (g) => g.error,
      );
      const detail = failed?.map((g) => `${g.groupId} ${g.error?.type ?? ''}`).join(', ');
      problems.push(`${what}: ${detail || (err as Error).message}`);
    }
  };
  const left = await leftovers(prefixes, urls);
  const admin = kafkaFor(urls).admin();
  await admin.connect();
  try {
    if (left.groups.length > 0) await attempt('groups', () => admin.deleteGroups(left.groups));
    if (left.topics.length > 0) {
      await attempt('topics', () => admin.deleteTopics({ topics: left.topics, timeout: 30_000 }));
    }
  } finally {
    await admin.disconnect();
  }
  for (const s of left.subjects) {
    const url = `${urls.registryUrl}/subjects/${encodeURIComponent(s)}`;
    await attempt(`subject ${s}`, async () => {
      await fetch(url, { method: 'DELETE' });
      await fetch(`${url}?permanent=true`, { method: 'DELETE' });
    });
  }
  const redis = new Redis(urls.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 });
  try {
    await attempt('redis', () => eachKeyBatch(redis, prefixes, (batch) => redis.unlink(...batch)));
  } finally {
    redis.disconnect();
  }
  return problems;
}

/** Drops each database (closing its open connections first); missing ones are fine. */
export async function dropDatabases(urls: string[]): Promise<string[]> {
  const problems: string[] = [];
  for (const url of urls) {
    const u = new URL(url);
    const name = u.pathname.slice(1);
    u.pathname = '/postgres';
    const client = new pg.Client({ connectionString: u.toString() });
    try {
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS "${name.replaceAll('"', '""')}" WITH (FORCE)`);
    } catch (err) {
      problems.push(`database ${name}: ${(err as Error).message}`);
    } finally {
      await client.end().catch(() => {});
    }
  }
  return problems;
}
