// Who withdrew consent to location marketing, answered from memory: the
// gateway refuses such a user's pings before they reach Kafka, on a path that
// takes thousands of requests a second. The Redis set is kept by the
// preference store in the same script that writes the preferences, and every
// change is announced on a channel (listened to as revocations are); the set
// is read whole at every (re)subscription and after a restore. While no
// subscription is up the gate keeps its last answers and lets unknown users
// through: the matcher checks consent on every ping anyway, so pushes stop.
import type { Redis } from 'ioredis';
import { listenChannel } from './revocations.ts';

export const consentSetKey = (prefix: string) => `${prefix}consent:withdrawn`;
export const consentChannel = (prefix: string) => `${prefix}consent`;
/** Announced after a restore rebuilt the set without telling anyone. */
export const RELOAD = 'reload';

export function consentMessage(userId: string, consent: boolean): string {
  return `${consent ? 1 : 0} ${userId}`;
}

export class ConsentGate {
  private withdrawnIds = new Set<string>();
  private subscriber: Redis | undefined;
  /** Messages heard while a reload is under way: applied after it, so the older snapshot never wins. */
  private heardDuringReload: string[] | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
  ) {}

  withdrawn(userId: string): boolean {
    return this.withdrawnIds.has(userId);
  }

  /** What this instance itself just wrote: effective here at once, before the announcement comes back. */
  note(userId: string, consent: boolean): void {
    if (consent) this.withdrawnIds.delete(userId);
    else this.withdrawnIds.add(userId);
  }

  listen(): void {
    this.subscriber = listenChannel(this.redis, consentChannel(this.keyPrefix), {
      subscribed: () => void this.reload(),
      closed: () => undefined,
      message: (m) => this.hear(m),
    });
  }

  close(): void {
    this.subscriber?.disconnect();
  }

  private hear(message: string): void {
    if (message === RELOAD) return void this.reload();
    if (this.heardDuringReload) this.heardDuringReload.push(message);
    this.apply(message);
  }

  private apply(message: string): void {
    const space = message.indexOf(' ');
    if (space > 0) this.note(message.slice(space + 1), message.slice(0, space) === '1');
  }

  async reload(): Promise<void> {
    const heard: string[] = [];
    this.heardDuringReload = heard;
    try {
      const members = await this.redis.smembers(consentSetKey(this.keyPrefix));
      this.withdrawnIds = new Set(members);
      for (const m of heard) this.apply(m);
    } catch {
      // Redis unreachable: keep what we knew; the next (re)subscription reloads
    } finally {
      if (this.heardDuringReload === heard) this.heardDuringReload = undefined;
    }
  }
}
