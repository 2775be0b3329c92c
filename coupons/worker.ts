// The coupon background work: the outbox relay, the expiry sweeper, the
// delivery-results consumer that counts pushes for the reports, and the
// learner of users' interests from their claims and redemptions. Runs in its
// own component, `coupons-worker` (main.ts), never in the gateway: several
// instances cooperate safely (relay.ts, sweeper.ts, one consumer group for impressions).
import type { Runtime } from '../pipeline/runtime.ts';
import { startOutboxRelay, type Relay } from './relay.ts';
import { startSweeper } from './sweeper.ts';
import { startImpressionConsumer } from './impressions.ts';
import { startAffinityLearner } from './affinity-learner.ts';
import { PreferenceStore } from '../users/user-preferences.ts';

export interface CouponWorker {
  relay: Relay;
  /** Resolves once the delivery-results consumer has joined its group. */
  impressionsJoined: Promise<void>;
  stop(): Promise<void>;
}

export function startCouponWorker(
  rt: Pick<
    Runtime,
    'config' | 'log' | 'metrics' | 'pool' | 'producer' | 'codecs' | 'kafka' | 'publisher' | 'redis' | 'changelog'
  >,
): CouponWorker {
  const c = rt.config.coupons;
  const relay = startOutboxRelay({
    pool: rt.pool,
    databaseUrl: rt.config.databaseUrl,
    producer: rt.producer,
    codecs: rt.codecs,
    topicPrefix: rt.config.topics.prefix,
    log: rt.log,
    pollMs: c.outboxPollMs,
    onPublished: (n) => rt.metrics.outboxPublished.inc(n),
  });
  const sweeper = startSweeper(rt.pool, c.sweepEveryMs, rt.log, (n) => rt.metrics.claimsExpired.inc(n));
  const impressions = startImpressionConsumer(rt);
  const learner = startAffinityLearner(
    rt.pool,
    new PreferenceStore(rt.redis, rt.config.topics.prefix, rt.changelog),
    c.learnEveryMs,
    rt.log,
  );
  impressions.catch((err: Error) =>
    rt.log.error({ err: err.message }, 'delivery-results consumer failed to start; push impressions are not counted'),
  );
  return {
    relay,
    impressionsJoined: impressions.then((c) => c.joined),
    async stop() {
      const consumer = await impressions.catch(() => undefined);
      await Promise.all([relay.stop(), sweeper.stop(), learner.stop(), consumer?.consumer.disconnect()]);
    },
  };
}
