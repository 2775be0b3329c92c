#!/usr/bin/env node
// `nearcast` launcher (package.json bin): registers tsx relative to this file, so the CLI
// runs its TypeScript from any working directory, then hands over to cli/main.ts.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
