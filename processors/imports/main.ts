// `nearcast run imports`: migrates the database (the imported_transactions
// table), then consumes the import topics. Any number of instances share the
// partitions.
import { runMain } from '../../pipeline/main.ts';
import { migrate } from '../coupons/db.ts';
import { startImportConsumer } from './consumer.ts';

await runMain('imports', async (rt, config) => {
  await migrate(config.databaseUrl, rt.log);
  return startImportConsumer(rt);
});
