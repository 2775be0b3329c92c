// The recent matcher decisions per user, with reasons, so a marketer can
// answer "why did I get this / why not". A capped Redis list per user; no
// coordinates, only offer ids, distances and verdicts.
import type { Redis } from 'ioredis';
import { userKey } from './user-keys.ts';

const KEEP = 50;
const TTL_SECONDS = 7 * 24 * 3600;

export interface LoggedDecision {
  pingId: string;
  deviceTs: number;
  decidedTs: number;
  outcome: string;
  considered: Array<{ offerId: string; distanceM: number; score: number; verdict: string }>;
}

export class DecisionLog {
  constructor(private readonly redis: Redis, private readonly keyPrefix: string) {}

  private key(userId: string): string {
    return userKey(this.keyPrefix, 'decisions', userId);
  }

  /** Appends many users' decisions in one pipeline. */
  async append(records: ReadonlyArray<{ userId: string; record: LoggedDecision }>): Promise<void> {
    if (records.length === 0) return;
    const p = this.redis.pipeline();
    const touched = new Set<string>();
    for (const { userId, record } of records) {
      p.lpush(this.key(userId), JSON.stringify(record));
      touched.add(userId);
    }
    for (const userId of touched) p.ltrim(this.key(userId), 0, KEEP - 1).expire(this.key(userId), TTL_SECONDS);
    const results = await p.exec();
    const failed = results?.find(([err]) => err);
    if (failed) throw failed[0];
  }

  async recent(userId: string, limit = KEEP): Promise<LoggedDecision[]> {
    const raw = await this.redis.lrange(this.key(userId), 0, Math.min(limit, KEEP) - 1);
    return raw.map((r) => JSON.parse(r) as LoggedDecision);
  }

  async remove(userId: string): Promise<void> {
    await this.redis.del(this.key(userId));
  }
}
