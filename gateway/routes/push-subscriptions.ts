// POST /v1/push/subscriptions: where the authenticated user's phone can be reached.
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { PushRegistrations, type PushRegistration } from '../../users/push-registrations.ts';
import type { GatewayContext } from '../context.ts';
import { principal, requireRole } from '../guard.ts';
import { ErrorReply, PushRegistrationBody } from '../schemas.ts';
import { NearcastError } from '../../pipeline/errors.ts';
import { checkEndpoint, checkKeys, type HostRule } from '../../pipeline/push-targets.ts';

export function pushRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  const { allowedHosts, maxRegistrationsPerUser } = ctx.config.push;
  const store = new PushRegistrations(ctx.redis, ctx.config.topics.prefix, ctx.changelog, {
    maxPerUser: maxRegistrationsPerUser,
  });
  app.post<{ Body: PushRegistrationBody }>(
    '/v1/push/subscriptions',
    {
      onRequest: requireRole(ctx.key, 'device'),
      schema: {
        summary: 'Register a Web Push subscription or an FCM token',
        body: PushRegistrationBody,
        response: { 201: Type.Object({ id: Type.String() }), 400: ErrorReply, 401: ErrorReply },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const reg: PushRegistration =
        b.type === 'webpush' ? webPushRegistration(b.subscription, allowedHosts) : { type: 'fcm', token: b.token };
      const id = await store.add(principal(req).userId, reg);
      return reply.code(201).send({ id });
    },
  );
}

/** The endpoint must be an allowed push service's https URL, stored in its canonical form; the keys must be usable. */
function webPushRegistration(
  sub: { endpoint: string; keys: { p256dh: string; auth: string } },
  rules: readonly HostRule[],
): PushRegistration {
  const target = checkEndpoint(sub.endpoint, rules);
  if ('reason' in target) throw new NearcastError('VALIDATION_FAILED', `subscription.endpoint ${target.reason}`);
  const bad = checkKeys(sub.keys);
  if (bad) throw new NearcastError('VALIDATION_FAILED', bad);
  return { type: 'webpush', endpoint: target.url.href, keys: { p256dh: sub.keys.p256dh, auth: sub.keys.auth } };
}
