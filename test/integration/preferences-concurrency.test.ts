// Preferences have several live writers (the data-science API on any gateway,
// bulk import, the phone's consent switch, the interest learner). Each reads,
// changes its part and writes back; concurrent writers must not undo each
// other, above all a consent withdrawal.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, type Runtime } from '../../pipeline/runtime.ts';
import { DEFAULT_PREFERENCES, PreferenceStore } from '../../users/user-preferences.ts';
import type { StateChangelog, StateWrite } from '../../pipeline/state-changelog.ts';
import { testConfig } from '../support/env.ts';

describe('concurrent preference writers', () => {
  let rt: Runtime;
  let store: PreferenceStore;
  beforeAll(async () => {
    rt = await createRuntime(testConfig());
    store = new PreferenceStore(rt.redis, rt.config.topics.prefix, rt.changelog);
  });
  afterAll(() => rt?.close());

  // Separate stores stand for separate processes (gateways, importer, learner).
  const another = () => new PreferenceStore(rt.redis, rt.config.topics.prefix, rt.changelog);

  it('keeps every one of 40 concurrent partial updates from four writers', async () => {
    const writers = [store, another(), another(), another()];
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        writers[i % 4]!.update('busy', (p) => ({
          ...(p ?? DEFAULT_PREFERENCES),
          interests: { ...p?.interests, [`cat-${i}`]: i / 40 },
        })),
      ),
    );
    const stored = await store.get('busy');
    expect(Object.keys(stored!.interests).sort()).toEqual(Array.from({ length: 40 }, (_, i) => `cat-${i}`).sort());
  });

  it('never brings back a consent withdrawn while a learner was writing', async () => {
    const phone = another();
    await store.update('cleo', () => ({ ...DEFAULT_PREFERENCES, consent: true }));
    // The interleaving is forced, not hoped for: the learner reads consent=true, then its
    // write waits (in its changelog step) until the phone's withdrawal has landed in Redis.
    let withdrawn: Promise<unknown> | undefined;
    let learnerReads = 0;
    const held = {
      record: async (writes: readonly StateWrite[]) => {
        await withdrawn;
        return rt.changelog.record(writes);
      },
    } as unknown as StateChangelog;
    const learner = new PreferenceStore(rt.redis, rt.config.topics.prefix, held);
    await learner.update('cleo', (p) => {
      learnerReads++;
      withdrawn ??= phone.update('cleo', (q) => ({ ...q!, consent: false }));
      return { ...p!, learnedInterests: { food: 0.9 } };
    });
    const stored = await store.get('cleo');
    // A plain read-modify-write would have written consent=true back here.
    expect(stored?.consent).toBe(false);
    expect(stored?.learnedInterests).toEqual({ food: 0.9 });
    expect(learnerReads).toBe(2); // its first compare-and-set lost, so it read again
  });
});
