// `nearcast topics create|list` and `nearcast lag`.
import type { Admin } from 'kafkajs';
import type { Config } from '../pipeline/config.ts';
import { ensureTopics, topicNames } from '../pipeline/kafka.ts';
import { table, withAdmin } from './context.ts';

export async function createTopics(config: Config): Promise<void> {
  await withAdmin(config, async (admin) => {
    const before = new Set(await admin.listTopics());
    await ensureTopics(admin, config);
    for (const t of Object.values(topicNames(config.topics.prefix)))
      console.log(`${before.has(t) ? 'exists ' : 'created'}  ${t}`);
  });
}

export async function listTopics(config: Config): Promise<void> {
  await withAdmin(config, async (admin) => {
    const declared = topicNames(config.topics.prefix);
    const present = new Set(await admin.listTopics());
    const existing = Object.values(declared).filter((t) => present.has(t));
    const meta = existing.length ? await admin.fetchTopicMetadata({ topics: existing }) : { topics: [] };
    const rows = [];
    for (const [key, name] of Object.entries(declared)) {
      const m = meta.topics.find((t) => t.name === name);
      const messages = m ? await messageCount(admin, name) : 0;
      rows.push({ topic: name, declared: key, partitions: m ? m.partitions.length : 'missing', messages });
    }
    table(rows);
  });
}

async function messageCount(admin: Admin, topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.reduce((a, p) => a + Number(p.high) - Number(p.low), 0);
}

export interface LagRow {
  group: string;
  topic: string;
  partition: number;
  committed: string;
  end: string;
  lag: number;
}

/** Lag of every consumer group under the prefix (or just `group`), per partition. */
export async function consumerLag(admin: Admin, prefix: string, group?: string): Promise<LagRow[]> {
  const groups = group
    ? [group]
    : (await admin.listGroups()).groups
        .map((g) => g.groupId)
        .filter((g) => g.startsWith(prefix))
        .sort();
  const rows: LagRow[] = [];
  for (const g of groups) {
    for (const t of await admin.fetchOffsets({ groupId: g })) {
      const ends = new Map((await admin.fetchTopicOffsets(t.topic)).map((p) => [p.partition, p]));
      for (const p of t.partitions) {
        const end = ends.get(p.partition);
        if (!end) continue;
        // No commit yet (-1): the group would start from the beginning of what is retained.
        const from = Number(p.offset) < 0 ? Number(end.low) : Number(p.offset);
        rows.push({
          group: g,
          topic: t.topic,
          partition: p.partition,
          committed: p.offset,
          end: end.high,
          lag: Math.max(0, Number(end.high) - from),
        });
      }
    }
  }
  return rows;
}

export async function showLag(config: Config, group?: string): Promise<void> {
  await withAdmin(config, async (admin) => {
    const rows = await consumerLag(admin, config.topics.prefix, group);
    if (rows.length === 0)
      return console.log(
        group ? `group ${group} has no committed offsets` : `no consumer groups with prefix "${config.topics.prefix}"`,
      );
    table(rows.map((r) => ({ ...r })));
    const total = rows.reduce((a, r) => a + r.lag, 0);
    console.log(`total lag: ${total}`);
  });
}
