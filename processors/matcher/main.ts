import { runMain } from '../../pipeline/main.ts';
import { startMatcher } from './matcher.ts';

await runMain('matcher', (rt) => startMatcher(rt));
