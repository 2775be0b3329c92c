// The gateway process: builds the app and listens. It migrates nothing and runs no
// background work: `nearcast migrate` runs first, `coupons-worker` beside it.
import { runMain } from '../pipeline/main.ts';
import { buildGateway } from './app.ts';

await runMain('gateway', async (rt, config) => {
  const app = await buildGateway(rt);
  await app.listen({ host: config.gateway.host, port: config.gateway.port });
  return { stop: () => app.close() };
});
