// Fixed-window rate limits shared by every gateway instance through Redis:
// one atomic INCR (+ expiry on the window's first hit) per check, answering
// how long to wait when the window is full.
import type { Redis } from 'ioredis';
import { NearcastError } from './errors.ts';

export interface Limit {
  /** Requests allowed per window; 0 disables the limit. */
  max: number;
  windowMs: number;
}

export type Verdict = { allowed: true } | { allowed: false; retryAfterSeconds: number };

const SCRIPT = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {n, redis.call('PTTL', KEYS[1])}
`;

/** Pure: the verdict for the n-th hit in a window that ends in `ttlMs`. */
export function verdict(n: number, ttlMs: number, limit: Limit): Verdict {
  if (n <= limit.max) return { allowed: true };
  return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((ttlMs > 0 ? ttlMs : limit.windowMs) / 1000)) };
}

/** Turns a refusal into the RATE_LIMITED error (429 + Retry-After at the gateway). */
export function throwIfLimited(v: Verdict, what: string): void {
  if (!v.allowed) throw new NearcastError('RATE_LIMITED', `too many ${what}; retry in ${v.retryAfterSeconds} s`, { retryAfterSeconds: v.retryAfterSeconds });
}

export class RateLimiter {
  /** Called when Redis cannot answer: the hit is allowed (limits guard fairness; caps and writes do not depend on them). */
  onUnavailable: (err: Error) => void = () => {};

  constructor(private readonly redis: Redis, private readonly keyPrefix: string) {
    if (!('nearcastHit' in redis)) redis.defineCommand('nearcastHit', { numberOfKeys: 1, lua: SCRIPT });
  }

  /** Counts one hit for `subject` under `scope` and says whether it is allowed. */
  async hit(scope: string, subject: string, limit: Limit): Promise<Verdict> {
    if (limit.max <= 0) return { allowed: true };
    const key = `${this.keyPrefix}rl:${scope}:${subject}`;
    try {
      const [n, ttl] = await (this.redis as Redis & { nearcastHit(key: string, windowMs: number): Promise<[number, number]> }).nearcastHit(key, limit.windowMs);
      return verdict(n, ttl, limit);
    } catch (err) {
      this.onUnavailable(err as Error);
      return { allowed: true };
    }
  }
}
