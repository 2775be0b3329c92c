// `npm run start:coupons`: migrates the database, then runs the outbox relay
// and the expiry sweeper.
import { runMain } from '../../pipeline/main.ts';
import { migrate } from './db.ts';
import { startCouponWorker } from './worker.ts';

await runMain('coupons', async (rt, config) => {
  await migrate(config.databaseUrl, rt.log);
  return startCouponWorker(rt);
});
