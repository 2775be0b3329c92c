// Vitest global setup for integration tests: bring the local stack up (a no-op
// when it already runs) so `npm test` works on a fresh machine.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  if (process.env['NEARCAST_SKIP_STACK_UP'] === '1') return;
  const script = fileURLToPath(new URL('../../scripts/stack/up.sh', import.meta.url));
  execFileSync('bash', [script], { stdio: 'inherit' });
}
