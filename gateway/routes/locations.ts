// POST /v1/locations: one ping or a batch. Answers 202 only after Kafka has
// acknowledged every ping in the request; 503 + Retry-After while too many
// pings wait for Kafka or the event loop is saturated (gateway/admission.ts).
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { NearcastError } from '../../pipeline/errors.ts';
import { topicNames } from '../../pipeline/kafka.ts';
import { TOPICS } from '../../schemas/topics.ts';
import type { LocationPing } from '../../schemas/types.ts';
import type { GatewayContext } from '../context.ts';
import { principal, requireRole } from '../guard.ts';
import { ErrorReply, PingAccepted, pingBody, type Ping } from '../schemas.ts';

export function locationRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  const topic = topicNames(ctx.config.topics.prefix).locations;
  const codec = () => ctx.codecs.forTopic<LocationPing>(topic, TOPICS.locations.valueSchema);

  app.post<{ Body: Ping | { pings: Ping[] } }>(
    '/v1/locations',
    {
      config: { shed: true }, // admission control (overload.ts) runs before any other hook
      onRequest: requireRole(ctx.key, 'device'),
      schema: {
        summary: 'Report the phone location',
        body: pingBody(ctx.config.gateway.maxPingsPerRequest),
        response: {
          202: PingAccepted,
          400: ErrorReply,
          401: ErrorReply,
          403: ErrorReply,
          413: ErrorReply,
          503: ErrorReply,
        },
      },
    },
    async (req, reply) => {
      const userId = principal(req).userId;
      // From memory (users/consent-gate.ts): a token names one user, so the whole request is refused.
      if (ctx.consent.withdrawn(userId)) {
        throw new NearcastError(
          'CONSENT_WITHDRAWN',
          'consent to location marketing is withdrawn; PUT /v1/me/consent to give it again',
        );
      }
      const pings = 'pings' in req.body ? req.body.pings : [req.body];
      const receivedTs = ctx.now();
      const events = pings.map((p, i) =>
        toEvent(p, i, userId, receivedTs, ctx.config.gateway.maxClockSkewMs, pings.length > 1),
      );
      const { encodeSync } = await codec();
      const timestamp = String(receivedTs);
      const messages = events.map((e) => ({ key: userId, value: encodeSync(e), timestamp }));
      await ctx.publisher.publish(topic, messages);
      ctx.metrics.pingsAccepted.inc(events.length);
      return reply.code(202).send({ accepted: events.length, pingIds: events.map((e) => e.pingId) });
    },
  );
}

function toEvent(
  p: Ping,
  index: number,
  userId: string,
  receivedTs: number,
  maxSkewMs: number,
  batch: boolean,
): LocationPing {
  const deviceTs = Date.parse(p.recordedAt);
  const where = batch ? `body/pings/${index}/recordedAt` : 'body/recordedAt';
  if (Number.isNaN(deviceTs)) throw new NearcastError('VALIDATION_FAILED', `${where} is not a valid date-time`);
  if (deviceTs > receivedTs + maxSkewMs) throw new NearcastError('VALIDATION_FAILED', `${where} is in the future`);
  return { pingId: randomUUID(), userId, lat: p.lat, lng: p.lng, accuracyM: p.accuracy, deviceTs, receivedTs };
}
