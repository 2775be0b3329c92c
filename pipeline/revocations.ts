// Token revocation: "every token of this subject issued before T is void".
// One value per subject, recorded on the state changelog (it must survive a
// Redis restart) and cached locally for a second, so a revocation takes
// effect within a second on every gateway instance at almost no cost.
import type { Redis } from 'ioredis';
import type { StateChangelog } from './state-changelog.ts';

const CACHE_MS = 1000;

export class Revocations {
  private readonly cache = new Map<string, { before: number; at: number }>();

  constructor(private readonly redis: Redis, private readonly keyPrefix: string, private readonly changelog: StateChangelog, private readonly now: () => number = Date.now) {}

  private key(subject: string): string {
    return `${this.keyPrefix}revoked:${subject}`;
  }

  /** Voids every token of `subject` issued up to now (seconds, as in JWT `iat`). */
  async revokeAll(subject: string): Promise<number> {
    const before = Math.floor(this.now() / 1000) + 1;
    await this.changelog.record([{ redisKey: this.key(subject), value: before }]);
    await this.redis.set(this.key(subject), String(before));
    this.cache.delete(subject);
    return before;
  }

  /** Tokens of `subject` issued before this second are void (0: none). */
  async revokedBefore(subject: string): Promise<number> {
    const t = this.now();
    const hit = this.cache.get(subject);
    if (hit && t - hit.at < CACHE_MS) return hit.before;
    let before: number;
    try {
      before = Number((await this.redis.get(this.key(subject))) ?? 0);
    } catch {
      return hit?.before ?? 0; // Redis unreachable: keep serving on what we knew; tokens still expire
    }
    if (this.cache.size > 100_000) this.cache.clear();
    this.cache.set(subject, { before, at: t });
    return before;
  }
}
