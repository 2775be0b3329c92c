// The push dispatcher: consumes push requests and delivers each to every
// registration of its user, by Web Push or FCM. Each push is claimed in the
// push ledger (ledger.ts) immediately before its own first send, so a
// redelivered request is never sent twice; the cost is that a crash leaves
// the sends in flight at that moment in doubt, and those are not retried
// (at most once: a duplicate coupon is spam, a missing one is not harm).
// Every outcome becomes a delivery-results event; permanent failures also go
// to the dead-letter topic. All of it is durable before the offset commits.
import type { Kafka } from 'kafkajs';
import type { Redis } from 'ioredis';
import pLimit from 'p-limit';
import type { Config } from '../../pipeline/config.ts';
import type { Logger } from '../../pipeline/logger.ts';
import type { Metrics } from '../../pipeline/metrics.ts';
import { runConsumer } from '../../pipeline/consumer.ts';
import { createBatchRunner, steps } from '../../pipeline/steps.ts';
import type { BatchingPublisher } from '../../pipeline/publisher.ts';
import type { StateChangelog } from '../../pipeline/state-changelog.ts';
import { ensureState, epochKey, restoreDepsOf } from '../../pipeline/state-restore.ts';
import type { SchemaCodecs } from '../../pipeline/registry.ts';
import { topicNames } from '../../pipeline/kafka.ts';
import { PushRegistrations } from '../../users/push-registrations.ts';
import { NearcastError } from '../../pipeline/errors.ts';
import { TOPICS } from '../../schemas/topics.ts';
import type { DeliveryResult, PushRequest } from '../../schemas/types.ts';
import { DEFAULT_RETRY, type RetryPolicy } from './decide.ts';
import { createWebPushSender } from './webpush-sender.ts';
import { createFcmSender } from './fcm-sender.ts';
import { PushLedger } from './ledger.ts';
import { resultMaker } from './steps/result.ts';
import { createDropExpiredStep, createSkipRedeliveredStep } from './steps/admit.ts';
import { createLoadRegistrationsStep, createSendStep } from './steps/send.ts';
import { createPublishResultsStep, createRecordOutcomesStep } from './steps/outcomes.ts';

export interface DispatcherDeps {
  config: Config;
  log: Logger;
  metrics: Metrics;
  kafka: Kafka;
  redis: Redis;
  codecs: SchemaCodecs;
  publisher: BatchingPublisher;
  changelog: StateChangelog;
  now?: () => number;
  random?: () => number;
  retry?: RetryPolicy;
}

export interface Dispatcher {
  joined: Promise<void>;
  stop(): Promise<void>;
}

export async function startDispatcher(d: DispatcherDeps): Promise<Dispatcher> {
  const { vapid, fcm } = d.config.push;
  if (!vapid)
    throw new NearcastError(
      'CONFIG_INVALID',
      'the dispatcher needs NEARCAST_VAPID_PUBLIC_KEY and NEARCAST_VAPID_PRIVATE_KEY (npm run vapid:generate prints a pair)',
    );
  const topics = topicNames(d.config.topics.prefix);
  const now = d.now ?? Date.now;
  const log = d.log.child({ component: 'dispatcher' });
  const registrations = new PushRegistrations(d.redis, d.config.topics.prefix, d.changelog);
  const { caFile, allowedHosts, allowPrivateAddresses } = d.config.push;
  if (allowPrivateAddresses) log.warn(PRIVATE_WARNING);
  const sendWebPush = createWebPushSender({ vapid, caFile, timeoutMs: 5000, allowedHosts, allowPrivateAddresses });
  const fcmSender = fcm ? createFcmSender({ ...fcm, caFile: d.config.push.caFile }) : undefined;
  if (!fcmSender)
    log.warn('FCM is not configured (NEARCAST_FCM_SERVICE_ACCOUNT_FILE): FCM registrations will not be served');
  const resultCodec = await d.codecs.forTopic<DeliveryResult>(
    topics.deliveryResults,
    TOPICS.deliveryResults.valueSchema,
  );
  const pushCodec = await d.codecs.forTopic<PushRequest>(topics.pushRequests, TOPICS.pushRequests.valueSchema);
  const deliver = {
    now,
    random: d.random ?? Math.random,
    policy: d.retry ?? DEFAULT_RETRY,
    onAttempt: (channel: string, kind: string) =>
      d.metrics.pushes.inc({ channel: channel.toLowerCase(), outcome: kind }),
  };
  const ledger = new PushLedger(d.redis, d.config.topics.prefix, now);
  // Web Push sends in flight in this process, whatever partitions' batches they come from.
  const sendSlots = pLimit(d.config.push.concurrency);
  const result = resultMaker(now);

  const restore = restoreDepsOf(d, log);
  await ensureState(restore);

  // drop expired → skip redelivered → load registrations → claim and send → record outcomes → publish results.
  const processBatch = createBatchRunner<PushRequest>(
    { countDropped: (reason, n) => d.metrics.dropped.inc({ stage: 'dispatcher', reason }, n) },
    steps<PushRequest>()
      .then(createDropExpiredStep({ now, result }))
      .then(createSkipRedeliveredStep({ ledger, result }))
      .then(createLoadRegistrationsStep({ registrations, restore, epochKey: epochKey(d.config.topics.prefix), result }))
      .then(createSendStep({ ledger, sendWebPush, fcmSender, sendSlots, deliver, now }))
      .then(createRecordOutcomesStep({ metrics: d.metrics, registrations, result }))
      .then(
        createPublishResultsStep({ publisher: d.publisher, topics, resultCodec, pushCodec, metrics: d.metrics, log }),
      ),
  );

  const { consumer, joined } = await runConsumer<PushRequest>({
    kafka: d.kafka,
    groupId: `${d.config.topics.prefix}dispatcher`,
    topic: topics.pushRequests,
    stage: 'dispatcher',
    codecs: d.codecs,
    deadLetters: { topic: topics.deadLetters, publisher: d.publisher },
    metrics: d.metrics,
    log,
    processBatch,
  });
  return {
    joined,
    async stop() {
      await consumer.disconnect();
      await fcmSender?.close();
    },
  };
}

const PRIVATE_WARNING =
  'NEARCAST_PUSH_ALLOW_PRIVATE_ADDRESSES=true: Web Push may connect to loopback and private addresses; tests and demos only';
