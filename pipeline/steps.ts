// Runs a batch through named steps and applies their effects in the one order
// that loses nothing: effects durable in Kafka first, then the Redis writes
// that record them as made, then (when the runner returns to runConsumer, which
// dead-letters the rejected messages) the offset commit. A step that throws
// stops the batch: no later step runs, no effect is applied, and kafkajs
// re-delivers the batch. A step whose work must be done before the next step
// decides anything (a send, a claim) awaits it itself.
// Steps take and return whole batches, so the runner costs a few objects per
// batch and nothing per message; steps report single messages to the batch.
import type { Decoded, Rejected } from './consumer.ts';
import type { DropReason, StepResult } from './results.ts';

export type Effect = () => Promise<unknown>;

/** What one batch's steps report besides their values: messages dropped or rejected, and effects to apply. */
export class BatchContext<T> {
  readonly rejected: Rejected<T>[] = [];
  readonly drops = new Map<DropReason, number>();
  /** Produces to Kafka: applied first, all at once. */
  readonly kafka: Effect[] = [];
  /** Redis writes: applied once every Kafka effect is acknowledged. */
  readonly redis: Effect[] = [];

  /** A message dropped for an expected reason (counted per reason once per batch). */
  drop(reason: DropReason, n = 1): void {
    this.drops.set(reason, (this.drops.get(reason) ?? 0) + n);
  }

  /** A message the dead-letter topic gets, with the reason. */
  reject(item: Decoded<T>, reason: string): void {
    this.rejected.push({ item, reason });
  }
}

/**
 * One named step over a whole batch. `drop` stops the batch (nothing left to do; the effects already returned
 * are applied); `dlq` also sends every message of the batch not yet dead-lettered to the dead-letter topic.
 */
export type Step<I, O, T> = (input: I, batch: BatchContext<T>) => StepResult<O> | Promise<StepResult<O>>;

type AnyStep<T> = Step<unknown, unknown, T>;

/** A typed sequence of steps: each takes what the one before returned. */
export interface Steps<T, O> {
  readonly list: readonly AnyStep<T>[];
  then<N>(step: Step<O, N, T>): Steps<T, N>;
}

export function steps<T>(): Steps<T, Decoded<T>[]> {
  return sequence<T, Decoded<T>[]>([]);
}

function sequence<T, O>(list: readonly AnyStep<T>[]): Steps<T, O> {
  return { list, then: <N>(step: Step<O, N, T>) => sequence<T, N>([...list, step as AnyStep<T>]) };
}

export interface RunnerDeps {
  /** Counts messages dropped, per reason (called once per reason per batch, even when a step threw). */
  countDropped: (reason: DropReason, n: number) => void;
}

/** The batch handler for runConsumer: runs the steps, applies the effects in order, returns the rejected messages. */
export function createBatchRunner<T>(deps: RunnerDeps, sequence: Steps<T, unknown>) {
  const list = sequence.list;
  return async function runBatch(items: Decoded<T>[]): Promise<Rejected<T>[]> {
    const batch = new BatchContext<T>();
    try {
      let value: unknown = items;
      for (const step of list) {
        const r = await step(value, batch);
        if (r.kind === 'ok') value = r.value;
        else {
          if (r.kind === 'dlq') rejectRest(items, batch, r.reason);
          break;
        }
      }
      await applyAll(batch.kafka);
      await applyAll(batch.redis);
    } finally {
      for (const [reason, n] of batch.drops) deps.countDropped(reason, n);
    }
    return batch.rejected;
  };
}

async function applyAll(effects: Effect[]): Promise<void> {
  if (effects.length === 1) await effects[0]!();
  else if (effects.length > 1) await Promise.all(effects.map((e) => e()));
}

function rejectRest<T>(items: Decoded<T>[], batch: BatchContext<T>, reason: string): void {
  const already = new Set(batch.rejected.map((r) => r.item));
  for (const item of items) if (!already.has(item)) batch.reject(item, reason);
}
