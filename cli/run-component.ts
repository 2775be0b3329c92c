// Container entry point: `node --import tsx cli/run-component.ts <component>`.
// Kept free of the CLI's dependencies so the image's start path is minimal.
import { COMPONENTS, runComponent } from './components.ts';

const name = process.argv[2];
if (!name || name === '--help' || name === '-h') {
  console.error(`usage: run-component <${Object.keys(COMPONENTS).join('|')}>`);
  process.exit(name ? 0 : 2);
}
try {
  await runComponent(name);
} catch (err) {
  console.error(`nearcast: ${(err as Error).message}`);
  process.exit(2);
}
