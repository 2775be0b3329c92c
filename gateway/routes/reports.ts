// Reports per offer and per campaign, by local day or ISO week in any IANA
// time zone, as JSON or CSV; and the phone's open-tracking call. Pushes
// delivered are counted from the `impressions` table, which a consumer of
// the delivery-results topic fills (impressions.ts); an open counts only for
// a push delivered to the same user for the same offer.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { NearcastError } from '../../pipeline/errors.ts';
import { isTimeZone, toCsv, recordOpen, report } from '../../coupons/index.ts';
import type { GatewayContext } from '../context.ts';
import type { Role } from '../auth.ts';
import { principal, requireAnyRole, requireRole } from '../guard.ts';
import { ErrorReply } from '../schemas.ts';
import { IdParams, ReportQuery } from './coupon-schemas.ts';
import { couponsFor, STAFF } from './coupon-context.ts';

const DAY = 86_400_000;
const MAX_SPAN = 400 * DAY;

export function reportRoutesAt(
  app: FastifyInstance,
  ctx: GatewayContext,
  base: string,
  readers: readonly Role[],
  tag: string,
): void {
  const { pool } = couponsFor(ctx);
  for (const scope of ['offer', 'campaign'] as const) {
    app.get<{ Params: IdParams; Querystring: ReportQuery }>(
      `${base}/${scope}s/:id/report`,
      {
        onRequest: requireAnyRole(ctx.key, readers),
        schema: {
          tags: [tag],
          summary: `Report for one ${scope}: pushes, opens, claims, expiries, redemptions, reward spent, rates`,
          params: IdParams,
          querystring: ReportQuery,
          response: { 400: ErrorReply, 401: ErrorReply, 403: ErrorReply, 404: ErrorReply },
        },
      },
      async (req, reply) => {
        const q = req.query;
        const tz = q.tz ?? 'UTC';
        if (!isTimeZone(tz))
          throw new NearcastError('VALIDATION_FAILED', `querystring/tz ${tz} is not an IANA time zone`);
        const to = q.to ? new Date(q.to) : new Date(ctx.now() + DAY);
        const from = q.from ? new Date(q.from) : new Date(to.getTime() - 31 * DAY);
        if (from >= to || to.getTime() - from.getTime() > MAX_SPAN)
          throw new NearcastError('VALIDATION_FAILED', 'querystring/from must be before to, at most 400 days apart');
        const p = principal(req);
        const out = await report(pool, {
          scope,
          id: req.params.id,
          from,
          to,
          tz,
          granularity: q.granularity ?? 'day',
          partnerId: p.role === 'partner' ? p.userId : undefined,
        });
        return send(reply, q.format, {
          [`${scope}Id`]: req.params.id,
          tz,
          granularity: q.granularity ?? 'day',
          from: from.toISOString(),
          to: to.toISOString(),
          rows: out.rows,
        });
      },
    );
  }
}

function send(
  reply: FastifyReply,
  format: string | undefined,
  body: { rows: Parameters<typeof toCsv>[0] } & Record<string, unknown>,
) {
  if (format === 'csv') return reply.type('text/csv; charset=utf-8').send(toCsv(body.rows));
  return body;
}

const OpenBody = Type.Object(
  { offerId: Type.String({ format: 'uuid' }), pushId: Type.String({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: false },
);
const OpenReply = Type.Object({
  status: Type.Union([Type.Literal('counted'), Type.Literal('pending')], {
    description:
      'counted: the push was delivered to this user for this offer and its open counts (once); ' +
      'pending: no such delivered push (yet): it counts if one arrives',
  }),
});

export function reportRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  reportRoutesAt(app, ctx, '/v1/admin', STAFF, 'reports');
  const { pool } = couponsFor(ctx);
  app.post<{ Body: Static<typeof OpenBody> }>(
    '/v1/impressions/open',
    {
      onRequest: requireRole(ctx.key, 'device'),
      schema: {
        tags: ['reports'],
        summary: 'The phone opened a pushed coupon: counted once per push id, only for a push delivered to this user',
        body: OpenBody,
        response: { 202: OpenReply, 400: ErrorReply, 401: ErrorReply, 404: ErrorReply },
      },
    },
    async (req, reply) => {
      // Pending is answered like counted (202): a delivery result may still be on its way, and the
      // phone has nothing to retry; a fake never counts. Same answer for another user's push id.
      const at = new Date(ctx.now());
      const { offerId, pushId } = req.body;
      const status = await recordOpen(pool, { offerId, userId: principal(req).userId, pushId, at });
      return reply.code(202).send({ status });
    },
  );
}
