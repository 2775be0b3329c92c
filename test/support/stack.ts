// Vitest global setup for integration tests: bring the local stack up (a no-op
// when it already runs) so `npm test` works on a fresh machine.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ensureDatabase } from '../../coupons/index.ts';
import { loadConfig } from '../../pipeline/config.ts';

export default async function setup(): Promise<void> {
  if (process.env['NEARCAST_SKIP_STACK_UP'] === '1') return;
  const script = fileURLToPath(new URL('../../scripts/stack/up.sh', import.meta.url));
  execFileSync('bash', [script], { stdio: 'inherit' });
  // Gateways built without a database of their own use the default one, and /readyz checks it answers.
  await ensureDatabase(loadConfig({ NEARCAST_TOKEN_SECRET: 'x'.repeat(32) }).databaseUrl);
}
