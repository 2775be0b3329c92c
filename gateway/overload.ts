// Wires admission control (admission.ts) into the routes that ask for it
// (route config `shed: true`). fastify runs app-level onRequest hooks in the
// order they were added and before any route-level one, so this hook is added
// before the rate limiter's: a shed request costs no Redis call, no token
// check and no body parsing. It answers 503 itself rather than throwing: under
// overload a warn line per shed request would be one more thing the gateway
// cannot afford.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { FastifyInstance, onRequestHookHandler } from 'fastify';
import type { GatewayContext } from './context.ts';
import type { Backlog } from '../pipeline/publisher.ts';
import type { Logger } from '../pipeline/logger.ts';
import { admit, SHED_REASONS, type AdmissionLimits, type LoopLoad, type ShedReason } from './admission.ts';

const LOG_EVERY_MS = 5000;

/** A callback hook, not an async one: it runs on every ping request and mostly just says yes. */
export function sheddingHook(
  backlog: () => Backlog,
  loop: () => LoopLoad,
  limits: AdmissionLimits,
  registry: Registry,
  log: Logger,
): onRequestHookHandler {
  const { shed } = overloadMetrics(registry, backlog);
  let loggedAt = 0;
  return (_req, reply, done) => {
    const b = backlog();
    const l = loop();
    const a = admit(b, limits, l);
    if (a.admit) {
      done();
      return;
    }
    shed.inc({ reason: a.reason });
    if (Date.now() - loggedAt > LOG_EVERY_MS) {
      loggedAt = Date.now();
      const loopMs = { loopDelayMs: Math.round(l.delayMs), loopUtilization: Number(l.utilization.toFixed(3)) };
      log.warn(
        { reason: a.reason, pendingPings: b.messages, oldestPendingMs: b.oldestAgeMs, ...loopMs },
        `shedding ping requests: ${WHY[a.reason]}`,
      );
    }
    void reply
      .code(503)
      .header('retry-after', String(a.retryAfterSeconds))
      .send(shedBody(a.reason, a.retryAfterSeconds));
  };
}

const WHY: Record<ShedReason, string> = {
  pending: 'Kafka is behind',
  age: 'Kafka is behind',
  event_loop: 'the gateway is saturated',
};

function shedBody(reason: ShedReason, retryAfterSeconds: number) {
  return reason === 'event_loop'
    ? {
        error: {
          code: 'DEPENDENCY_UNAVAILABLE',
          message: `the gateway is overloaded; retry after ${retryAfterSeconds} s`,
        },
      }
    : { error: { code: 'BROKER_UNAVAILABLE', message: `the event log is behind; retry after ${retryAfterSeconds} s` } };
}

/** Registered once per registry (tests build several gateways on one). */
function overloadMetrics(registry: Registry, backlog: () => Backlog) {
  const name = 'nearcast_gateway_shed_total';
  const existing = registry.getSingleMetric(name) as Counter<'reason'> | undefined;
  if (existing) return { shed: existing };
  const shed = new Counter({
    name,
    help: 'Ping requests answered 503 by admission control, by reason',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  for (const reason of SHED_REASONS) shed.inc({ reason }, 0);
  new Gauge({
    name: 'nearcast_gateway_pending_messages',
    help: 'Messages handed to the publisher and not yet acknowledged by Kafka',
    registers: [registry],
    collect() {
      this.set(backlog().messages);
    },
  });
  return { shed };
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Admission control applies: the route is refused with 503 while the gateway is overloaded. */
    shed?: boolean;
  }
}

/** One app-level hook for every route whose config says `shed: true`. */
export function installShedding(
  app: FastifyInstance,
  ctx: Pick<GatewayContext, 'publisher' | 'loop' | 'config' | 'metrics' | 'log'>,
): void {
  const limits = ctx.config.gateway.admission;
  const shed = sheddingHook(
    () => ctx.publisher.backlog(),
    () => ctx.loop.load(),
    limits,
    ctx.metrics.registry,
    ctx.log,
  );
  app.addHook('onRequest', function shedOverload(req, reply, done) {
    if (req.routeOptions.config.shed) shed.call(this, req, reply, done);
    else done();
  });
}
