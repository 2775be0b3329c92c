import { runMain } from '../../pipeline/main.ts';
import { settled, stateCheck } from '../../pipeline/health-server.ts';
import { startMatcher } from './matcher.ts';

await runMain('matcher', async (rt, config, ready) => {
  // startMatcher resolves only after the offer directory caught up and the Redis state is ensured
  // (in that order); until then, and until the group is joined, the health server answers 503.
  const starting = startMatcher(rt);
  ready.set('startup', settled(starting, 'offer directory catching up, then state restore'));
  ready.set('state', stateCheck(rt.redis, config.topics.prefix));
  const matcher = await starting;
  ready.set('group', settled(matcher.joined, 'joining the matcher group'));
  return matcher;
});
