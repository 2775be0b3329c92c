// Fixed-window rate limits shared by every gateway instance through Redis:
// one atomic INCR (+ expiry on the window's first hit) per check, answering
// how long to wait when the window is full. Checks made in the same turn of
// the event loop go to Redis as one script call: at thousands of requests a
// second, a command per request cost the gateway more CPU than the rest of a
// ping's handling except HTTP itself (FINDINGS §12). Each key is still counted
// atomically, so the limits stay exact across instances.
import type { Redis } from 'ioredis';
import { NearcastError } from '../pipeline/errors.ts';

export interface Limit {
  /** Requests allowed per window; 0 disables the limit. */
  max: number;
  windowMs: number;
}

export type Verdict = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/** Counts a hit on every key (a key may repeat); answers count and remaining window per key, in order. */
const SCRIPT = `
local out = {}
for i, key in ipairs(KEYS) do
  local n = redis.call('INCR', key)
  if n == 1 then redis.call('PEXPIRE', key, ARGV[1]) end
  out[2 * i - 1] = n
  out[2 * i] = redis.call('PTTL', key)
end
return out
`;
/** Keys per script call: bounds how long one call holds Redis. */
const MAX_KEYS_PER_CALL = 512;

type WithHits = Redis & { nearcastHits(numKeys: number, ...keysThenWindow: Array<string | number>): Promise<number[]> };

interface PendingHit {
  key: string;
  limit: Limit;
  resolve: (v: Verdict) => void;
}

/** Pure: the verdict for the n-th hit in a window that ends in `ttlMs`. */
export function verdict(n: number, ttlMs: number, limit: Limit): Verdict {
  if (n <= limit.max) return { allowed: true };
  return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((ttlMs > 0 ? ttlMs : limit.windowMs) / 1000)) };
}

/** Turns a refusal into the RATE_LIMITED error (429 + Retry-After at the gateway). */
export function throwIfLimited(v: Verdict, what: string): void {
  if (!v.allowed)
    throw new NearcastError('RATE_LIMITED', `too many ${what}; retry in ${v.retryAfterSeconds} s`, {
      retryAfterSeconds: v.retryAfterSeconds,
    });
}

export class RateLimiter {
  /** Called when Redis cannot answer: the hit is allowed (limits guard fairness; caps and writes do not depend on them). */
  onUnavailable: (err: Error) => void = () => {};

  /** Hits waiting for this turn's script call, by window length (one call covers one window). */
  private pending = new Map<number, PendingHit[]>();
  private scheduled = false;

  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
  ) {
    if (!('nearcastHits' in redis)) redis.defineCommand('nearcastHits', { lua: SCRIPT });
  }

  /** Counts one hit for `subject` under `scope` and says whether it is allowed. */
  hit(scope: string, subject: string, limit: Limit): Promise<Verdict> {
    if (limit.max <= 0) return Promise.resolve({ allowed: true });
    return new Promise((resolve) => {
      const list = this.pending.get(limit.windowMs) ?? [];
      list.push({ key: `${this.keyPrefix}rl:${scope}:${subject}`, limit, resolve });
      this.pending.set(limit.windowMs, list);
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const batches = this.pending;
    this.pending = new Map();
    for (const [windowMs, hits] of batches) {
      for (let i = 0; i < hits.length; i += MAX_KEYS_PER_CALL)
        void this.send(windowMs, hits.slice(i, i + MAX_KEYS_PER_CALL));
    }
  }

  private async send(windowMs: number, hits: PendingHit[]): Promise<void> {
    try {
      const out = await (this.redis as WithHits).nearcastHits(hits.length, ...hits.map((h) => h.key), windowMs);
      hits.forEach((h, i) => h.resolve(verdict(out[2 * i]!, out[2 * i + 1]!, h.limit)));
    } catch (err) {
      this.onUnavailable(err as Error);
      for (const h of hits) h.resolve({ allowed: true });
    }
  }
}
