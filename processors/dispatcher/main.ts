import { runMain } from '../../pipeline/main.ts';
import { settled, stateCheck } from '../../pipeline/health-server.ts';
import { startDispatcher } from './dispatcher.ts';

await runMain('dispatcher', async (rt, config, ready) => {
  // startDispatcher resolves once the Redis state is ensured; then it joins its group. Until both, 503.
  const starting = startDispatcher(rt);
  ready.set('startup', settled(starting, 'state restore'));
  ready.set('state', stateCheck(rt.redis, config.topics.prefix));
  const dispatcher = await starting;
  ready.set('group', settled(dispatcher.joined, 'joining the dispatcher group'));
  return dispatcher;
});
