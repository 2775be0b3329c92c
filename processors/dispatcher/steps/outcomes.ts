// The dispatcher's last steps: every send's outcome becomes a delivery result
// (and a registration the push service called gone, or that nearcast refused,
// is removed), then the results and the permanent failures are published.
import { ok, type StepResult } from '../../../pipeline/results.ts';
import type { BatchContext } from '../../../pipeline/steps.ts';
import type { Logger } from '../../../pipeline/logger.ts';
import type { Metrics } from '../../../pipeline/metrics.ts';
import type { BatchingPublisher } from '../../../pipeline/publisher.ts';
import type { PushRegistrations } from '../../../users/push-registrations.ts';
import type { Codec } from '../../../pipeline/registry.ts';
import type { DeliveryResult, PushRequest } from '../../../schemas/types.ts';
import type { JobResult } from '../deliver.ts';
import type { MakeResult, Results } from './result.ts';
import type { Sent } from './send.ts';

type Batch = BatchContext<PushRequest>;

export interface Recorded extends Results {
  failed: JobResult[];
}

export interface RecordOutcomesDeps {
  metrics: Metrics;
  registrations: PushRegistrations;
  result: MakeResult;
}

export function createRecordOutcomesStep(d: RecordOutcomesDeps) {
  // Removals awaited here, before the results are published: once the ledger says a push is done, a
  // redelivery only republishes its results, so a removal left for later could be lost.
  return async function recordOutcomes({ done, results }: Sent): Promise<StepResult<Recorded>> {
    for (const r of done) {
      const { channel, outcome, attempts, reason, completedTs } = r;
      if (outcome === 'DELIVERED') d.metrics.pingToPush.observe(Math.max(0, completedTs - r.job.req.deviceTs) / 1000);
      results.push(d.result(r.job.req, { channel, outcome, attempts, status: r.status ?? null, reason, completedTs }));
    }
    const dropped = done.filter((r) => r.outcome === 'GONE' || r.refused);
    await Promise.all(dropped.map((r) => d.registrations.remove(r.job.req.userId, r.job.reg.id)));
    return ok({ results, failed: done.filter((r) => r.outcome === 'FAILED') });
  };
}

export interface PublishResultsDeps {
  publisher: BatchingPublisher;
  topics: { deliveryResults: string; deadLetters: string };
  resultCodec: Codec<DeliveryResult>;
  pushCodec: Codec<PushRequest>;
  metrics: Metrics;
  log: Logger;
}

export function createPublishResultsStep(d: PublishResultsDeps) {
  return function publishResults(recorded: Recorded, batch: Batch): StepResult<Recorded> {
    const { results, failed } = recorded;
    const encoded = results.map((r) => ({ key: r.userId, value: d.resultCodec.encodeSync(r) }));
    const dead = failed.map((f) => ({
      key: f.job.req.userId,
      value: d.pushCodec.encodeSync(f.job.req),
      headers: {
        'nearcast-dlq-reason': f.reason.slice(0, 500),
        'nearcast-dlq-stage': 'dispatcher',
        'nearcast-dlq-channel': f.channel,
      },
    }));
    if (dead.length) {
      d.metrics.deadLettered.inc({ stage: 'dispatcher' }, dead.length);
      d.log.warn({ count: dead.length, reason: failed[0]?.reason }, 'pushes failed for good: dead-lettered');
    }
    batch.kafka.push(
      () => d.publisher.publish(d.topics.deliveryResults, encoded),
      () => d.publisher.publish(d.topics.deadLetters, dead),
    );
    return ok(recorded);
  };
}
