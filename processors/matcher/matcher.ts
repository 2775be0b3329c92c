// The matcher: consumes location pings, joins each with the offer directory,
// the user's state and preferences, and emits push requests. Each batch runs
// as named steps (steps/); the runner (pipeline/steps.ts) orders the effects:
// push requests acknowledged by Kafka, then user state written, then offsets
// committed. A crash anywhere re-delivers the batch; the repeat
// either decides the same push (same visit id, dropped by the dispatcher) or
// finds the visit already served (no push).
import type { Kafka } from 'kafkajs';
import type { Redis } from 'ioredis';
import type { Config } from '../../pipeline/config.ts';
import type { Logger } from '../../pipeline/logger.ts';
import type { Metrics } from '../../pipeline/metrics.ts';
import { runConsumer, withoutCoordinates, type Decoded } from '../../pipeline/consumer.ts';
import type { BatchingPublisher } from '../../pipeline/publisher.ts';
import type { StateChangelog } from '../../pipeline/state-changelog.ts';
import { ensureState, epochKey, restoreDepsOf } from '../../pipeline/state-restore.ts';
import type { SchemaCodecs } from '../../pipeline/registry.ts';
import { createBatchRunner, steps } from '../../pipeline/steps.ts';
import { topicNames } from '../../pipeline/kafka.ts';
import { TOPICS } from '../../schemas/topics.ts';
import type { LocationPing, PushRequest } from '../../schemas/types.ts';
import { OfferDirectory } from './directory.ts';
import { startOfferFeed } from './offer-feed.ts';
import { PreferenceCache } from './preference-cache.ts';
import { PreferenceStore } from '../../users/user-preferences.ts';
import { DecisionLog } from '../../users/decision-log.ts';
import { UserStateStore } from './user-state.ts';
import { createDropStaleStep, createValidateStep } from './steps/input.ts';
import { createLoadStateStep, createPersistStep } from './steps/state.ts';
import { createDecideStep } from './steps/decide.ts';
import { createEmitStep } from './steps/emit.ts';

export interface MatcherDeps {
  config: Config;
  log: Logger;
  metrics: Metrics;
  kafka: Kafka;
  redis: Redis;
  codecs: SchemaCodecs;
  publisher: BatchingPublisher;
  changelog: StateChangelog;
  now?: () => number;
}

export interface Matcher {
  directory: OfferDirectory;
  /** Resolves once this instance has joined the matcher group. */
  joined: Promise<void>;
  /** Pings this instance has decided on (for tests and logs). */
  readonly processed: number;
  stop(): Promise<void>;
}

export async function startMatcher(d: MatcherDeps): Promise<Matcher> {
  const topics = topicNames(d.config.topics.prefix);
  const now = d.now ?? Date.now;
  const log = d.log.child({ component: 'matcher' });
  const directory = new OfferDirectory();
  const store = new UserStateStore(d.redis, d.config.topics.prefix, d.changelog, epochKey(d.config.topics.prefix));
  const pushCodec = await d.codecs.forTopic<PushRequest>(topics.pushRequests, TOPICS.pushRequests.valueSchema);
  const settings = d.config.matcher;
  let processed = 0;
  const prefCache = new PreferenceCache(new PreferenceStore(d.redis, d.config.topics.prefix), settings.prefsCacheMs);
  const decisionLog = new DecisionLog(d.redis, d.config.topics.prefix);

  const feed = await startOfferFeed(
    d.kafka,
    topics.offers,
    d.config.topics.prefix,
    directory,
    d.codecs,
    d.metrics,
    log,
  );
  await feed.caughtUp;
  log.info({ offers: directory.size }, 'offer directory loaded');

  const restore = restoreDepsOf(d, log);
  await ensureState(restore);

  const latency = d.metrics.stageLatency.labels({ stage: 'matcher' }); // looked up once: prom-client hashes labels
  // validate → drop stale → load state → decide → emit (Kafka) → persist (Redis); the runner orders the effects.
  const runBatch = createBatchRunner<LocationPing>(
    { countDropped: (reason, n) => d.metrics.dropped.inc({ stage: 'matcher', reason }, n) },
    steps<LocationPing>()
      .then(createValidateStep())
      .then(createDropStaleStep({ now, ttlMs: settings.pingTtlMs, latency }))
      .then(createLoadStateStep({ store, prefCache, restore }))
      .then(createDecideStep({ directory, settings, metrics: d.metrics }))
      .then(createEmitStep({ publisher: d.publisher, topic: topics.pushRequests, codec: pushCodec, store }))
      .then(createPersistStep({ store, decisionLog })),
  );
  const processBatch = (items: Decoded<LocationPing>[]) => {
    d.metrics.pingsConsumed.inc(items.length);
    processed += items.length;
    return runBatch(items);
  };

  const { consumer, joined } = await runConsumer<LocationPing>({
    kafka: d.kafka,
    groupId: `${d.config.topics.prefix}matcher`,
    topic: topics.locations,
    stage: 'matcher',
    // Per-batch costs (fetch, Redis round trips, produce, commit) dominate with batches of a few dozen
    // pings; 16 KiB is ~130 pings, gathered in ~40 ms at 3,333 pings/s (measured: benchmarks/FINDINGS.md).
    fetch: { minBytes: 16 * 1024, maxWaitMs: 50 },
    codecs: d.codecs,
    deadLetters: { topic: topics.deadLetters, publisher: d.publisher, redact: withoutCoordinates },
    metrics: d.metrics,
    log,
    processBatch,
  });

  return {
    directory,
    joined,
    get processed() {
      return processed;
    },
    async stop() {
      await Promise.allSettled([consumer.disconnect(), feed.consumer.disconnect()]);
    },
  };
}
