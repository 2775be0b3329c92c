// Redemption: a code plus the purchase, stated by the merchant that saw it. The
// phone only presents its code (the claim's `code`, or `qr` scanned); a device
// token may read its own codes' redemptions but never redeem, since a party
// that states its own purchase can state any amount. A merchant token redeems
// only at its own points of sale (merchant-claim.ts). Retrying the same request
// returns the first redemption (200) instead of making a second (201 the first
// time). Reversal (refund) is an admin action and returns the unit and the
// reward to the budgets.
import type { FastifyInstance, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import type { Static } from '@sinclair/typebox';
import { NearcastError } from '../../pipeline/errors.ts';
import {
  codeFromScan,
  checkRedeemable,
  getRedemption,
  redeem,
  reverse,
  type Requester,
  type Purchase,
  parseCode,
} from '../../coupons/index.ts';
import type { GatewayContext } from '../context.ts';
import { principal, requireAnyRole, requireRole } from '../guard.ts';
import { mayRedeemAt } from '../merchant-claim.ts';
import { ErrorReply } from '../schemas.ts';
import { CodeParams, optionalText, PurchaseBody } from './coupon-schemas.ts';
import { couponsFor } from './coupon-context.ts';

const Errors = {
  400: ErrorReply,
  401: ErrorReply,
  403: ErrorReply,
  404: ErrorReply,
  409: ErrorReply,
  410: ErrorReply,
  422: ErrorReply,
  503: ErrorReply,
};

function code(raw: string): bigint {
  const id = parseCode(codeFromScan(raw));
  if (id === undefined) throw new NearcastError('NOT_FOUND', 'no such code');
  return id;
}

function requester(req: FastifyRequest): Requester {
  const p = principal(req);
  return { userId: p.userId, kind: p.role === 'admin' || p.role === 'merchant' ? p.role : 'device' };
}

/** The purchase, once the merchant is known to be one this token may redeem at (admin: any). */
function purchase(req: FastifyRequest<{ Body: PurchaseBody }>): Purchase {
  const p = principal(req);
  const b = req.body;
  if (p.role === 'merchant' && !mayRedeemAt(p, b.merchantId)) {
    throw new NearcastError('FORBIDDEN', `merchant account ${p.userId} may not redeem at merchant ${b.merchantId}`);
  }
  return { amountMinor: b.amountMinor, merchantId: b.merchantId, category: b.category };
}

/** Merchant or admin; a device is told why it is refused (a phone app redeeming itself is a likely mistake). */
function witnesses(ctx: GatewayContext): onRequestAsyncHookHandler {
  const known = requireAnyRole(ctx.key, ['merchant', 'admin', 'device']);
  return async function witnessesOnly(req, reply) {
    await known.call(this, req, reply);
    if (principal(req).role === 'device') {
      throw new NearcastError('FORBIDDEN', 'a phone presents its code; the merchant redeems it');
    }
  };
}

export function redemptionRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  const { pool } = couponsFor(ctx);
  const redeemers = witnesses(ctx);

  app.post<{ Body: PurchaseBody }>(
    '/v1/redemptions',
    {
      onRequest: redeemers,
      schema: {
        tags: ['redemptions'],
        summary: 'A merchant redeems a code against a purchase (idempotent on the code)',
        body: PurchaseBody,
        response: Errors,
      },
    },
    async (req, reply) => {
      const rejected = (err: unknown) => {
        ctx.metrics.redemptions.inc({ outcome: 'rejected' });
        throw err;
      };
      const out = await redeem(pool, code(req.body.code), purchase(req), requester(req), ctx.now()).catch(rejected);
      ctx.metrics.redemptions.inc({ outcome: out.replay ? 'replayed' : 'redeemed' });
      return reply.code(out.replay ? 200 : 201).send(out.redemption);
    },
  );

  app.post<{ Body: PurchaseBody }>(
    '/v1/redemptions/check',
    {
      onRequest: redeemers,
      schema: {
        tags: ['redemptions'],
        summary: 'Would this purchase redeem this code? Answers without changing anything',
        body: PurchaseBody,
        response: Errors,
      },
    },
    async (req) => checkRedeemable(pool, code(req.body.code), purchase(req), requester(req)),
  );

  app.get<{ Params: Static<typeof CodeParams> }>(
    '/v1/redemptions/:code',
    {
      onRequest: requireAnyRole(ctx.key, ['device', 'merchant', 'admin']),
      schema: {
        tags: ['redemptions'],
        summary: 'A redemption: the phone its own, a merchant those it made, admin any',
        params: CodeParams,
        response: Errors,
      },
    },
    async (req) => getRedemption(pool, code(req.params.code), requester(req)),
  );

  app.post<{ Params: Static<typeof CodeParams>; Body: unknown }>(
    '/v1/redemptions/:code/reversal',
    {
      onRequest: requireRole(ctx.key, 'admin'),
      schema: {
        tags: ['redemptions'],
        summary: 'Reverse (refund) a redemption: the unit and the reward return (idempotent)',
        params: CodeParams,
        response: Errors,
      },
    },
    async (req) => {
      optionalText(req.body, 'reason');
      const out = await reverse(pool, code(req.params.code), principal(req).userId, ctx.now());
      ctx.metrics.redemptions.inc({ outcome: 'reversed' });
      return out;
    },
  );
}
