// A small local cache in front of the preference store: a hot user's
// preferences are read from Redis at most once per `ttlMs`, so a consent
// withdrawal takes effect within that time, and a batch costs one MGET for
// the users not cached.
import { DEFAULT_PREFERENCES, type PreferenceStore, type UserPreferences } from '../../users/user-preferences.ts';

interface Entry {
  prefs: UserPreferences;
  at: number;
}

export class PreferenceCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly store: PreferenceStore,
    private readonly ttlMs: number,
    private readonly maxEntries = 100_000,
  ) {}

  async getMany(userIds: Iterable<string>, now: number): Promise<Map<string, UserPreferences>> {
    const out = new Map<string, UserPreferences>();
    const missing: string[] = [];
    for (const id of new Set(userIds)) {
      const e = this.entries.get(id);
      if (e && now - e.at < this.ttlMs) out.set(id, e.prefs);
      else missing.push(id);
    }
    if (missing.length) {
      const loaded = await this.store.getMany(missing);
      for (const id of missing) {
        const prefs = loaded.get(id) ?? DEFAULT_PREFERENCES;
        out.set(id, prefs);
        this.remember(id, prefs, now);
      }
    }
    return out;
  }

  forget(userIds: Iterable<string>): void {
    for (const id of userIds) this.entries.delete(id);
  }

  private remember(id: string, prefs: UserPreferences, now: number): void {
    this.entries.delete(id); // re-insert at the end: Map order is our eviction order
    this.entries.set(id, { prefs, at: now });
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }
}
