// Per-address limits before anything else runs (they also slow token
// guessing), per-device limits once the token names the user. Both live in
// Redis so every gateway instance enforces the same budget. Probes and
// metrics are exempt: orchestrators must always reach them.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { RateLimiter, throwIfLimited, type Limit } from '../users/rate-limit.ts';
import type { GatewayContext } from './context.ts';

const EXEMPT = new Set(['/healthz', '/readyz', '/metrics']);

export function installRateLimits(app: FastifyInstance, ctx: Pick<GatewayContext, 'redis' | 'config'>): void {
  const limiter = new RateLimiter(ctx.redis, ctx.config.topics.prefix);
  limiter.onUnavailable = (err) =>
    app.log.warn({ err: err.message }, 'rate limits unavailable (Redis); allowing requests');
  const { device, address }: { device: Limit; address: Limit } = ctx.config.gateway.rateLimits;
  const exempt = (req: FastifyRequest) => EXEMPT.has(req.url.split('?')[0] ?? '');

  // A disabled limit installs no hook at all: every hook costs something on every request.
  if (address.max > 0) {
    app.addHook('onRequest', async (req) => {
      if (exempt(req)) return;
      throwIfLimited(await limiter.hit('addr', req.ip, address), 'requests from this address');
    });
  }
  // preParsing runs after the routes' own onRequest hooks, so the principal is known.
  if (device.max > 0) {
    app.addHook('preParsing', async (req) => {
      if (req.principal)
        throwIfLimited(await limiter.hit('dev', req.principal.userId, device), 'requests from this device');
    });
  }
}
