import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createRuntime, type Runtime } from '../../pipeline/runtime.ts';
import { Revocations } from '../../users/revocations.ts';
import { testConfig } from '../support/env.ts';
import { eventually } from '../support/harness.ts';

describe('revocations across instances', () => {
  let rt: Runtime;
  let a: Revocations;
  let b: Revocations;
  let clock = Date.now();
  beforeAll(async () => {
    rt = await createRuntime(testConfig());
    [a, b] = [
      new Revocations(rt.redis, rt.config.topics.prefix, rt.changelog, () => clock),
      new Revocations(rt.redis, rt.config.topics.prefix, rt.changelog, () => clock),
    ];
    a.listen();
    b.listen();
    await eventually(() => a.listening && b.listening, 5000, 'both subscribed');
  });
  afterAll(async () => {
    a.close();
    b.close();
    await rt.close();
  });

  it('answers from memory while subscribed, and a revocation reaches the other instance without a read', async () => {
    const get = vi.spyOn(rt.redis, 'mget'); // one MGET: the revocation and the erasure tombstone
    expect(await b.revokedBefore('walker')).toBe(0);
    clock += 30_000; // a phone's ping interval later: far past the one-second fallback cache
    expect(await b.revokedBefore('walker')).toBe(0);
    expect(get).toHaveBeenCalledTimes(1);

    const before = await a.revokeAll('walker');
    await eventually(async () => (await b.revokedBefore('walker')) === before, 1000, 'b hears the revocation');
    expect(get).toHaveBeenCalledTimes(1);
    get.mockRestore();
  });

  it('falls back to a one-second cache while the subscription is down', async () => {
    const c = new Revocations(rt.redis, rt.config.topics.prefix, rt.changelog, () => clock); // never listens
    const get = vi.spyOn(rt.redis, 'mget'); // one MGET: the revocation and the erasure tombstone
    await c.revokedBefore('runner');
    clock += 500;
    await c.revokedBefore('runner');
    expect(get).toHaveBeenCalledTimes(1);
    const before = await a.revokeAll('runner');
    clock += 1000;
    expect(await c.revokedBefore('runner')).toBe(before);
    expect(get).toHaveBeenCalledTimes(2);
    get.mockRestore();
  });
});
