// Offers: create (a draft with its geofences, rules, reward and caps), edit
// while a draft, list with filters and paging, and move through the same
// approval lifecycle as campaigns. Every change matchers must see goes out
// through the outbox (coupons/outbox.ts).
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import {
  createOffer,
  getOffer,
  listOffers,
  updateDraftOffer,
  history,
  transition,
  type LifecycleAction,
} from '../../coupons/index.ts';
import type { GatewayContext } from '../context.ts';
import type { Role } from '../auth.ts';
import { requireAnyRole } from '../guard.ts';
import { ErrorReply } from '../schemas.ts';
import { optionalText, ActionParams, IdParams, OfferBody, OfferPatch, Paging } from './coupon-schemas.ts';
import { actor, AUTHORS, couponsFor, STAFF } from './coupon-context.ts';

const Errors = { 400: ErrorReply, 401: ErrorReply, 403: ErrorReply, 404: ErrorReply, 409: ErrorReply, 503: ErrorReply };
export const OfferListQuery = Type.Object({
  status: Type.Optional(Type.String({ maxLength: 30 })),
  campaignId: Type.Optional(Type.String({ format: 'uuid' })),
  category: Type.Optional(Type.String({ maxLength: 60 })),
  merchantId: Type.Optional(Type.String({ maxLength: 64 })),
  live: Type.Optional(Type.Boolean({ description: 'Only offers claimable now' })),
  cursor: Type.Optional(Type.String({ maxLength: 200 })),
  ...Paging,
});
export type OfferListQuery = Static<typeof OfferListQuery>;

export function offerRoutesAt(
  app: FastifyInstance,
  ctx: GatewayContext,
  base: string,
  readers: readonly Role[],
  authors: readonly Role[],
  tag: string,
): void {
  const { pool, partnerQuota } = couponsFor(ctx);

  app.post<{ Body: OfferBody }>(
    `${base}/offers`,
    {
      onRequest: requireAnyRole(ctx.key, authors),
      schema: { tags: [tag], summary: 'Create an offer (draft) in a campaign', body: OfferBody, response: Errors },
    },
    async (req, reply) => reply.code(201).send(await createOffer(pool, req.body, actor(req), partnerQuota)),
  );

  app.patch<{ Params: IdParams; Body: OfferPatch }>(
    `${base}/offers/:id`,
    {
      onRequest: requireAnyRole(ctx.key, authors),
      schema: { tags: [tag], summary: 'Edit a draft offer', params: IdParams, body: OfferPatch, response: Errors },
    },
    async (req) => updateDraftOffer(pool, req.params.id, req.body, actor(req), partnerQuota),
  );

  app.get<{ Querystring: OfferListQuery }>(
    `${base}/offers`,
    {
      onRequest: requireAnyRole(ctx.key, readers),
      schema: {
        tags: [tag],
        summary: 'List offers, newest first, with filters; follow nextCursor for the next page',
        querystring: OfferListQuery,
        response: Errors,
      },
    },
    async (req) => {
      const q = req.query;
      return listOffers(
        pool,
        {
          status: q.status,
          campaignId: q.campaignId,
          category: q.category,
          merchantId: q.merchantId,
          liveOnly: q.live,
          limit: q.limit ?? 50,
          cursor: q.cursor,
        },
        actor(req),
      );
    },
  );

  app.get<{ Params: IdParams }>(
    `${base}/offers/:id`,
    {
      onRequest: requireAnyRole(ctx.key, readers),
      schema: { tags: [tag], summary: 'An offer with its lifecycle history', params: IdParams, response: Errors },
    },
    async (req) => ({
      ...(await getOffer(pool, req.params.id, actor(req))),
      history: await history(pool, 'offer', req.params.id),
    }),
  );

  app.post<{ Params: Static<typeof ActionParams>; Body: unknown }>(
    `${base}/offers/:id/:action`,
    {
      onRequest: requireAnyRole(ctx.key, readers),
      schema: {
        tags: [tag],
        summary: 'Lifecycle action: submit, approve, reject, activate, pause, resume, end',
        params: ActionParams,
        response: Errors,
      },
    },
    async (req) =>
      transition(
        pool,
        'offer',
        req.params.id,
        req.params.action as LifecycleAction,
        actor(req),
        optionalText(req.body, 'note'),
        ctx.now(),
      ),
  );
}

export function adminOfferRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  offerRoutesAt(app, ctx, '/v1/admin', STAFF, AUTHORS, 'offers');
}
