// POST /v1/push/subscriptions: where the authenticated user's phone can be reached.
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { PushRegistrations, type PushRegistration } from '../../pipeline/push-registrations.ts';
import type { GatewayContext } from '../app.ts';
import { principal, requireRole } from '../guard.ts';
import { ErrorReply, PushRegistrationBody } from '../schemas.ts';

export function pushRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  const store = new PushRegistrations(ctx.redis, ctx.config.topics.prefix, ctx.changelog);
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
        b.type === 'webpush' ? { type: 'webpush', endpoint: b.subscription.endpoint, keys: b.subscription.keys } : { type: 'fcm', token: b.token };
      const id = await store.add(principal(req).userId, reg);
      return reply.code(201).send({ id });
    },
  );
}
