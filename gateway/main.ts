import { runMain } from '../pipeline/main.ts';
import { migrate } from '../processors/coupons/db.ts';
import { startCouponWorker } from '../processors/coupons/worker.ts';
import { buildGateway } from './app.ts';

await runMain('gateway', async (rt, config) => {
  // The coupon database is created and migrated before the first request; the
  // outbox relay and expiry sweeper run beside every gateway (they cooperate).
  await migrate(config.databaseUrl, rt.log);
  const coupons = startCouponWorker(rt);
  const app = await buildGateway(rt);
  await app.listen({ host: config.gateway.host, port: config.gateway.port });
  return {
    stop: async () => {
      await app.close();
      await coupons.stop();
    },
  };
});
