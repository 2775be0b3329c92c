// Liveness, readiness (Kafka, Redis and PostgreSQL answer) and Prometheus metrics.
import type { FastifyInstance } from 'fastify';
import { cachedReadiness, postgresCheck } from '../../pipeline/health-server.ts';
import type { GatewayContext } from '../context.ts';

export function healthRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  // Coupons, claims and redemptions all need the database: a gateway that cannot reach it takes no traffic.
  const checks = new Map([['postgres', postgresCheck(ctx.pool)]]);
  const readiness = cachedReadiness(ctx, ctx.config.ops.readyCacheMs, Date.now, checks);
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: { hide: true } }, async (_req, reply) => {
    const { ready, checks } = await readiness(false);
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks });
  });

  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
    return reply.type(ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics());
  });
}
