// `nearcast run imports`: consumes the import topics into Redis and PostgreSQL.
// It expects a migrated database (the imported_transactions table): `nearcast
// migrate` runs first. Any number of instances share the partitions.
import { runMain } from '../../pipeline/main.ts';
import { startImportConsumer } from './consumer.ts';

await runMain('imports', async (rt) => startImportConsumer(rt));
