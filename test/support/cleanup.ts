// Vitest setup file (integration project): once a test file is done, remove
// what it made on the shared stack under every prefix and database it was
// handed (test/support/env.ts), also when its tests failed. Registered before
// the file's own hooks, so with vitest's stacked hooks it runs after them:
// consumers are closed by then and their groups empty.
import { afterAll } from 'vitest';
import { issued } from './env.ts';
import { cleanPrefixes, dropDatabases } from '../../scripts/leftovers.ts';

afterAll(async () => {
  const prefixes = [...issued.prefixes];
  const databases = [...issued.databases];
  issued.prefixes.clear();
  issued.databases.clear();
  const problems = [
    ...(await cleanPrefixes(prefixes).catch((err: Error) => [err.message])),
    ...(await dropDatabases(databases)),
  ];
  if (problems.length > 0) console.warn(`test cleanup left something behind: ${problems.join('; ')}`);
}, 120_000);
