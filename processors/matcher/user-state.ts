// Per-user matcher state in Redis: one key per user, read and written with one
// pipeline per consumed batch, never one round trip per ping. Changes that
// matter after a Redis restart (visits begun, served, left; cooldowns; daily
// counts) are recorded on the state changelog first; the last-seen times that
// move on every ping are not, which keeps the changelog to a few writes a visit.
import type { Redis } from 'ioredis';
import { userKey } from '../../pipeline/user-keys.ts';
import type { StateChangelog, StateWrite } from '../../pipeline/state-changelog.ts';
import type { UserGeoState } from './decide.ts';

const STATE_TTL_SECONDS = 24 * 3600;

/** The parts of a state that a restart must not forget. */
export function material(s: UserGeoState | undefined): string {
  if (!s) return '';
  const visits = Object.entries(s.presence).map(([id, v]) => [id, v.enteredTs, v.done]).sort();
  return JSON.stringify([visits, s.lastPushTs, s.day, s.pushesToday]);
}

export class UserStateStore {
  constructor(private readonly redis: Redis, private readonly keyPrefix: string, private readonly changelog: StateChangelog, private readonly epochKey: string) {}

  private key(userId: string): string {
    return userKey(this.keyPrefix, 'geo', userId);
  }

  /**
   * States of many users in one MGET, which also reads the epoch marker: in
   * the same atomic command, so `intact: false` reliably says Redis lost its
   * data (a restart) and the states must not be trusted until restored.
   */
  async loadMany(userIds: Iterable<string>): Promise<{ states: Map<string, UserGeoState>; intact: boolean }> {
    const ids = [...new Set(userIds)];
    const values = await this.redis.mget(this.epochKey, ...ids.map((id) => this.key(id)));
    const states = new Map<string, UserGeoState>();
    ids.forEach((id, i) => {
      const raw = values[i + 1];
      if (raw) states.set(id, JSON.parse(raw) as UserGeoState);
    });
    return { states, intact: values[0] !== null };
  }

  /** Records on the changelog the states whose material part changed since `before`. */
  async recordChanges(states: Map<string, UserGeoState>, before: Map<string, UserGeoState>): Promise<void> {
    const writes: StateWrite[] = [];
    for (const [id, s] of states) {
      if (material(s) !== material(before.get(id))) writes.push({ redisKey: this.key(id), value: s, ttlSeconds: STATE_TTL_SECONDS });
    }
    await this.changelog.record(writes);
  }

  async saveMany(states: Map<string, UserGeoState>): Promise<void> {
    if (states.size === 0) return;
    const p = this.redis.pipeline();
    for (const [id, s] of states) p.set(this.key(id), JSON.stringify(s), 'EX', STATE_TTL_SECONDS);
    const results = await p.exec();
    const failed = results?.find(([err]) => err);
    if (failed) throw failed[0];
  }
}
