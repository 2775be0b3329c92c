// The batch runner (pipeline/steps.ts): effects in order (Kafka acknowledged
// before any Redis write starts, both before the runner returns, which is when
// runConsumer lets the offsets commit), a step that throws stops the batch, and
// the messages steps drop or reject are counted and handed back.
import { describe, expect, it } from 'vitest';
import type { KafkaMessage } from 'kafkajs';
import type { Decoded } from '../../pipeline/consumer.ts';
import { dlq, drop, ok, type DropReason } from '../../pipeline/results.ts';
import { createBatchRunner, steps, type BatchContext } from '../../pipeline/steps.ts';

const items = (...values: number[]): Decoded<number>[] =>
  values.map((value, i) => ({ value, message: { offset: String(i) } as KafkaMessage, partition: 0 }));

function recorder() {
  const log: string[] = [];
  const dropped = new Map<DropReason, number>();
  const countDropped = (reason: DropReason, n: number) => void dropped.set(reason, (dropped.get(reason) ?? 0) + n);
  /** An effect that logs its start, then its end one macrotask later (as an acknowledgement would arrive). */
  const effect = (name: string) => async () => {
    log.push(`${name}:start`);
    await new Promise((r) => setTimeout(r, 1));
    log.push(`${name}:done`);
  };
  return { log, dropped, countDropped, effect };
}

describe('batch runner', () => {
  it('awaits every Kafka effect before starting a Redis write, and both before it returns', async () => {
    const r = recorder();
    const run = createBatchRunner<number>(
      { countDropped: r.countDropped },
      steps<number>()
        .then(function persist(input: Decoded<number>[], b: BatchContext<number>) {
          b.redis.push(r.effect('redis-a'), r.effect('redis-b')); // returned first, applied last
          return ok(input.map((i) => i.value));
        })
        .then(function emit(values: number[], b: BatchContext<number>) {
          b.kafka.push(r.effect('kafka-a'), r.effect('kafka-b'));
          return ok(values.length);
        }),
    );
    await run(items(1, 2));
    r.log.push('returned (commit)');
    expect(r.log.slice(0, 4).sort()).toEqual(['kafka-a:done', 'kafka-a:start', 'kafka-b:done', 'kafka-b:start']);
    expect(r.log.slice(4, 8).sort()).toEqual(['redis-a:done', 'redis-a:start', 'redis-b:done', 'redis-b:start']);
    expect(r.log[8]).toBe('returned (commit)');
  });

  it('stops at a step that throws: no later step runs and no effect is applied', async () => {
    const r = recorder();
    const run = createBatchRunner<number>(
      { countDropped: r.countDropped },
      steps<number>()
        .then((input: Decoded<number>[], b: BatchContext<number>) => {
          b.kafka.push(r.effect('kafka'));
          b.redis.push(r.effect('redis'));
          b.drop('stale');
          return ok(input);
        })
        .then(async () => {
          await Promise.resolve();
          throw new Error('Redis is down');
        })
        .then(() => {
          r.log.push('after');
          return ok(0);
        }),
    );
    await expect(run(items(1))).rejects.toThrow('Redis is down');
    expect(r.log).toEqual([]);
    expect(r.dropped).toEqual(new Map([['stale', 1]])); // counted as the old code did, even on a failed batch
  });

  it('counts drops once per reason and returns rejected messages for the dead-letter topic', async () => {
    const r = recorder();
    const run = createBatchRunner<number>(
      { countDropped: r.countDropped },
      steps<number>().then((input: Decoded<number>[], b: BatchContext<number>) => {
        for (const item of input) {
          if (item.value < 0) b.reject(item, 'negative');
          else if (item.value > 100) b.drop('stale');
        }
        b.drop('expired', 2);
        return ok(input);
      }),
    );
    const batch = items(-1, 5, 500, 600, -2);
    const rejected = await run(batch);
    expect(rejected.map((x) => [x.item.value, x.reason])).toEqual([
      [-1, 'negative'],
      [-2, 'negative'],
    ]);
    expect(r.dropped).toEqual(
      new Map([
        ['stale', 2],
        ['expired', 2],
      ]),
    );
  });

  it('a batch-level drop stops the steps but applies the effects already returned', async () => {
    const r = recorder();
    const run = createBatchRunner<number>(
      { countDropped: r.countDropped },
      steps<number>()
        .then((input: Decoded<number>[], b: BatchContext<number>) => {
          b.kafka.push(r.effect('kafka'));
          return input.length > 0 ? drop('empty') : ok(input);
        })
        .then(() => {
          r.log.push('after');
          return ok(0);
        }),
    );
    expect(await run(items(1))).toEqual([]);
    expect(r.log).toEqual(['kafka:start', 'kafka:done']);
  });

  it('a batch-level dlq dead-letters every message not already rejected, once', async () => {
    const r = recorder();
    const run = createBatchRunner<number>(
      { countDropped: r.countDropped },
      steps<number>().then((input: Decoded<number>[], b: BatchContext<number>) => {
        b.reject(input[0]!, 'bad');
        return dlq('schema mismatch');
      }),
    );
    const rejected = await run(items(1, 2, 3));
    const expected = [
      [1, 'bad'],
      [2, 'schema mismatch'],
      [3, 'schema mismatch'],
    ];
    expect(rejected.map((x) => [x.item.value, x.reason])).toEqual(expected);
  });
});
