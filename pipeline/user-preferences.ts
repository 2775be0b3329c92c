// What we know about a user's wishes: interests, segments, consent, quiet
// hours. Written by the data-science API (gateway) or bulk import, read by
// matchers in one round trip per batch. Stored as one Redis string per user.
import type { Redis } from 'ioredis';
import { userKey } from './user-keys.ts';
import type { StateChangelog } from './state-changelog.ts';

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

export class PreferenceStore {
  /** Without a changelog the store only reads (matchers); writers must pass one. */
  constructor(private readonly redis: Redis, private readonly keyPrefix: string, private readonly changelog?: StateChangelog) {}

  private key(userId: string): string {
    return userKey(this.keyPrefix, 'prefs', userId);
  }

  async get(userId: string): Promise<UserPreferences | undefined> {
    const raw = await this.redis.get(this.key(userId));
    return raw ? (JSON.parse(raw) as UserPreferences) : undefined;
  }

  async put(userId: string, prefs: UserPreferences): Promise<void> {
    await this.durable().record([{ redisKey: this.key(userId), value: prefs }]);
    await this.redis.set(this.key(userId), JSON.stringify(prefs));
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
