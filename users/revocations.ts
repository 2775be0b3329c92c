// Token revocation: "every token of this subject issued before T is void".
// One value per subject, recorded on the state changelog (it must survive a
// Redis restart) and in Redis. Every instance caches what it read and hears
// each revocation on a Redis channel, so the common case costs no Redis
// round trip; while that subscription is down, cached answers last only a
// second. Either way a revocation takes effect within about a second everywhere.
// An erased subject (erasure.ts) has every token void, for good: the erasure
// tombstone says so, and the subject's own revocation key is removed with the
// rest of its data.
import type { Redis } from 'ioredis';
import type { StateChangelog } from '../pipeline/state-changelog.ts';
import { tombstoneKey } from './erasure.ts';
import { userKey } from './user-keys.ts';

/** Without a live subscription: re-read after this. */
const CACHE_MS = 1000;
/** With one: re-read anyway after this, because a Redis restored from the changelog announces nothing. */
const TRUSTED_MS = 60_000;
const MAX_ENTRIES = 100_000;
/** "Every token issued before the end of time": the answer for an erased subject. */
const ALL = Number.MAX_SAFE_INTEGER;

export interface ChannelListener {
  /** The subscription is confirmed: messages published from now on arrive. */
  subscribed(): void;
  /** It is gone (a reconnect follows): messages may be missed until subscribed() again. */
  closed(): void;
  message(text: string): void;
}

/**
 * Listens to one Redis pub/sub channel on a connection of its own, resubscribing
 * after every reconnect; shared by the caches that answer from memory.
 */
export function listenChannel(redis: Redis, channel: string, l: ChannelListener): Redis {
  const sub = redis.duplicate({ lazyConnect: true, autoResubscribe: false });
  sub.on('ready', () => {
    sub.subscribe(channel).then(
      () => l.subscribed(),
      () => undefined,
    );
  });
  sub.on('close', () => l.closed());
  sub.on('error', () => undefined); // it reconnects by itself; the callers cover the gap
  sub.on('message', (_channel: string, message: string) => l.message(message));
  sub.connect().catch(() => undefined);
  return sub;
}

export class Revocations {
  private readonly cache = new Map<string, { before: number; at: number }>();
  private subscriber: Redis | undefined;
  /** When the current subscription was confirmed; undefined while there is none. */
  private subscribedAt: number | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
    private readonly changelog: StateChangelog,
    private readonly now: () => number = Date.now,
  ) {}

  private key(subject: string): string {
    return userKey(this.keyPrefix, 'revoked', subject);
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
    this.subscriber = listenChannel(this.redis, this.channel, {
      subscribed: () => (this.subscribedAt = this.now()), // only reads issued from now on are covered
      closed: () => (this.subscribedAt = undefined),
      message: (message) => {
        const space = message.indexOf(' ');
        this.remember(message.slice(space + 1), Number(message.slice(0, space)), this.now());
      },
    });
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

  /**
   * Voids every token of an erased subject for good. The erasure tombstone
   * (written before this is called) is what keeps them void; the subject's
   * revocation key goes, with the rest of its data.
   */
  async revokeErased(subject: string): Promise<void> {
    await this.changelog.record([{ redisKey: this.key(subject), value: null }]);
    await this.redis.del(this.key(subject));
    await this.redis.publish(this.channel, `${ALL} ${subject}`);
    this.remember(subject, ALL, this.now());
  }

  /** Tokens of `subject` issued before this second are void (0: none). */
  async revokedBefore(subject: string): Promise<number> {
    const t = this.now();
    const hit = this.cache.get(subject);
    if (hit && this.fresh(hit.at, t)) return hit.before;
    let before: number;
    try {
      const [revoked, erased] = await this.redis.mget(this.key(subject), tombstoneKey(this.keyPrefix, subject));
      before = erased !== null ? ALL : Number(revoked ?? 0);
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
