// Liveness, readiness (Kafka and Redis answer) and Prometheus metrics.
import type { FastifyInstance } from 'fastify';
import { cachedReadiness } from '../../pipeline/health-server.ts';
import type { GatewayContext } from '../app.ts';

export function healthRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  const readiness = cachedReadiness(ctx, ctx.config.ops.readyCacheMs);
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: { hide: true } }, async (_req, reply) => {
    const { ready, checks } = await readiness(false);
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks });
  });

  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
    return reply.type(ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics());
  });
}
