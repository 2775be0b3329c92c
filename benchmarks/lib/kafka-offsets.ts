// How far a consumer group has got through a topic: the sum over partitions of
// its committed offsets against the topic's end offsets. After the load stops,
// committed = end means every message in the log was processed.
import type { Admin } from 'kafkajs';

export interface GroupProgress {
  end: number;
  committed: number;
}

export async function groupProgress(admin: Admin, groupId: string, topic: string): Promise<GroupProgress> {
  const [ends, committed] = await Promise.all([
    admin.fetchTopicOffsets(topic),
    admin.fetchOffsets({ groupId, topics: [topic] }),
  ]);
  const end = ends.reduce((a, p) => a + Number(p.high), 0);
  const done = (committed[0]?.partitions ?? []).reduce((a, p) => a + Math.max(0, Number(p.offset)), 0);
  return { end, committed: done };
}
