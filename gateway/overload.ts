// Wires admission control (admission.ts) into a route: the hook runs first,
// before authentication and body parsing, so a shed request costs almost
// nothing. It answers 503 itself rather than throwing: under overload a warn
// line per shed request would be one more thing the gateway cannot afford.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { onRequestHookHandler } from 'fastify';
import type { Backlog } from '../pipeline/publisher.ts';
import type { Logger } from '../pipeline/logger.ts';
import { admit, SHED_REASONS, type AdmissionLimits, type LoopLoad, type ShedReason } from './admission.ts';

const LOG_EVERY_MS = 5000;

/** A callback hook, not an async one: it runs on every ping request and mostly just says yes. */
export function sheddingHook(backlog: () => Backlog, loop: () => LoopLoad, limits: AdmissionLimits, registry: Registry, log: Logger): onRequestHookHandler {
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
      log.warn({ reason: a.reason, pendingPings: b.messages, oldestPendingMs: b.oldestAgeMs, ...loopMs }, `shedding ping requests: ${WHY[a.reason]}`);
    }
    void reply.code(503).header('retry-after', String(a.retryAfterSeconds)).send(shedBody(a.reason, a.retryAfterSeconds));
  };
}

const WHY: Record<ShedReason, string> = { pending: 'Kafka is behind', age: 'Kafka is behind', event_loop: 'the gateway is saturated' };

function shedBody(reason: ShedReason, retryAfterSeconds: number) {
  return reason === 'event_loop'
    ? { error: { code: 'DEPENDENCY_UNAVAILABLE', message: `the gateway is overloaded; retry after ${retryAfterSeconds} s` } }
    : { error: { code: 'BROKER_UNAVAILABLE', message: `the event log is behind; retry after ${retryAfterSeconds} s` } };
}

/** Registered once per registry (tests build several gateways on one). */
function overloadMetrics(registry: Registry, backlog: () => Backlog) {
  const name = 'nearcast_gateway_shed_total';
  const existing = registry.getSingleMetric(name) as Counter<'reason'> | undefined;
  if (existing) return { shed: existing };
  const shed = new Counter({ name, help: 'Ping requests answered 503 by admission control, by reason', labelNames: ['reason'] as const, registers: [registry] });
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
