// Where a user's phones can be reached: Web Push subscriptions and FCM tokens,
// one Redis hash per user. Written by the gateway, read by dispatchers, pruned
// when a push service says a registration is gone.
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { userKey } from './user-keys.ts';
import type { StateChangelog } from './state-changelog.ts';

export type PushRegistration =
  | { type: 'webpush'; endpoint: string; keys: { p256dh: string; auth: string } }
  | { type: 'fcm'; token: string };

export interface StoredRegistration {
  id: string;
  registration: PushRegistration;
}

export function registrationId(r: PushRegistration): string {
  const secret = r.type === 'webpush' ? r.endpoint : r.token;
  return createHash('sha256').update(`${r.type}:${secret}`).digest('base64url').slice(0, 22);
}

export class PushRegistrations {
  constructor(private readonly redis: Redis, private readonly keyPrefix: string, private readonly changelog: StateChangelog) {}

  private key(userId: string): string {
    return userKey(this.keyPrefix, 'push', userId);
  }

  async add(userId: string, r: PushRegistration): Promise<string> {
    const id = registrationId(r);
    await this.changelog.record([{ redisKey: this.key(userId), field: id, value: r }]);
    await this.redis.hset(this.key(userId), id, JSON.stringify(r));
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
  async forUsers(userIds: Iterable<string>, epochKey: string): Promise<{ registrations: Map<string, StoredRegistration[]>; intact: boolean }> {
    const ids = [...new Set(userIds)];
    const tx = this.redis.multi().exists(epochKey);
    for (const id of ids) tx.hgetall(this.key(id));
    const results = (await tx.exec()) ?? [];
    const registrations = new Map<string, StoredRegistration[]>();
    ids.forEach((userId, i) => {
      const [err, hash] = results[i + 1] ?? [new Error('missing reply'), null];
      if (err) throw err;
      registrations.set(userId, Object.entries((hash ?? {}) as Record<string, string>).map(([id, json]) => ({ id, registration: JSON.parse(json) as PushRegistration })));
    });
    return { registrations, intact: results[0]?.[1] === 1 };
  }
}
