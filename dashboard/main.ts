// `nearcast run dashboard`: the live dashboard as its own small process (one replica).
import { runMain } from '../pipeline/main.ts';
import { startDashboard } from './dashboard.ts';

await runMain('dashboard', async (rt, config) => {
  const d = await startDashboard(rt);
  await d.app.listen({ host: config.dashboard.host, port: config.dashboard.port });
  return { stop: () => d.stop() };
});
