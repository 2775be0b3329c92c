// One coupon service per gateway (one Snowflake generator per process: two
// generators with the same worker id could issue the same code), plus the
// mapping from a token's principal to a lifecycle actor.
import type { FastifyRequest } from 'fastify';
import { createCoupons, type Coupons, type Actor, type StaffRole } from '../../coupons/index.ts';
import type { GatewayContext } from '../context.ts';
import type { Role } from '../auth.ts';
import { principal } from '../guard.ts';

const byPool = new WeakMap<object, Coupons>();

export function couponsFor(ctx: GatewayContext): Coupons {
  let c = byPool.get(ctx.pool);
  if (!c) {
    c = createCoupons({ pool: ctx.pool, redis: ctx.redis, config: ctx.config, log: ctx.log });
    byPool.set(ctx.pool, c);
  }
  return c;
}

export const STAFF: readonly Role[] = ['marketer', 'approver', 'admin'];
export const AUTHORS: readonly Role[] = ['marketer', 'admin'];

export function actor(req: FastifyRequest): Actor {
  const p = principal(req);
  return { id: p.userId, role: p.role as StaffRole };
}
