// Cold start: every component started at the same moment on a broker where
// its topics do not exist yet. Each one creates the topics it finds missing
// or finds them created by another a moment before, possibly before their
// leaders are elected; none may crash. Two of each, five rounds.
import { describe, expect, it } from 'vitest';
import webpush from 'web-push';
import { loadConfig } from '../../pipeline/config.ts';
import { createRuntime, type Runtime } from '../../pipeline/runtime.ts';
import { buildGateway } from '../../gateway/app.ts';
import { startMatcher } from '../../processors/matcher/matcher.ts';
import { startDispatcher } from '../../processors/dispatcher/dispatcher.ts';
import { testEnv } from '../support/env.ts';

type Stop = () => Promise<unknown>;

async function component(kind: 'gateway' | 'matcher' | 'dispatcher', env: Record<string, string>, rts: Runtime[]) {
  const rt = await createRuntime(loadConfig(env), { name: kind });
  rts.push(rt);
  if (kind === 'gateway') {
    const app = await buildGateway(rt);
    return (() => app.close()) as Stop;
  }
  const c = kind === 'matcher' ? await startMatcher(rt) : await startDispatcher(rt);
  await c.joined;
  return (() => c.stop()) as Stop;
}

describe('cold start on fresh topics', () => {
  it('two of every component, started at once, all become ready, five times', async () => {
    for (let round = 0; round < 5; round++) {
      const vapid = webpush.generateVAPIDKeys();
      const env = testEnv({ NEARCAST_VAPID_PUBLIC_KEY: vapid.publicKey, NEARCAST_VAPID_PRIVATE_KEY: vapid.privateKey });
      const rts: Runtime[] = [];
      const kinds = ['gateway', 'matcher', 'dispatcher', 'gateway', 'matcher', 'dispatcher'] as const;
      const started = await Promise.allSettled(kinds.map((k) => component(k, env, rts)));
      const failed = started.flatMap((s, i) => (s.status === 'rejected' ? [`${kinds[i]}: ${String(s.reason)}`] : []));
      await Promise.allSettled(started.map((s) => (s.status === 'fulfilled' ? s.value() : undefined)));
      await Promise.allSettled(rts.map((rt) => rt.close()));
      expect(failed, `round ${round}`).toEqual([]);
    }
  }, 300_000);
});
