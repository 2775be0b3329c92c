// What the gateway needs from the coupon system, built once from the runtime.
import type { Redis } from 'ioredis';
import type { Config } from '../pipeline/config.ts';
import type { Logger } from '../pipeline/logger.ts';
import type { Db } from './db.ts';
import { ClaimService } from './claims.ts';
import type { PartnerQuota } from './quotas.ts';
import { RateLimiter, throwIfLimited } from '../users/rate-limit.ts';
import { Snowflake } from './snowflake.ts';

export interface Coupons {
  pool: Db;
  claims: ClaimService;
  /** What one partner's offers may add up to (offers.ts). */
  partnerQuota: PartnerQuota;
  /** Claims per device and minute, shared by every gateway through Redis; throws RATE_LIMITED when over. */
  limiter: { hit(scope: string, subject: string): Promise<void> };
}

export function createCoupons(deps: { pool: Db; redis: Redis; config: Config; log: Logger }): Coupons {
  const c = deps.config.coupons;
  const limiter = new RateLimiter(deps.redis, deps.config.topics.prefix);
  limiter.onUnavailable = (err) =>
    deps.log.warn({ err: err.message }, 'claim rate limiter unavailable (Redis); allowing the claim');
  return {
    pool: deps.pool,
    claims: new ClaimService(deps.pool, new Snowflake(c.workerId), { unitChunk: c.unitChunk }),
    partnerQuota: c.partnerQuota,
    limiter: {
      hit: async (scope, subject) =>
        throwIfLimited(
          await limiter.hit(scope, subject, { max: c.claimRatePerMinute, windowMs: 60_000 }),
          'claims from this device',
        ),
    },
  };
}
