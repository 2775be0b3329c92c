// Redemption: a code plus the purchase. The claim's owner (device token) or
// staff may redeem; retrying the same request returns the first redemption
// (200) instead of making a second (201 the first time). Reversal (refund) is
// an admin action and returns the unit and the reward to the budgets.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Static } from '@sinclair/typebox';
import { NearcastError } from '../../pipeline/errors.ts';
import { checkRedeemable, getRedemption, redeem, reverse, type Requester } from '../../processors/coupons/redemptions.ts';
import { parseCode } from '../../processors/coupons/snowflake.ts';
import type { GatewayContext } from '../app.ts';
import { principal, requireAnyRole, requireRole } from '../guard.ts';
import { ErrorReply } from '../schemas.ts';
import { CodeParams, optionalText, PurchaseBody } from './coupon-schemas.ts';
import { couponsFor } from './coupon-context.ts';

const Errors = { 400: ErrorReply, 401: ErrorReply, 403: ErrorReply, 404: ErrorReply, 409: ErrorReply, 410: ErrorReply, 422: ErrorReply, 503: ErrorReply };

function code(raw: string): bigint {
  const id = parseCode(raw);
  if (id === undefined) throw new NearcastError('NOT_FOUND', 'no such code');
  return id;
}

function requester(req: FastifyRequest): Requester {
  const p = principal(req);
  return { userId: p.userId, isStaff: p.role === 'admin' };
}

export function redemptionRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  const { pool } = couponsFor(ctx);
  const redeemers = requireAnyRole(ctx.key, ['device', 'admin']);

  app.post<{ Body: PurchaseBody }>(
    '/v1/redemptions',
    { onRequest: redeemers, schema: { tags: ['redemptions'], summary: 'Redeem a code against a purchase (idempotent on the code)', body: PurchaseBody, response: Errors } },
    async (req, reply) => {
      const b = req.body;
      const out = await redeem(pool, code(b.code), { amountMinor: b.amountMinor, merchantId: b.merchantId, category: b.category }, requester(req), ctx.now()).catch((err: unknown) => {
        ctx.metrics.redemptions.inc({ outcome: 'rejected' });
        throw err;
      });
      ctx.metrics.redemptions.inc({ outcome: out.replay ? 'replayed' : 'redeemed' });
      return reply.code(out.replay ? 200 : 201).send(out.redemption);
    },
  );

  app.post<{ Body: PurchaseBody }>(
    '/v1/redemptions/check',
    { onRequest: redeemers, schema: { tags: ['redemptions'], summary: 'Would this purchase redeem this code? Answers without changing anything', body: PurchaseBody, response: Errors } },
    async (req) => {
      const b = req.body;
      return checkRedeemable(pool, code(b.code), { amountMinor: b.amountMinor, merchantId: b.merchantId, category: b.category }, requester(req));
    },
  );

  app.get<{ Params: Static<typeof CodeParams> }>(
    '/v1/redemptions/:code',
    { onRequest: redeemers, schema: { tags: ['redemptions'], summary: 'A redemption by its code', params: CodeParams, response: Errors } },
    async (req) => getRedemption(pool, code(req.params.code), requester(req)),
  );

  app.post<{ Params: Static<typeof CodeParams>; Body: unknown }>(
    '/v1/redemptions/:code/reversal',
    {
      onRequest: requireRole(ctx.key, 'admin'),
      schema: { tags: ['redemptions'], summary: 'Reverse (refund) a redemption: the unit and the reward return (idempotent)', params: CodeParams, response: Errors },
    },
    async (req) => {
      optionalText(req.body, 'reason');
      const out = await reverse(pool, code(req.params.code), principal(req).userId, ctx.now());
      ctx.metrics.redemptions.inc({ outcome: 'reversed' });
      return out;
    },
  );
}
