// Token revocation: "every token of this subject issued before T is void".
// One value per subject, recorded on the state changelog (it must survive a
// Redis restart) and in Redis. Every instance caches what it read and hears
// each revocation on a Redis channel, so the common case costs no Redis
// round trip; while that subscription is down, cached answers last only a
// second. Either way a revocation takes effect within about a second everywhere.
import type { Redis } from 'ioredis';
import type { StateChangelog } from './state-changelog.ts';

/** Without a live subscription: re-read after this. */
const CACHE_MS = 1000;
/** With one: re-read anyway after this, because a Redis restored from the changelog announces nothing. */
const TRUSTED_MS = 60_000;
const MAX_ENTRIES = 100_000;

export class Revocations {
  private readonly cache = new Map<string, { before: number; at: number }>();
  private subscriber: Redis | undefined;
  /** When the current subscription was confirmed; undefined while there is none. */
  private subscribedAt: number | undefined;

  constructor(private readonly redis: Redis, private readonly keyPrefix: string, private readonly changelog: StateChangelog, private readonly now: () => number = Date.now) {}

  private key(subject: string): string {
    return `${this.keyPrefix}revoked:${subject}`;
  }

  private get channel(): string {
    return `${this.keyPrefix}revocations`;
  }

  /** True while revocations from other instances arrive by notification. */
  get listening(): boolean {
    return this.subscribedAt !== undefined;
  }

  /** Subscribes in the background on a connection of its own; resubscribes after every reconnect. */
  listen(): void {
    const sub = this.redis.duplicate({ lazyConnect: true, autoResubscribe: false });
    this.subscriber = sub;
    sub.on('ready', () => {
      sub.subscribe(this.channel).then(
        () => (this.subscribedAt = this.now()), // only reads issued from now on are covered
        () => undefined,
      );
    });
    sub.on('close', () => (this.subscribedAt = undefined));
    sub.on('error', () => undefined); // it reconnects by itself; the short cache covers the gap
    sub.on('message', (_channel: string, message: string) => {
      const space = message.indexOf(' ');
      this.remember(message.slice(space + 1), Number(message.slice(0, space)), this.now());
    });
    sub.connect().catch(() => undefined);
  }

  close(): void {
    this.subscribedAt = undefined;
    this.subscriber?.disconnect();
  }

  /** Voids every token of `subject` issued up to now (seconds, as in JWT `iat`). */
  async revokeAll(subject: string): Promise<number> {
    const before = Math.floor(this.now() / 1000) + 1;
    await this.changelog.record([{ redisKey: this.key(subject), value: before }]);
    await this.redis.set(this.key(subject), String(before));
    await this.redis.publish(this.channel, `${before} ${subject}`);
    this.remember(subject, before, this.now());
    return before;
  }

  /** Tokens of `subject` issued before this second are void (0: none). */
  async revokedBefore(subject: string): Promise<number> {
    const t = this.now();
    const hit = this.cache.get(subject);
    if (hit && this.fresh(hit.at, t)) return hit.before;
    let before: number;
    try {
      before = Number((await this.redis.get(this.key(subject))) ?? 0);
    } catch {
      return hit?.before ?? 0; // Redis unreachable: keep serving on what we knew; tokens still expire
    }
    return this.remember(subject, before, t);
  }

  private fresh(at: number, t: number): boolean {
    if (t - at < CACHE_MS) return true;
    return this.subscribedAt !== undefined && at >= this.subscribedAt && t - at < TRUSTED_MS;
  }

  /** Revocations only move forward, so a read that raced a notification never undoes it. */
  private remember(subject: string, before: number, at: number): number {
    const known = this.cache.get(subject)?.before ?? 0;
    if (this.cache.size > MAX_ENTRIES) this.cache.clear();
    const value = Math.max(known, before);
    this.cache.set(subject, { before: value, at });
    return value;
  }
}
