// What we know about a user's wishes: interests, segments, consent, quiet
// hours. Written by the data-science API (gateway), bulk import, the phone's
// consent switch and the interest learner, read by matchers in one round trip
// per batch. Stored as one Redis string per user; every writer goes through
// update(), a compare-and-set, so concurrent writers never undo each other
// (a learner round must not bring back a consent the user just withdrew).
import type { Redis } from 'ioredis';
import { userKey } from './user-keys.ts';
import type { StateChangelog } from './state-changelog.ts';
import { NearcastError } from './errors.ts';

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
  interests: {}, segments: [], consent: true, quietHours: null, timeZone: 'UTC', locale: 'en', updatedTs: 0,
};

const MAX_CAS_ATTEMPTS = 20;
/** SET only if the key still holds what the writer read ('' = it was absent; a stored value is never empty JSON). */
const COMPARE_AND_SET = `local cur = redis.call('GET', KEYS[1])
if (cur == false and ARGV[1] == '') or cur == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2]) return 1 end
return 0`;

export class PreferenceStore {
  /** Without a changelog the store only reads (matchers); writers must pass one. */
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(private readonly redis: Redis, private readonly keyPrefix: string, private readonly changelog?: StateChangelog) {}

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
  async update(userId: string, mutate: (current: UserPreferences | undefined) => UserPreferences): Promise<UserPreferences> {
    // Writers in this process take turns per user; the compare-and-set handles the other processes.
    const key = this.key(userId);
    const turn = (this.queues.get(key) ?? Promise.resolve()).then(() => this.compareAndSet(key, userId, mutate));
    const settled = turn.catch(() => undefined);
    this.queues.set(key, settled);
    void settled.then(() => this.queues.get(key) === settled && this.queues.delete(key));
    return turn;
  }

  private async compareAndSet(key: string, userId: string, mutate: (current: UserPreferences | undefined) => UserPreferences): Promise<UserPreferences> {
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const raw = await this.redis.get(key);
      const next = mutate(raw ? (JSON.parse(raw) as UserPreferences) : undefined);
      await this.durable().record([{ redisKey: key, value: next }]);
      if ((await this.redis.eval(COMPARE_AND_SET, 1, key, raw ?? '', JSON.stringify(next))) === 1) return next;
      await new Promise((r) => setTimeout(r, Math.random() * 10 * (attempt + 1)));
    }
    throw new NearcastError('DEPENDENCY_UNAVAILABLE', `preferences of ${userId} kept changing under ${MAX_CAS_ATTEMPTS} attempts to update them`, { retryAfterSeconds: 1 });
  }

  async remove(userId: string): Promise<void> {
    await this.durable().record([{ redisKey: this.key(userId), value: null }]);
    await this.redis.del(this.key(userId));
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
