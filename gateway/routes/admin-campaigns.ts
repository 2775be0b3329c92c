// Campaigns: create, read, list, and move through the approval lifecycle.
// Marketers create and submit, approvers approve or reject (never their own
// submission), admins may do everything; the lifecycle rules decide.
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import {
  createCampaign,
  getCampaign,
  listCampaigns,
  history,
  transition,
  type LifecycleAction,
} from '../../coupons/index.ts';
import type { GatewayContext } from '../context.ts';
import type { Role } from '../auth.ts';
import { requireAnyRole } from '../guard.ts';
import { ErrorReply } from '../schemas.ts';
import { optionalText, ActionParams, CampaignBody, IdParams, Paging } from './coupon-schemas.ts';
import { actor, AUTHORS, couponsFor, STAFF } from './coupon-context.ts';

const Errors = { 400: ErrorReply, 401: ErrorReply, 403: ErrorReply, 404: ErrorReply, 409: ErrorReply, 503: ErrorReply };

/** Registers the campaign routes under `base` for the given roles (staff under /v1/admin, partners under /v1/partner). */
export function campaignRoutesAt(
  app: FastifyInstance,
  ctx: GatewayContext,
  base: string,
  readers: readonly Role[],
  authors: readonly Role[],
  tag: string,
): void {
  const { pool } = couponsFor(ctx);

  app.post<{ Body: CampaignBody }>(
    `${base}/campaigns`,
    {
      onRequest: requireAnyRole(ctx.key, authors),
      schema: { tags: [tag], summary: 'Create a campaign (draft)', body: CampaignBody, response: Errors },
    },
    async (req, reply) => reply.code(201).send(await createCampaign(pool, req.body, actor(req))),
  );

  app.get<{ Querystring: { status?: string; limit?: number; offset?: number } }>(
    `${base}/campaigns`,
    {
      onRequest: requireAnyRole(ctx.key, readers),
      schema: {
        tags: [tag],
        summary: 'List campaigns, newest first',
        querystring: Type.Object({
          status: Type.Optional(Type.String({ maxLength: 30 })),
          ...Paging,
          offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000 })),
        }),
        response: Errors,
      },
    },
    async (req) => ({
      campaigns: await listCampaigns(
        pool,
        { status: req.query.status, limit: req.query.limit ?? 50, offset: req.query.offset ?? 0 },
        actor(req),
      ),
    }),
  );

  app.get<{ Params: IdParams }>(
    `${base}/campaigns/:id`,
    {
      onRequest: requireAnyRole(ctx.key, readers),
      schema: { tags: [tag], summary: 'A campaign with its lifecycle history', params: IdParams, response: Errors },
    },
    async (req) => ({
      ...(await getCampaign(pool, req.params.id, actor(req))),
      history: await history(pool, 'campaign', req.params.id),
    }),
  );

  app.post<{ Params: Static<typeof ActionParams>; Body: unknown }>(
    `${base}/campaigns/:id/:action`,
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
        'campaign',
        req.params.id,
        req.params.action as LifecycleAction,
        actor(req),
        optionalText(req.body, 'note'),
        ctx.now(),
      ),
  );
}

export function adminCampaignRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  campaignRoutesAt(app, ctx, '/v1/admin', STAFF, AUTHORS, 'campaigns');
}
