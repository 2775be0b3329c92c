// The ingest measurement alone, for comparing gateway changes side by side
// (run it from two checkouts, alternating) and for profiling the gateway.
// Usage: tsx benchmarks/tools/ingest.ts [--seconds 8] [--rounds 3] [--sizes 1,10] [--no-floor] [--profile] [--env NEARCAST_X=v ...]
import { parseArgs } from 'node:util';
import { measureIngest } from '../e2e/ingest.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '3' },
    sizes: { type: 'string', default: '1,10' },
    profile: { type: 'boolean', default: false },
    'no-floor': { type: 'boolean', default: false },
    env: { type: 'string', multiple: true, default: [] },
  },
});
const result = await measureIngest(Number(values.seconds), (l) => console.error(`[ingest] ${l}`), {
  rounds: Number(values.rounds),
  pingsPerRequest: values.sizes!.split(',').map(Number),
  profile: values.profile,
  floor: !values['no-floor'],
  productEnv: Object.fromEntries(
    values.env!.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  ),
});
console.log(JSON.stringify(result));
process.exit(0);
