// What we know about a user's wishes: interests, segments, consent, quiet
// hours. Written by the data-science API (gateway), bulk import, the phone's
// consent switch and the interest learner, read by matchers in one round trip
// per batch. Stored as one Redis string per user; every writer goes through
// update(), a compare-and-set, so concurrent writers never undo each other
// (a learner round must not bring back a consent the user just withdrew).
// The same script refuses an erased user (erasure.ts) and keeps the set of
// users who withdrew consent (consent-gate.ts) in step with the preferences.
import type { Redis } from 'ioredis';
import { userKey } from './user-keys.ts';
import { erasedError, isErasedError, tombstoneKey } from './erasure.ts';
import { consentChannel, consentMessage, consentSetKey } from './consent-gate.ts';
import type { StateChangelog } from '../pipeline/state-changelog.ts';
import { NearcastError } from '../pipeline/errors.ts';

export interface QuietHours {
  /** Minutes after local midnight; start > end wraps past midnight (22:00–07:00). */
  startMinute: number;
  endMinute: number;
}

export interface UserPreferences {
  /** Category → weight in [0, 1], from the data-science side. A category not listed counts as neutral (0.5). */
  interests: Record<string, number>;
  /** Category → weight learnt from the user's own claims and redemptions (processors/matcher/affinity.ts); used where `interests` says nothing. */
  learnedInterests?: Record<string, number>;
  segments: string[];
  /** Consent to location-triggered marketing. Withdrawing it stops pushes within seconds. */
  consent: boolean;
  quietHours: QuietHours | null;
  timeZone: string;
  locale: string;
  updatedTs: number;
}

/** A user we know nothing about: consent was collected by the app before it sent pings. */
export const DEFAULT_PREFERENCES: UserPreferences = {
  interests: {},
  segments: [],
  consent: true,
  quietHours: null,
  timeZone: 'UTC',
  locale: 'en',
  updatedTs: 0,
};

const MAX_CAS_ATTEMPTS = 20;
/**
 * SET only if the user was not erased (KEYS[2], answer -1) and the key still
 * holds what the writer read ('' = it was absent; a stored value is never
 * empty JSON); the consent set (KEYS[3]) follows ARGV[3].
 */
const COMPARE_AND_SET = `if redis.call('EXISTS', KEYS[2]) == 1 then return -1 end
local cur = redis.call('GET', KEYS[1])
if (cur == false and ARGV[1] == '') or cur == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2])
  if ARGV[3] == '1' then redis.call('SREM', KEYS[3], ARGV[4]) else redis.call('SADD', KEYS[3], ARGV[4]) end
  return 1
end
return 0`;

export class PreferenceStore {
  /** Without a changelog the store only reads (matchers); writers must pass one. */
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
    private readonly changelog?: StateChangelog,
  ) {}

  private key(userId: string): string {
    return userKey(this.keyPrefix, 'prefs', userId);
  }

  async get(userId: string): Promise<UserPreferences | undefined> {
    const raw = await this.redis.get(this.key(userId));
    return raw ? (JSON.parse(raw) as UserPreferences) : undefined;
  }

  /**
   * Applies `mutate` to the stored preferences atomically: the new value is
   * recorded on the changelog, then written only if nobody changed the key
   * since it was read; otherwise read again and retry. The last record on
   * the changelog is therefore always the value Redis holds.
   */
  async update(
    userId: string,
    mutate: (current: UserPreferences | undefined) => UserPreferences,
  ): Promise<UserPreferences> {
    // Writers in this process take turns per user; the compare-and-set handles the other processes.
    const key = this.key(userId);
    const turn = (this.queues.get(key) ?? Promise.resolve()).then(() => this.compareAndSet(key, userId, mutate));
    const settled = turn.catch(() => undefined);
    this.queues.set(key, settled);
    void settled.then(() => this.queues.get(key) === settled && this.queues.delete(key));
    return turn;
  }

  /** update(), answering undefined for an erased user instead of failing (background writers skip such users). */
  async updateUnlessErased(
    userId: string,
    mutate: (current: UserPreferences | undefined) => UserPreferences,
  ): Promise<UserPreferences | undefined> {
    try {
      return await this.update(userId, mutate);
    } catch (err) {
      if (isErasedError(err)) return undefined;
      throw err;
    }
  }

  private async compareAndSet(
    key: string,
    userId: string,
    mutate: (current: UserPreferences | undefined) => UserPreferences,
  ): Promise<UserPreferences> {
    const tombstone = tombstoneKey(this.keyPrefix, userId);
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const [raw, erased] = await this.redis.mget(key, tombstone);
      if (erased !== null) throw erasedError(userId);
      const current = raw ? (JSON.parse(raw) as UserPreferences) : undefined;
      const next = mutate(current);
      await this.durable().record([{ redisKey: key, value: next }]);
      const keys = [key, tombstone, consentSetKey(this.keyPrefix)];
      const args = [raw ?? '', JSON.stringify(next), next.consent ? '1' : '0', userId];
      const done = await this.redis.eval(COMPARE_AND_SET, 3, ...keys, ...args);
      if (done === -1) {
        // Erased since we looked: take back what we recorded (a restore skips the user's keys anyway).
        await this.durable().record([{ redisKey: key, value: null }]);
        throw erasedError(userId);
      }
      if (done === 1) {
        const was = (current ?? DEFAULT_PREFERENCES).consent;
        const channel = consentChannel(this.keyPrefix);
        if (was !== next.consent) await this.redis.publish(channel, consentMessage(userId, next.consent));
        return next;
      }
      await new Promise((r) => setTimeout(r, Math.random() * 10 * (attempt + 1)));
    }
    throw new NearcastError(
      'DEPENDENCY_UNAVAILABLE',
      `preferences of ${userId} kept changing under ${MAX_CAS_ATTEMPTS} attempts to update them`,
      { retryAfterSeconds: 1 },
    );
  }

  async remove(userId: string): Promise<void> {
    await this.durable().record([{ redisKey: this.key(userId), value: null }]);
    await this.redis.multi().del(this.key(userId)).srem(consentSetKey(this.keyPrefix), userId).exec();
    await this.redis.publish(consentChannel(this.keyPrefix), consentMessage(userId, true)); // gates forget the user
  }

  private durable(): StateChangelog {
    if (!this.changelog) throw new Error('PreferenceStore was built read-only');
    return this.changelog;
  }

  /** Preferences of many users in one MGET; users without a record are absent from the map. */
  async getMany(userIds: readonly string[]): Promise<Map<string, UserPreferences>> {
    const out = new Map<string, UserPreferences>();
    if (userIds.length === 0) return out;
    const values = await this.redis.mget(userIds.map((id) => this.key(id)));
    userIds.forEach((id, i) => {
      const raw = values[i];
      if (raw) out.set(id, JSON.parse(raw) as UserPreferences);
    });
    return out;
  }
}
