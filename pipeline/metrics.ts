// Prometheus metrics. One prefix, seconds for time, `_total` for counters, and
// labels only from small fixed sets (never a user, offer or cell id).
import { Counter, Histogram, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 2, 5, 10, 30];

export function createMetrics(registry: Registry = new Registry(), opts: { defaults?: boolean } = {}) {
  if (opts.defaults) collectDefaultMetrics({ register: registry, prefix: 'nearcast_' });
  const r = [registry];
  return {
    registry,
    httpRequests: new Counter({
      name: 'nearcast_http_requests_total',
      help: 'HTTP requests by route and status class',
      labelNames: ['route', 'status'] as const,
      registers: r,
    }),
    pingsAccepted: new Counter({
      name: 'nearcast_pings_accepted_total',
      help: 'Pings acknowledged by the gateway after Kafka acked them',
      registers: r,
    }),
    publishBatchSize: new Histogram({
      name: 'nearcast_publish_batch_messages',
      help: 'Messages per Kafka produce call from the gateway',
      buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 5000],
      registers: r,
    }),
    pingsConsumed: new Counter({
      name: 'nearcast_pings_consumed_total',
      help: 'Location pings read by matchers',
      registers: r,
    }),
    dropped: new Counter({
      name: 'nearcast_dropped_total',
      help: 'Messages dropped, by stage and reason',
      labelNames: ['stage', 'reason'] as const,
      registers: r,
    }),
    deadLettered: new Counter({
      name: 'nearcast_dead_lettered_total',
      help: 'Messages sent to the dead-letter topic, by stage',
      labelNames: ['stage'] as const,
      registers: r,
    }),
    candidates: new Counter({
      name: 'nearcast_match_candidates_total',
      help: 'Offers whose geofence contained a ping',
      registers: r,
    }),
    decisions: new Counter({
      name: 'nearcast_decisions_total',
      help: 'Matcher decisions by outcome',
      labelNames: ['outcome'] as const,
      registers: r,
    }),
    pushes: new Counter({
      name: 'nearcast_pushes_total',
      help: 'Push sends by channel and outcome',
      labelNames: ['channel', 'outcome'] as const,
      registers: r,
    }),
    pingToPush: new Histogram({
      name: 'nearcast_ping_to_push_seconds',
      help: 'Device timestamp to push accepted by the push service',
      buckets: LATENCY_BUCKETS,
      registers: r,
    }),
    stageLatency: new Histogram({
      name: 'nearcast_stage_latency_seconds',
      help: 'Age of a message when a stage sees it (now minus device timestamp)',
      labelNames: ['stage'] as const,
      buckets: LATENCY_BUCKETS,
      registers: r,
    }),
    directoryOffers: new Gauge({
      name: 'nearcast_directory_offers',
      help: 'Offers indexed in this matcher',
      registers: r,
    }),
    // Coupon business counters, declared here so dashboards and alerts name one metric; the
    // coupon processors increment them. outcome: a small fixed set (e.g. granted, rejected, expired).
    claims: new Counter({
      name: 'nearcast_claims_total',
      help: 'Coupon claims by outcome',
      labelNames: ['outcome'] as const,
      registers: r,
    }),
    redemptions: new Counter({
      name: 'nearcast_redemptions_total',
      help: 'Coupon redemptions by outcome',
      labelNames: ['outcome'] as const,
      registers: r,
    }),
    couponClaimSeconds: new Histogram({
      name: 'nearcast_coupon_claim_seconds',
      help: 'Time to decide a claim, database transaction included',
      buckets: LATENCY_BUCKETS,
      registers: r,
    }),
    outboxPublished: new Counter({
      name: 'nearcast_outbox_published_total',
      help: 'Outbox rows published to Kafka by the relay',
      registers: r,
    }),
    claimsExpired: new Counter({
      name: 'nearcast_coupon_claims_expired_total',
      help: 'Claims marked expired by the sweeper',
      registers: r,
    }),
    // File engine (processors/imports): outcome is written, duplicate (already stored) or rejected (dead-lettered).
    importRows: new Counter({
      name: 'nearcast_import_rows_total',
      help: 'Bulk-import rows handled by the imports consumer, by kind and outcome',
      labelNames: ['kind', 'outcome'] as const,
      registers: r,
    }),
    consumerLag: new Gauge({
      name: 'nearcast_consumer_lag_messages',
      help: 'High watermark minus the offset being processed, per consumer',
      labelNames: ['consumer'] as const,
      registers: r,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
