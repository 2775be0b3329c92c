import { runMain } from '../../pipeline/main.ts';
import { startDispatcher } from './dispatcher.ts';

await runMain('dispatcher', (rt) => startDispatcher(rt));
