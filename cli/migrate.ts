// The migrate step, its own step before any component starts: `nearcast migrate`, or the
// image's `migrate` (a k8s init container: `args: ["migrate"]`). Creates the database if it
// is missing and applies pending migrations. Safe to run many at once: one PostgreSQL
// advisory lock serialises them, and what is applied already is skipped.
import { migrate } from '../coupons/index.ts';

export async function runMigrations(databaseUrl: string, out: (line: string) => void = console.log): Promise<void> {
  const applied = await migrate(databaseUrl);
  out(applied.length ? `applied ${applied.length} migration(s): ${applied.join(', ')}` : 'database up to date');
}
