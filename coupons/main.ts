// The `coupons-worker` component (`nearcast run coupons-worker`, `npm run start:coupons-worker`):
// the outbox relay, expiry sweeper, impressions consumer and interest learner. It expects a
// migrated database: `nearcast migrate` runs first (an init container in k8s).
import { runMain } from '../pipeline/main.ts';
import { startCouponWorker } from './worker.ts';

await runMain('coupons-worker', async (rt) => startCouponWorker(rt));
