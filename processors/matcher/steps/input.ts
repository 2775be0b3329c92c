// The matcher's first steps: dead-letter pings that cannot be true, then drop
// the stale ones. Both pass the batch on without copying it when nothing goes.
import type { Decoded } from '../../../pipeline/consumer.ts';
import { drop, ok, type StepResult } from '../../../pipeline/results.ts';
import type { BatchContext } from '../../../pipeline/steps.ts';
import type { LocationPing } from '../../../schemas/types.ts';
import { checkFresh, checkValid } from '../decide.ts';

type Pings = Decoded<LocationPing>[];

export function createValidateStep() {
  return function validate(items: Pings, batch: BatchContext<LocationPing>): StepResult<Pings> {
    let valid: Pings | undefined;
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      const r = checkValid(item.value);
      if (r.kind === 'dlq') {
        batch.reject(item, r.reason);
        valid ??= items.slice(0, i);
      } else valid?.push(item);
    }
    return ok(valid ?? items);
  };
}

/** Fresh pings, and the time the batch is judged at (one clock reading for every later step). */
export interface FreshPings {
  t: number;
  fresh: LocationPing[];
}

export interface DropStaleDeps {
  now: () => number;
  ttlMs: number;
  /** Device-to-matcher latency of every valid ping, stale or not. */
  latency: { observe(seconds: number): void };
}

export function createDropStaleStep(d: DropStaleDeps) {
  return function dropStale(items: Pings, batch: BatchContext<LocationPing>): StepResult<FreshPings> {
    const t = d.now();
    const fresh: LocationPing[] = [];
    for (const item of items) {
      d.latency.observe(Math.max(0, t - item.value.deviceTs) / 1000);
      const f = checkFresh(item.value, t, d.ttlMs);
      if (f.kind === 'ok') fresh.push(f.value);
      else if (f.kind === 'drop') batch.drop(f.reason);
    }
    return fresh.length === 0 ? drop('empty') : ok({ t, fresh });
  };
}
