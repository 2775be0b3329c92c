// The matcher's Kafka effects: the push requests and the state changelog, in
// one produce request between them; the runner awaits both before any Redis
// write that says they were made.
import { ok, type StepResult } from '../../../pipeline/results.ts';
import type { BatchContext } from '../../../pipeline/steps.ts';
import type { BatchingPublisher } from '../../../pipeline/publisher.ts';
import type { Codec } from '../../../pipeline/registry.ts';
import type { LocationPing, PushRequest } from '../../../schemas/types.ts';
import type { UserStateStore } from '../user-state.ts';
import type { Decided } from './decide.ts';

export interface EmitDeps {
  publisher: BatchingPublisher;
  topic: string;
  codec: Codec<PushRequest>;
  store: UserStateStore;
}

export function createEmitStep(d: EmitDeps) {
  return function emit(decided: Decided, batch: BatchContext<LocationPing>): StepResult<Decided> {
    const { pushes, changed, before } = decided;
    if (pushes.length > 0) batch.kafka.push(() => d.publisher.publish(d.topic, encode(d.codec, pushes)));
    batch.kafka.push(() => d.store.recordChanges(changed, before));
    return ok(decided);
  };
}

function encode(codec: Codec<PushRequest>, pushes: PushRequest[]) {
  return pushes.map((p) => ({ key: p.userId, value: codec.encodeSync(p) }));
}
