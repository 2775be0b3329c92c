// Builds the gateway as a fastify instance without listening, so tests drive
// it with inject() and main.ts decides where it listens. Stateless: everything
// it knows lives in Kafka, Redis and PostgreSQL; it runs no timers or consumers.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import type { Metrics } from '../pipeline/metrics.ts';
import { secretKey } from './auth.ts';
import type { TokenVerifier } from './guard.ts';
import { Revocations } from '../users/revocations.ts';
import { ConsentGate } from '../users/consent-gate.ts';
import { edgeErrorOptions, installErrorHandling } from './errors.ts';
import { ROUTES } from './routes/index.ts';
import { validatorCompiler } from './validation.ts';
import { installRateLimits } from './rate-limits.ts';
import { installShedding } from './overload.ts';
import { EventLoopMonitor } from './event-loop.ts';
import { fastifyTimeouts } from '../pipeline/http-timeouts.ts';
import type { GatewayContext, GatewayDeps } from './context.ts';

export type { GatewayDeps } from './context.ts';

export async function buildGateway(deps: GatewayDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.log.child({ component: 'gateway' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }), // per-request lines would dwarf everything else
    // No child logger per request: building one (bindings through the redaction) costs CPU on
    // every request for lines that are rarely written; those carry reqId themselves.
    childLoggerFactory: (logger) => logger,
    bodyLimit: deps.config.gateway.maxBodyBytes,
    return503OnClosing: true,
    ...edgeErrorOptions, // bad URLs, over-long parameters and parser refusals answered in our error shape
    trustProxy: deps.config.gateway.trustProxy,
    ...fastifyTimeouts(deps.config.ops.http),
  });
  installErrorHandling(app);
  app.setValidatorCompiler(validatorCompiler);
  app.removeContentTypeParser('text/plain'); // JSON only: anything else is 415
  await app.register(swagger, {
    openapi: {
      info: { title: 'nearcast gateway', version: '0.1.0', description: 'Location pings in, coupons out.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
      security: [{ bearer: [] }],
    },
  });
  const countResponse = responseCounter(deps.metrics.httpRequests);
  app.addHook('onResponse', (req, reply, done) => {
    countResponse(req.routeOptions.url ?? 'unmatched', reply.statusCode);
    done();
  });

  const now = deps.now ?? Date.now;
  const revocations = new Revocations(deps.redis, deps.config.topics.prefix, deps.changelog, now);
  revocations.listen();
  app.addHook('onClose', async () => revocations.close());
  const consent = new ConsentGate(deps.redis, deps.config.topics.prefix);
  consent.listen();
  app.addHook('onClose', async () => consent.close());
  const key: TokenVerifier = {
    key: secretKey(deps.config.auth.tokenSecret),
    revokedBefore: (s) => revocations.revokedBefore(s),
    cacheSize: deps.config.auth.tokenCacheSize,
  };
  const loop = new EventLoopMonitor().start();
  app.addHook('onClose', async () => loop.stop());
  const ctx: GatewayContext = { ...deps, key, revocations, consent, now, loop };
  installShedding(app, ctx); // first: an overloaded gateway spends nothing on a request it refuses
  installRateLimits(app, ctx);
  await app.register(async (scoped) => {
    for (const register of ROUTES) register(scoped, ctx);
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  return app;
}

/** The labelled counter per (route, status class), looked up once: a hot path on every request. */
function responseCounter(counter: Metrics['httpRequests']): (route: string, status: number) => void {
  const children = new Map<string, { inc(): void }>();
  return (route, status) => {
    const cls = `${Math.floor(status / 100)}xx`;
    const key = `${route} ${cls}`;
    let child = children.get(key);
    if (!child) {
      child = counter.labels({ route, status: cls });
      children.set(key, child);
    }
    child.inc();
  };
}
