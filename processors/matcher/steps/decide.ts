// The matcher's decisions for a batch: each fresh ping joined with the offers
// around it, the user's state and preferences. Pure but for the metrics.
import { ok, type StepResult } from '../../../pipeline/results.ts';
import type { BatchContext } from '../../../pipeline/steps.ts';
import type { Metrics } from '../../../pipeline/metrics.ts';
import { DEFAULT_PREFERENCES } from '../../../users/user-preferences.ts';
import type { LocationPing, PushRequest } from '../../../schemas/types.ts';
import { decide, type DecisionRecord, type MatcherSettings, type UserGeoState } from '../decide.ts';
import type { OfferDirectory } from '../directory.ts';
import type { LoadedPings } from './state.ts';

export interface Decided {
  /** States as loaded, to tell which changes the changelog must carry. */
  before: Map<string, UserGeoState>;
  changed: Map<string, UserGeoState>;
  pushes: PushRequest[];
  records: Array<{ userId: string; record: DecisionRecord }>;
}

export interface DecideDeps {
  directory: OfferDirectory;
  settings: MatcherSettings;
  metrics: Metrics;
}

export function createDecideStep(d: DecideDeps) {
  // Labelled children looked up once, and counts added once per batch: prom-client hashes the labels on every call.
  const decisionCounters = new Map<string, ReturnType<typeof d.metrics.decisions.labels>>();
  const countDecisions = (counts: Map<string, number>) => {
    for (const [outcome, n] of counts) {
      let c = decisionCounters.get(outcome);
      if (!c) decisionCounters.set(outcome, (c = d.metrics.decisions.labels({ outcome })));
      c.inc(n);
    }
  };

  return function decideBatch(loaded: LoadedPings, batch: BatchContext<LocationPing>): StepResult<Decided> {
    const { t, fresh, states, erased, prefs } = loaded;
    const before = new Map(states);
    const changed = new Map<string, UserGeoState>();
    const pushes: PushRequest[] = [];
    const records: Decided['records'] = [];
    const outcomes = new Map<string, number>();
    let candidateCount = 0;
    for (const ping of fresh) {
      if (erased.has(ping.userId)) {
        batch.drop('erased'); // a late ping of an erased user: write nothing
        continue;
      }
      const candidates = d.directory.candidates(ping.lat, ping.lng);
      candidateCount += candidates.length;
      const prefsOf = prefs.get(ping.userId) ?? DEFAULT_PREFERENCES;
      const decision = decide(ping, candidates, states.get(ping.userId), prefsOf, t, d.settings);
      outcomes.set(decision.outcome, (outcomes.get(decision.outcome) ?? 0) + 1);
      if (decision.next) {
        states.set(ping.userId, decision.next);
        changed.set(ping.userId, decision.next);
      }
      pushes.push(...decision.pushes);
      if (candidates.length > 0) records.push({ userId: ping.userId, record: decision.record });
    }
    d.metrics.candidates.inc(candidateCount);
    countDecisions(outcomes);
    return ok({ before, changed, pushes, records });
  };
}
