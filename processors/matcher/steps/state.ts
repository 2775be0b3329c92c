// Loading and saving what the matcher knows of each user. Loading comes first
// (before any decision); saving is an effect the runner applies only once the
// pushes and the changelog are durable in Kafka, so saved state never claims a
// push that was not made.
import { ok, type StepResult } from '../../../pipeline/results.ts';
import type { BatchContext } from '../../../pipeline/steps.ts';
import { ensureState, type RestoreDeps } from '../../../pipeline/state-restore.ts';
import type { UserPreferences } from '../../../users/user-preferences.ts';
import type { DecisionLog } from '../../../users/decision-log.ts';
import type { LocationPing } from '../../../schemas/types.ts';
import type { UserGeoState } from '../decide.ts';
import type { PreferenceCache } from '../preference-cache.ts';
import type { UserStateStore } from '../user-state.ts';
import type { FreshPings } from './input.ts';
import type { Decided } from './decide.ts';

export interface LoadedPings extends FreshPings {
  states: Map<string, UserGeoState>;
  erased: Set<string>;
  prefs: Map<string, UserPreferences>;
}

export interface LoadStateDeps {
  store: UserStateStore;
  prefCache: PreferenceCache;
  restore: RestoreDeps;
}

export function createLoadStateStep(d: LoadStateDeps) {
  return async function loadState({ t, fresh }: FreshPings): Promise<StepResult<LoadedPings>> {
    const userIds = fresh.map((p) => p.userId);
    // States and preferences read together: one write to Redis, one round trip.
    const reads = [d.store.loadMany(userIds), d.prefCache.getMany(userIds, t)] as const;
    let [{ states, intact, erased }, prefs] = await Promise.all(reads);
    if (!intact) {
      await ensureState(d.restore); // Redis restarted empty: rebuild it from the changelog before deciding anything
      ({ states, intact, erased } = await d.store.loadMany(userIds));
      if (!intact) throw new Error('Redis state is still missing after a restore'); // kafkajs retries the batch
      d.prefCache.forget(userIds); // read from the emptied Redis
      prefs = await d.prefCache.getMany(userIds, t);
    }
    return ok({ t, fresh, states, erased, prefs });
  };
}

export interface PersistDeps {
  store: UserStateStore;
  decisionLog: DecisionLog;
}

export function createPersistStep(d: PersistDeps) {
  return function persist(decided: Decided, batch: BatchContext<LocationPing>): StepResult<Decided> {
    batch.redis.push(
      () => d.store.saveMany(decided.changed),
      () => d.decisionLog.append(decided.records),
    );
    return ok(decided);
  };
}
