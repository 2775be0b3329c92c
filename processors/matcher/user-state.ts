// Per-user matcher state in Redis: one key per user, read and written with one
// pipeline per consumed batch, never one round trip per ping. Changes that
// matter after a Redis restart (visits begun, served, left; cooldowns; daily
// counts) are recorded on the state changelog first; the last-seen times that
// move on every ping are not, which keeps the changelog to a few writes a visit.
import type { Redis } from 'ioredis';
import { userKey } from '../../users/user-keys.ts';
import { tombstoneKey } from '../../users/erasure.ts';
import type { StateChangelog, StateWrite } from '../../pipeline/state-changelog.ts';
import type { UserGeoState } from './decide.ts';

const STATE_TTL_SECONDS = 24 * 3600;
const CHUNK = 1000;

/**
 * Whether two states agree on the parts a restart must not forget (visits
 * begun and served, cooldowns, the day's count), ignoring the times that move
 * on every ping. Compared field by field: it runs for every changed state.
 */
export function sameMaterial(a: UserGeoState | undefined, b: UserGeoState | undefined): boolean {
  if (!a || !b) return a === b;
  if (a.day !== b.day || a.pushesToday !== b.pushesToday) return false;
  if (!sameEntries(a.presence, b.presence, (x, y) => x.enteredTs === y.enteredTs && x.done === y.done)) return false;
  return sameEntries(a.lastPushTs, b.lastPushTs, (x, y) => x === y);
}

function sameEntries<V>(a: Record<string, V>, b: Record<string, V>, same: (x: V, y: V) => boolean): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const k of keys) {
    const y = b[k];
    if (y === undefined || !same(a[k]!, y)) return false;
  }
  return true;
}

// One command per batch instead of one SET per user: ioredis spends a few
// microseconds on every command it sends, which was most of the write cost.
const SET_MANY = `
for i, k in ipairs(KEYS) do redis.call('SET', k, ARGV[i + 1], 'EX', ARGV[1]) end
return #KEYS
`;

type WithSetMany = Redis & {
  nearcastSetMany(numKeys: number, ...keysThenArgs: Array<string | number>): Promise<number>;
};

export class UserStateStore {
  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
    private readonly changelog: StateChangelog,
    private readonly epochKey: string,
  ) {
    if (!('nearcastSetMany' in redis)) redis.defineCommand('nearcastSetMany', { lua: SET_MANY });
  }

  private key(userId: string): string {
    return userKey(this.keyPrefix, 'geo', userId);
  }

  /**
   * States of many users in one MGET, which also reads the epoch marker: in
   * the same atomic command, so `intact: false` reliably says Redis lost its
   * data (a restart) and the states must not be trusted until restored. The
   * same MGET reads the users' erasure tombstones: late pings of an erased
   * user must write nothing.
   */
  async loadMany(
    userIds: Iterable<string>,
  ): Promise<{ states: Map<string, UserGeoState>; intact: boolean; erased: Set<string> }> {
    const ids = [...new Set(userIds)];
    const keys = [...ids.map((id) => this.key(id)), ...ids.map((id) => tombstoneKey(this.keyPrefix, id))];
    const values = await this.redis.mget(this.epochKey, ...keys);
    const states = new Map<string, UserGeoState>();
    const erased = new Set<string>();
    ids.forEach((id, i) => {
      const raw = values[i + 1];
      if (values[ids.length + i + 1] != null) erased.add(id);
      else if (raw) states.set(id, JSON.parse(raw) as UserGeoState);
    });
    return { states, intact: values[0] !== null, erased };
  }

  /** Records on the changelog the states whose material part changed since `before`. */
  async recordChanges(states: Map<string, UserGeoState>, before: Map<string, UserGeoState>): Promise<void> {
    const writes: StateWrite[] = [];
    for (const [id, s] of states) {
      if (!sameMaterial(s, before.get(id)))
        writes.push({ redisKey: this.key(id), value: s, ttlSeconds: STATE_TTL_SECONDS });
    }
    await this.changelog.record(writes);
  }

  async saveMany(states: Map<string, UserGeoState>): Promise<void> {
    if (states.size === 0) return;
    const keys: string[] = [];
    const values: string[] = [];
    for (const [id, s] of states) {
      keys.push(this.key(id));
      values.push(JSON.stringify(s));
    }
    const redis = this.redis as WithSetMany;
    // Bounded arguments per call (a replayed backlog makes batches of thousands); all sent at once, in order.
    const calls: Promise<number>[] = [];
    for (let i = 0; i < keys.length; i += CHUNK) {
      const k = keys.slice(i, i + CHUNK);
      calls.push(redis.nearcastSetMany(k.length, ...k, STATE_TTL_SECONDS, ...values.slice(i, i + CHUNK)));
    }
    await Promise.all(calls);
  }
}
