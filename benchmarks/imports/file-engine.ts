// One-off measurement of the file engine, end to end: generates a transactions
// CSV (not kept), runs `nearcast import transactions` as a child process, with
// the imports consumer in this process writing to a fresh database, and reports
// rows/s for the importer alone and until the last row is in PostgreSQL.
//   npx tsx benchmarks/imports/file-engine.ts [rows=1000000]
import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../../pipeline/config.ts';
import { createRuntime } from '../../pipeline/runtime.ts';
import { dropDatabase, migrate } from '../../coupons/index.ts';
import { startImportConsumer } from '../../processors/imports/consumer.ts';

const rows = Number(process.argv[2] ?? 1_000_000);
const tag = `b${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
const env = {
  NEARCAST_TOPIC_PREFIX: `${tag}.`,
  NEARCAST_DATABASE_URL: `postgres://postgres@127.0.0.1:5432/nearcast_bench_${tag}`,
  NEARCAST_TOKEN_SECRET: randomBytes(32).toString('hex'),
  NEARCAST_LOG_LEVEL: 'warn',
};
const dir = mkdtempSync(join(tmpdir(), 'nearcast-import-bench-'));
const file = join(dir, 'transactions.csv');

const out = createWriteStream(file);
out.write('transactionId,userId,amountMinor,currency,merchantId,category,occurredAt\n');
const categories = ['food', 'books', 'fashion', 'electronics', 'travel', 'coffee'];
for (let i = 0; i < rows; i++) {
  const line = `tx-${i},user-${i % 100_000},${100 + (i % 50_000)},EUR,merchant-${i % 5000},${categories[i % categories.length]},2026-05-${String(1 + (i % 28)).padStart(2, '0')}T${String(i % 24).padStart(2, '0')}:15:00Z\n`;
  if (!out.write(line)) await once(out, 'drain');
}
out.end();
await once(out, 'finish');
console.log(`generated ${rows} rows, ${(statSync(file).size / 1e6).toFixed(1)} MB`);

const config = loadConfig({ ...process.env, ...env });
await migrate(config.databaseUrl);
const rt = await createRuntime(config);
const consumer = await startImportConsumer(rt);
await consumer.joined;

const t0 = performance.now();
const child = spawn(
  process.execPath,
  [
    new URL('../../cli/nearcast.js', import.meta.url).pathname,
    'import',
    'transactions',
    '--file',
    file,
    '--progress-seconds',
    '10',
  ],
  { env: { ...process.env, ...env }, stdio: 'inherit' },
);
const [code] = (await once(child, 'exit')) as [number];
const tImport = (performance.now() - t0) / 1000;
let stored = 0;
const deadline = Date.now() + 600_000;
while (stored < rows && Date.now() < deadline) {
  stored = Number((await rt.pool.query<{ n: string }>('SELECT count(*) AS n FROM imported_transactions')).rows[0]!.n);
  if (stored < rows) await new Promise((r) => setTimeout(r, 250));
}
const tAll = (performance.now() - t0) / 1000;
console.log(`importer exit ${code}: ${tImport.toFixed(1)} s, ${Math.round(rows / tImport)} rows/s published`);
console.log(`end to end: ${stored} rows in PostgreSQL after ${tAll.toFixed(1)} s, ${Math.round(stored / tAll)} rows/s`);

await consumer.stop();
await rt.close();
await dropDatabase(config.databaseUrl);
rmSync(dir, { recursive: true, force: true });
