// A process killed while restoring Redis state leaves its lease behind. The
// others must take over within a lease, not wait out a long lock.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, type Runtime } from '../../pipeline/runtime.ts';
import { ensureState, epochKey, restoreLockKey } from '../../pipeline/state-restore.ts';
import { topicNames } from '../../pipeline/kafka.ts';
import { testConfig } from '../support/env.ts';

describe('state restore after its holder died', () => {
  let rt: Runtime;
  beforeAll(async () => {
    rt = await createRuntime(testConfig());
  });
  afterAll(async () => rt?.close());

  it('takes over a dead holder’s restore within seconds', async () => {
    const prefix = rt.config.topics.prefix;
    const deps = {
      redis: rt.redis,
      kafka: rt.kafka,
      codecs: rt.codecs,
      log: rt.log,
      topic: topicNames(prefix).stateChangelog,
      keyPrefix: prefix,
    };
    await rt.redis.del(epochKey(prefix));
    // What a process SIGKILLed mid-restore leaves: the lease it last renewed, never released.
    await rt.redis.set(restoreLockKey(prefix), 'dead-process', 'PX', 5000);
    const started = Date.now();
    expect(await ensureState(deps)).toBe('restored');
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(await rt.redis.exists(epochKey(prefix))).toBe(1);
    expect(await rt.redis.exists(restoreLockKey(prefix))).toBe(0);
  }, 60_000);
});
