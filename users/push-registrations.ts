// Where a user's phones can be reached: Web Push subscriptions and FCM tokens,
// one Redis hash per user. Written by the gateway, read by dispatchers, pruned
// when a push service says a registration is gone.
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { userKey } from './user-keys.ts';
import type { StateChangelog } from '../pipeline/state-changelog.ts';
import { erasedError, tombstoneKey } from './erasure.ts';

export type PushRegistration =
  { type: 'webpush'; endpoint: string; keys: { p256dh: string; auth: string } } | { type: 'fcm'; token: string };
// Stored registrations also carry `addedAt` (ms), which orders evictions.

export interface StoredRegistration {
  id: string;
  registration: PushRegistration;
}

export function registrationId(r: PushRegistration): string {
  const secret = r.type === 'webpush' ? r.endpoint : r.token;
  return createHash('sha256').update(`${r.type}:${secret}`).digest('base64url').slice(0, 22);
}

export const DEFAULT_MAX_REGISTRATIONS = 10;

/**
 * Adds one registration and, past the cap, evicts the oldest others (by the
 * `addedAt` stored with each; ties by id) in the same atomic step, so
 * concurrent registrations never leave more than the cap. Returns the evicted ids.
 */
const ADD_CAPPED = `
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
local n = redis.call('HLEN', KEYS[1])
local max = tonumber(ARGV[3])
if n <= max then return {} end
local all = redis.call('HGETALL', KEYS[1])
local entries = {}
for i = 1, #all, 2 do
  if all[i] ~= ARGV[1] then
    local ok, v = pcall(cjson.decode, all[i + 1])
    local at = 0
    if ok and type(v) == 'table' and type(v.addedAt) == 'number' then at = v.addedAt end
    entries[#entries + 1] = { all[i], at }
  end
end
table.sort(entries, function(a, b) if a[2] ~= b[2] then return a[2] < b[2] end return a[1] < b[1] end)
local evicted = {}
for i = 1, n - max do
  evicted[i] = entries[i][1]
  redis.call('HDEL', KEYS[1], entries[i][1])
end
return evicted
`;

type CappedRedis = Redis & {
  nearcastPushAddCapped(key: string, id: string, json: string, max: number): Promise<string[]>;
};

export interface PushRegistrationsOptions {
  /** Registrations kept per user; adding one more evicts the oldest. */
  maxPerUser?: number;
  now?: () => number;
}

export class PushRegistrations {
  private readonly maxPerUser: number;
  private readonly now: () => number;

  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
    private readonly changelog: StateChangelog,
    o: PushRegistrationsOptions = {},
  ) {
    this.maxPerUser = o.maxPerUser ?? DEFAULT_MAX_REGISTRATIONS;
    this.now = o.now ?? Date.now;
    if (!('nearcastPushAddCapped' in redis)) {
      redis.defineCommand('nearcastPushAddCapped', { numberOfKeys: 1, lua: ADD_CAPPED });
    }
  }

  private key(userId: string): string {
    return userKey(this.keyPrefix, 'push', userId);
  }

  /**
   * Changelog first, then Redis (as every state write); the evicted get their
   * tombstones right after. A crash between the two leaves an evicted
   * registration in the changelog only: a restore brings it back, and the
   * user's next registration evicts it again.
   */
  async add(userId: string, r: PushRegistration): Promise<string> {
    const id = registrationId(r);
    const key = this.key(userId);
    if (await this.redis.exists(tombstoneKey(this.keyPrefix, userId))) throw erasedError(userId); // erasure is final
    const stored = { ...r, addedAt: this.now() };
    await this.changelog.record([{ redisKey: key, field: id, value: stored }]);
    const json = JSON.stringify(stored);
    const evicted = await (this.redis as CappedRedis).nearcastPushAddCapped(key, id, json, this.maxPerUser);
    await this.changelog.record(evicted.map((old) => ({ redisKey: key, field: old, value: null })));
    return id;
  }

  async remove(userId: string, id: string): Promise<void> {
    await this.changelog.record([{ redisKey: this.key(userId), field: id, value: null }]);
    await this.redis.hdel(this.key(userId), id);
  }

  /** Forgets every registration of a user (erasure), in the changelog and in Redis. */
  async removeAll(userId: string): Promise<void> {
    const ids = await this.redis.hkeys(this.key(userId));
    await this.changelog.record(ids.map((id) => ({ redisKey: this.key(userId), field: id, value: null })));
    await this.redis.del(this.key(userId));
  }

  /**
   * All registrations of many users in one MULTI, which also checks the
   * epoch marker: atomically, so `intact: false` reliably says Redis lost its
   * data and an empty answer must not be trusted until the state is restored.
   */
  async forUsers(
    userIds: Iterable<string>,
    epochKey: string,
  ): Promise<{ registrations: Map<string, StoredRegistration[]>; intact: boolean }> {
    const ids = [...new Set(userIds)];
    const tx = this.redis.multi().exists(epochKey);
    for (const id of ids) tx.hgetall(this.key(id));
    const results = (await tx.exec()) ?? [];
    const registrations = new Map<string, StoredRegistration[]>();
    ids.forEach((userId, i) => {
      const [err, hash] = results[i + 1] ?? [new Error('missing reply'), null];
      if (err) throw err;
      registrations.set(
        userId,
        Object.entries((hash ?? {}) as Record<string, string>).map(([id, json]) => ({
          id,
          registration: JSON.parse(json) as PushRegistration,
        })),
      );
    });
    return { registrations, intact: results[0]?.[1] === 1 };
  }
}
