// The dispatcher's first steps: drop repeats and expired requests, then skip
// what the push ledger says was already sent or claimed. Every request that
// stops here still gets its delivery result.
import type { Decoded } from '../../../pipeline/consumer.ts';
import { ok, type StepResult } from '../../../pipeline/results.ts';
import type { BatchContext } from '../../../pipeline/steps.ts';
import type { PushRequest } from '../../../schemas/types.ts';
import type { PushLedger } from '../ledger.ts';
import type { MakeResult, Results } from './result.ts';

type Batch = BatchContext<PushRequest>;

export interface Admitted extends Results {
  live: PushRequest[];
}

export function createDropExpiredStep(d: { now: () => number; result: MakeResult }) {
  return function dropExpired(items: Decoded<PushRequest>[], batch: Batch): StepResult<Admitted> {
    const t = d.now();
    const results: Results['results'] = [];
    const live: PushRequest[] = [];
    const seen = new Set<string>();
    for (const { value } of items) {
      if (seen.has(value.pushId)) continue;
      seen.add(value.pushId);
      if (value.expiresTs > t) live.push(value);
      else {
        batch.drop('expired');
        results.push(d.result(value, { outcome: 'EXPIRED' }));
      }
    }
    return ok({ live, results });
  };
}

export interface Unsent extends Results {
  fresh: PushRequest[];
}

/** A redelivered push is never sent again: a finished one has its results republished, a claimed one is in doubt. */
export function createSkipRedeliveredStep(d: { ledger: PushLedger; result: MakeResult }) {
  return async function skipRedelivered(admitted: Admitted, batch: Batch): Promise<StepResult<Unsent>> {
    const { live, results } = admitted;
    const states = await d.ledger.states(live.map((r) => r.pushId));
    const fresh: PushRequest[] = [];
    live.forEach((req, i) => {
      const state = states[i]!;
      if (state.kind === 'new') return void fresh.push(req);
      if (state.kind === 'done') {
        batch.drop('duplicate');
        for (const o of state.outcomes) results.push(d.result(req, { ...o, reason: FINISHED }));
        return;
      }
      batch.drop('in_doubt');
      results.push(d.result(req, { outcome: 'UNKNOWN', reason: IN_DOUBT }));
    });
    return ok({ fresh, results });
  };
}

const FINISHED = 'finished before a restart; not sent again';
const IN_DOUBT =
  'in doubt: a dispatcher that stopped before recording the send had claimed it; not sent again (at most once)';
