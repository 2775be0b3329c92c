// The recent matcher decisions per user, with reasons, so a marketer can
// answer "why did I get this / why not". A capped Redis list per user; no
// coordinates, only offer ids, distances and verdicts.
import type { Redis } from 'ioredis';
import { userKey } from './user-keys.ts';

const KEEP = 50;
const TTL_SECONDS = 7 * 24 * 3600;
const CHUNK = 1000;

export interface LoggedDecision {
  pingId: string;
  deviceTs: number;
  decidedTs: number;
  outcome: string;
  considered: Array<{ offerId: string; distanceM: number; score: number; verdict: string }>;
}

// One command per batch (records in order, then each touched list capped and
// its expiry renewed) instead of three per record through a pipeline.
const APPEND = `
local keep, ttl, touched = tonumber(ARGV[1]), ARGV[2], {}
for i, k in ipairs(KEYS) do
  redis.call('LPUSH', k, ARGV[i + 2])
  touched[k] = true
end
for k in pairs(touched) do
  redis.call('LTRIM', k, 0, keep - 1)
  redis.call('EXPIRE', k, ttl)
end
return #KEYS
`;

type WithAppend = Redis & {
  nearcastDecisionsAppend(numKeys: number, ...keysThenArgs: Array<string | number>): Promise<number>;
};

export class DecisionLog {
  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
  ) {
    if (!('nearcastDecisionsAppend' in redis)) redis.defineCommand('nearcastDecisionsAppend', { lua: APPEND });
  }

  private key(userId: string): string {
    return userKey(this.keyPrefix, 'decisions', userId);
  }

  /** Appends many users' decisions in one command. */
  async append(records: ReadonlyArray<{ userId: string; record: LoggedDecision }>): Promise<void> {
    if (records.length === 0) return;
    const keys = records.map((r) => this.key(r.userId));
    const values = records.map((r) => JSON.stringify(r.record));
    const redis = this.redis as WithAppend;
    // Bounded arguments per call; the calls go out in order on one connection, so each list keeps its order.
    const calls: Promise<number>[] = [];
    for (let i = 0; i < keys.length; i += CHUNK) {
      const k = keys.slice(i, i + CHUNK);
      calls.push(redis.nearcastDecisionsAppend(k.length, ...k, KEEP, TTL_SECONDS, ...values.slice(i, i + CHUNK)));
    }
    await Promise.all(calls);
  }

  async recent(userId: string, limit = KEEP): Promise<LoggedDecision[]> {
    const raw = await this.redis.lrange(this.key(userId), 0, Math.min(limit, KEEP) - 1);
    return raw.map((r) => JSON.parse(r) as LoggedDecision);
  }

  async remove(userId: string): Promise<void> {
    await this.redis.del(this.key(userId));
  }
}
