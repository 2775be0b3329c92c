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
import { runConsumer, type Decoded } from '../../pipeline/consumer.ts';
import type { BatchingPublisher } from '../../pipeline/publisher.ts';
import type { StateChangelog } from '../../pipeline/state-changelog.ts';
import { ensureState, epochKey } from '../../pipeline/state-restore.ts';
import type { SchemaCodecs } from '../../pipeline/registry.ts';
import { topicNames } from '../../pipeline/kafka.ts';
import { PushRegistrations } from '../../pipeline/push-registrations.ts';
import { NearcastError } from '../../pipeline/errors.ts';
import { TOPICS } from '../../schemas/topics.ts';
import type { DeliveryResult, PushRequest } from '../../schemas/types.ts';
import { DEFAULT_RETRY, type RetryPolicy } from './decide.ts';
import { deliverFcm, deliverWebPush, type Job, type JobResult } from './deliver.ts';
import { createWebPushSender } from './webpush-sender.ts';
import { createFcmSender } from './fcm-sender.ts';
import { PushLedger, type LedgerOutcome } from './ledger.ts';

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
  if (!vapid) throw new NearcastError('CONFIG_INVALID', 'the dispatcher needs NEARCAST_VAPID_PUBLIC_KEY and NEARCAST_VAPID_PRIVATE_KEY (npm run vapid:generate prints a pair)');
  const topics = topicNames(d.config.topics.prefix);
  const now = d.now ?? Date.now;
  const log = d.log.child({ component: 'dispatcher' });
  const registrations = new PushRegistrations(d.redis, d.config.topics.prefix, d.changelog);
  const { caFile, allowedHosts, allowPrivateAddresses } = d.config.push;
  if (allowPrivateAddresses) log.warn(PRIVATE_WARNING);
  const sendWebPush = createWebPushSender({ vapid, caFile, timeoutMs: 5000, allowedHosts, allowPrivateAddresses });
  const fcmSender = fcm ? createFcmSender({ ...fcm, caFile: d.config.push.caFile }) : undefined;
  if (!fcmSender) log.warn('FCM is not configured (NEARCAST_FCM_SERVICE_ACCOUNT_FILE): FCM registrations will not be served');
  const resultCodec = await d.codecs.forTopic<DeliveryResult>(topics.deliveryResults, TOPICS.deliveryResults.valueSchema);
  const pushCodec = await d.codecs.forTopic<PushRequest>(topics.pushRequests, TOPICS.pushRequests.valueSchema);
  const deliverDeps = {
    now, random: d.random ?? Math.random, policy: d.retry ?? DEFAULT_RETRY,
    onAttempt: (channel: string, kind: string) => d.metrics.pushes.inc({ channel: channel.toLowerCase(), outcome: kind }),
  };
  const ledger = new PushLedger(d.redis, d.config.topics.prefix, now);
  // Web Push sends in flight in this process, whatever partitions' batches they come from.
  const sendSlots = pLimit(d.config.push.concurrency);
  const result = (req: PushRequest, over: Partial<DeliveryResult>): DeliveryResult => ({
    pushId: req.pushId, userId: req.userId, offerId: req.offerId, channel: 'NONE', outcome: 'UNKNOWN', attempts: 0, status: null, reason: '', deviceTs: req.deviceTs, completedTs: now(), ...over,
  });

  const restore = { redis: d.redis, kafka: d.kafka, codecs: d.codecs, topic: topics.stateChangelog, keyPrefix: d.config.topics.prefix, log };
  await ensureState(restore);

  /** Registrations, restored from the changelog first if Redis came back empty. */
  async function loadRegistrations(userIds: string[]) {
    let { registrations: regs, intact } = await registrations.forUsers(userIds, epochKey(d.config.topics.prefix));
    if (!intact) {
      await ensureState(restore);
      ({ registrations: regs, intact } = await registrations.forUsers(userIds, epochKey(d.config.topics.prefix)));
      if (!intact) throw new Error('Redis state is still missing after a restore'); // kafkajs retries the batch
    }
    return regs;
  }

  const processBatch = async (items: Decoded<PushRequest>[]) => {
    const t = now();
    const results: DeliveryResult[] = [];
    const live: PushRequest[] = [];
    const seen = new Set<string>();
    for (const { value } of items) {
      if (seen.has(value.pushId)) continue;
      seen.add(value.pushId);
      if (value.expiresTs > t) live.push(value);
      else {
        d.metrics.dropped.inc({ stage: 'dispatcher', reason: 'expired' });
        results.push(result(value, { outcome: 'EXPIRED' }));
      }
    }
    // A redelivered push is never sent again: a finished one has its results
    // republished, one a dead process had claimed is reported in doubt.
    const states = await ledger.states(live.map((r) => r.pushId));
    const fresh: PushRequest[] = [];
    live.forEach((req, i) => {
      const state = states[i]!;
      if (state.kind === 'new') return void fresh.push(req);
      if (state.kind === 'done') {
        d.metrics.dropped.inc({ stage: 'dispatcher', reason: 'duplicate' });
        for (const o of state.outcomes) results.push(result(req, { ...o, reason: 'finished before a restart; not sent again' }));
        return;
      }
      d.metrics.dropped.inc({ stage: 'dispatcher', reason: 'in_doubt' });
      results.push(result(req, { outcome: 'UNKNOWN', reason: IN_DOUBT }));
    });
    const regs = await loadRegistrations(fresh.map((r) => r.userId));
    const jobs: Job[] = [];
    const jobsPerPush = new Map<string, number>();
    for (const req of fresh) {
      const targets = regs.get(req.userId) ?? [];
      if (targets.length === 0) {
        d.metrics.dropped.inc({ stage: 'dispatcher', reason: 'no_subscription' });
        results.push(result(req, { outcome: 'NO_REGISTRATION' }));
      }
      jobsPerPush.set(req.pushId, targets.length);
      for (const reg of targets) jobs.push({ req, reg });
    }
    const track = trackLedger(jobsPerPush);
    const fcmJobs = jobs.filter((j) => j.reg.registration.type === 'fcm');
    const webJobs = jobs.filter((j) => j.reg.registration.type === 'webpush');
    const [web, mobile] = await Promise.all([
      deliverWebPush(webJobs, sendWebPush, sendSlots, { ...deliverDeps, ...track.hooks }),
      fcmSender ? deliverFcm(fcmJobs, fcmSender, { ...deliverDeps, ...track.hooks }) : Promise.resolve(fcmJobs.map((job) => unserved(job, now(), track.hooks.onDone))),
    ]);
    await track.finished();
    const done = [...web, ...mobile];
    for (const r of done) {
      if (r.outcome === 'DELIVERED') d.metrics.pingToPush.observe(Math.max(0, r.completedTs - r.job.req.deviceTs) / 1000);
      results.push(result(r.job.req, { channel: r.channel, outcome: r.outcome, attempts: r.attempts, status: r.status ?? null, reason: r.reason, completedTs: r.completedTs }));
    }
    const dropped = done.filter((r) => r.outcome === 'GONE' || r.refused);
    await Promise.all(dropped.map((r) => registrations.remove(r.job.req.userId, r.job.reg.id)));
    await publishEffects(results, done.filter((r) => r.outcome === 'FAILED'));
  };

  /** Claims each push once, just before its first send; records it finished once all its registrations have answered. */
  function trackLedger(jobsPerPush: Map<string, number>) {
    const claims = new Map<string, Promise<boolean>>();
    const outcomes = new Map<string, LedgerOutcome[]>();
    const writes: Promise<void>[] = [];
    const claim = (job: Job) => {
      let owned = claims.get(job.req.pushId);
      if (!owned) {
        owned = ledger.claim(job.req.pushId, job.req.expiresTs).then((ok) => {
          if (!ok) d.metrics.dropped.inc({ stage: 'dispatcher', reason: 'duplicate' });
          return ok;
        });
        claims.set(job.req.pushId, owned);
      }
      return owned;
    };
    const onDone = (r: JobResult) => {
      const id = r.job.req.pushId;
      const list = outcomes.get(id) ?? [];
      list.push({ channel: r.channel, outcome: r.outcome, attempts: r.attempts, status: r.status ?? null });
      outcomes.set(id, list);
      if (list.length === jobsPerPush.get(id)) writes.push(ledger.finish(id, r.job.req.expiresTs, list));
    };
    return { hooks: { claim, onDone }, finished: async () => void (await Promise.all(writes)) };
  }

  async function publishEffects(results: DeliveryResult[], failed: JobResult[]) {
    const encoded = results.map((r) => ({ key: r.userId, value: resultCodec.encodeSync(r) }));
    const dead = failed.map((f) => ({
      key: f.job.req.userId,
      value: pushCodec.encodeSync(f.job.req),
      headers: { 'nearcast-dlq-reason': f.reason.slice(0, 500), 'nearcast-dlq-stage': 'dispatcher', 'nearcast-dlq-channel': f.channel },
    }));
    if (dead.length) {
      d.metrics.deadLettered.inc({ stage: 'dispatcher' }, dead.length);
      log.warn({ count: dead.length, reason: failed[0]?.reason }, 'pushes failed for good: dead-lettered');
    }
    await Promise.all([d.publisher.publish(topics.deliveryResults, encoded), d.publisher.publish(topics.deadLetters, dead)]);
  }

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

function unserved(job: Job, t: number, onDone: (r: JobResult) => void): JobResult {
  const r: JobResult = { job, channel: 'FCM', outcome: 'FAILED', attempts: 0, status: undefined, reason: 'FCM is not configured', completedTs: t };
  onDone(r);
  return r;
}

const PRIVATE_WARNING =
  'NEARCAST_PUSH_ALLOW_PRIVATE_ADDRESSES=true: Web Push may connect to loopback and private addresses; tests and demos only';

const IN_DOUBT = 'in doubt: a dispatcher that stopped before recording the send had claimed it; not sent again (at most once)';
