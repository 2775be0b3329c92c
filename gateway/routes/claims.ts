// The phone's side of coupons: browse what can be claimed now, claim one (a
// unique redemption code that expires), and see its own live claims.
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { NearcastError } from '../../pipeline/errors.ts';
import { listOffers, qrPayload } from '../../coupons/index.ts';
import type { GatewayContext } from '../context.ts';
import { principal, requireRole } from '../guard.ts';
import { ErrorReply } from '../schemas.ts';
import { IdParams, Paging } from './coupon-schemas.ts';
import { couponsFor } from './coupon-context.ts';

const OUTCOME: Partial<Record<string, string>> = {
  CLAIM_REFUSED: 'refused',
  SOLD_OUT: 'sold_out',
  RATE_LIMITED: 'rate_limited',
  NOT_FOUND: 'not_found',
};
/** `qr` (coupons/qr.ts) is what the phone renders for the merchant to scan. */
const ClaimReply = Type.Object({
  code: Type.String(),
  qr: Type.String(),
  offerId: Type.String(),
  claimedAt: Type.String(),
  expiresAt: Type.String(),
});

export function claimRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  const coupons = couponsFor(ctx);

  app.post<{ Params: IdParams }>(
    '/v1/offers/:id/claims',
    {
      onRequest: requireRole(ctx.key, 'device'),
      schema: {
        tags: ['claims'],
        summary: 'Claim one unit of an offer: a unique redemption code valid for the offer’s claim time to live',
        params: IdParams,
        response: {
          201: ClaimReply,
          401: ErrorReply,
          403: ErrorReply,
          404: ErrorReply,
          409: ErrorReply,
          429: ErrorReply,
          503: ErrorReply,
        },
      },
    },
    async (req, reply) => {
      const userId = principal(req).userId;
      const started = performance.now();
      let claim;
      try {
        await coupons.limiter.hit('claim', userId);
        claim = await coupons.claims.claim(req.params.id, userId);
      } catch (err) {
        ctx.metrics.claims.inc({ outcome: OUTCOME[(err as NearcastError).code] ?? 'error' });
        throw err;
      }
      ctx.metrics.couponClaimSeconds.observe((performance.now() - started) / 1000);
      ctx.metrics.claims.inc({ outcome: 'granted' });
      const { code, offerId, claimedAt, expiresAt } = claim;
      return reply.code(201).send({ code, qr: qrPayload(code), offerId, claimedAt, expiresAt });
    },
  );

  app.get<{ Params: IdParams }>(
    '/v1/offers/:id/claims',
    {
      onRequest: requireRole(ctx.key, 'device'),
      schema: {
        tags: ['claims'],
        summary: 'This phone’s live claims of an offer',
        params: IdParams,
        response: { 401: ErrorReply },
      },
    },
    async (req) => {
      const live = await coupons.claims.liveClaims(req.params.id, principal(req).userId);
      return { claims: live.map(({ userId: _u, ...c }) => ({ ...c, qr: qrPayload(c.code) })) };
    },
  );

  app.get<{ Querystring: { limit?: number; cursor?: string; category?: string } }>(
    '/v1/offers',
    {
      onRequest: requireRole(ctx.key, 'device'),
      schema: {
        tags: ['claims'],
        summary: 'Offers claimable now, newest first',
        querystring: Type.Object({
          ...Paging,
          cursor: Type.Optional(Type.String({ maxLength: 200 })),
          category: Type.Optional(Type.String({ maxLength: 60 })),
        }),
        response: { 400: ErrorReply, 401: ErrorReply },
      },
    },
    async (req) => {
      const staffView = { id: principal(req).userId, role: 'marketer' as const };
      const page = await listOffers(
        coupons.pool,
        { liveOnly: true, category: req.query.category, limit: req.query.limit ?? 20, cursor: req.query.cursor },
        staffView,
      );
      // A phone sees what it needs to choose and claim, not budgets or who approved what.
      const offers = page.offers.map((o) => ({
        offerId: o.offerId,
        title: o.title,
        description: o.description,
        category: o.category,
        merchantIds: o.merchantIds,
        reward: o.reward,
        eligibility: o.eligibility,
        startsAt: o.startsAt,
        endsAt: o.endsAt,
        claimTtlSeconds: o.claimTtlSeconds,
      }));
      return { offers, nextCursor: page.nextCursor };
    },
  );
}
