// Container entry point: `node --import tsx cli/run-component.ts <component>`.
// Kept free of the CLI's dependencies so the image's start path is minimal.
import { COMPONENTS, runComponent } from './components.ts';

const name = process.argv[2];
if (!name || name === '--help' || name === '-h') {
  console.error(`usage: run-component <${Object.keys(COMPONENTS).join('|')}|migrate>`);
  process.exit(name ? 0 : 2);
}
try {
  // `migrate` is the one-shot step before the components (an init container), not a component.
  if (name === 'migrate') await migrateOnce();
  else await runComponent(name);
} catch (err) {
  console.error(`nearcast: ${(err as Error).message}`);
  process.exit(2);
}

async function migrateOnce(): Promise<void> {
  const [{ runMigrations }, { cliConfig }] = await Promise.all([import('./migrate.ts'), import('./context.ts')]);
  await runMigrations(cliConfig(process.env).databaseUrl);
}
