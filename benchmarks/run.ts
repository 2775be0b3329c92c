// `npm run bench` (quick, under 3 minutes) and `npm run bench:full`: the
// end-to-end scenarios, then the side-by-side alternatives, then
// benchmarks/results/latest.json, REPORT.md and its plots.
//   --plan quick|full   --out <dir>   --only <scenario,…>   --skip e2e,ingest,broker,lookup,memory,claims
//   --profile gateway,matcher,dispatcher   --phones N --interval S --steady S --connections N
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createKafka } from '../pipeline/kafka.ts';
import { createLogger } from '../pipeline/logger.ts';
import { loadConfig } from '../pipeline/config.ts';
import { PLANS, overloadScenario } from './plans.ts';
import { runScenario, type ScenarioSpec } from './e2e/scenario.ts';
import { largestSustained } from './e2e/summary.ts';
import { measureIngest } from './e2e/ingest.ts';
import { kafkajsCeiling, producerPerformance } from './alternatives/broker.ts';
import { compareLookups } from './alternatives/geo-lookup.ts';
import { compareClaims } from './alternatives/claims-compare.ts';
import { buildReport } from './report/markdown.ts';
import { latestJson, type RunResults } from './report/results.ts';

const { values } = parseArgs({
  options: {
    plan: { type: 'string', default: 'quick' },
    only: { type: 'string' },
    skip: { type: 'string', default: '' },
    profile: { type: 'string' },
    out: { type: 'string' },
    phones: { type: 'string' },
    interval: { type: 'string' },
    steady: { type: 'string' },
    connections: { type: 'string' },
  },
});
const plan = PLANS[values.plan!];
if (!plan) throw new Error(`unknown plan ${values.plan}; one of ${Object.keys(PLANS).join(', ')}`);
const skip = new Set(values.skip!.split(',').filter(Boolean));
const log = (l: string) => console.log(`[bench] ${l}`);
const ROOT = new URL('../', import.meta.url).pathname;
const OUT = values.out ? `${values.out.replace(/\/$/, '')}/` : `${ROOT}benchmarks/results/`;
const urls = { redis: 'redis://127.0.0.1:6379', postgres: 'postgres://postgres@127.0.0.1:5432' };

const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
const results: RunResults = { commit, plan: values.plan!, scenarios: [] };

if (!skip.has('e2e')) {
  for (const spec of plan.scenarios) {
    if (values.only && !values.only.split(',').includes(spec.name)) continue;
    results.scenarios.push(await runScenario(withOverrides(spec), log));
    log(`${spec.name}: ${JSON.stringify(results.scenarios.at(-1)!.e2e)}`);
  }
  if (plan.overload && (!values.only || values.only.includes('overload-2x'))) {
    const sustained = largestSustained(results.scenarios);
    const best = sustained
      ? sustained.window.offeredPerSec
      : Math.max(500, ...results.scenarios.map((s) => s.detail.window.pingsPerSec * 0.8));
    log(`overload: highest sustained rate ${Math.round(best)}/s, so 2× is ${Math.round(2 * best)}/s`);
    results.scenarios.push(await runScenario(withOverrides(overloadScenario(best)), log));
  }
}
if (!skip.has('ingest')) results.ingest = await measureIngest(plan.ingestSeconds, log, { rounds: plan.ingestRounds });
if (!skip.has('broker')) {
  const kafka = createKafka(loadConfig({ NEARCAST_TOKEN_SECRET: 'x'.repeat(32) }), createLogger('warn'), '-bench');
  const admin = kafka.admin();
  await admin.connect();
  results.broker = [];
  results.kafkajs = [];
  const topic = { partitions: 6, retentionMs: 24 * 3_600_000, timeoutS: 180 };
  // Rounds alternate between the Java tool and kafkajs, so both see the same machine noise.
  for (let i = 0; i < plan.brokerRounds; i++) {
    results.broker.push(await producerPerformance(admin, { ...topic, records: plan.brokerRecords }));
    log(`broker: ProducerPerformance ${results.broker.at(-1)!.raw}`);
    results.kafkajs.push(await kafkajsCeiling(admin, { ...topic, records: Math.min(plan.brokerRecords, 600_000) }));
    log(`broker: kafkajs alone ${JSON.stringify(results.kafkajs.at(-1))}`);
  }
  await admin.disconnect();
}
if (!skip.has('lookup'))
  results.lookup = await compareLookups(
    plan.lookup.offers,
    plan.lookup.pings,
    plan.lookup.seconds,
    plan.lookup.rounds,
    urls,
    log,
  );
if (!skip.has('memory')) {
  const out = execFileSync(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', `${ROOT}benchmarks/procs/offer-memory.ts`, '10000'],
    { cwd: ROOT, encoding: 'utf8' },
  );
  results.offerMemory = JSON.parse(out) as RunResults['offerMemory'];
  log(`memory: ${out}`);
}
if (!skip.has('claims')) {
  results.claims = await compareClaims(urls.postgres, plan.claims, log);
  log(
    `claims: ${results.claims.byConcurrency.map((c) => `${c.concurrency} concurrent: row lock ${c.rowLock.claimsPerSec}/s, nearcast ${c.nearcast.claimsPerSec}/s`).join('; ')}; cap check ${JSON.stringify(results.claims.capCheck)}`,
  );
}

mkdirSync(OUT, { recursive: true });
const json = latestJson(results);
writeFileSync(`${OUT}latest.json`, `${JSON.stringify(json, null, 2)}\n`);
writeFileSync(`${OUT}latest-details.json`, JSON.stringify(results));
const extra = process.argv
  .slice(2)
  .filter((a, i, all) => !['--plan', '--out'].includes(a) && !['--plan', '--out'].includes(all[i - 1] ?? ''));
const report = buildReport(
  results,
  `npm run ${values.plan === 'full' ? 'bench:full' : 'bench'}${extra.length ? ` -- ${extra.join(' ')}` : ''}`,
  new Date().toISOString(),
);
writeFileSync(`${OUT}REPORT.md`, `${report.markdown}\n`);
for (const [name, svg] of Object.entries(report.svgs)) writeFileSync(`${OUT}${name}`, svg);
log(`wrote benchmarks/results/latest.json and REPORT.md\n${JSON.stringify(json, null, 2)}`);
process.exit(0);

function withOverrides(spec: ScenarioSpec): ScenarioSpec {
  return {
    ...spec,
    ...(values.profile ? { profile: values.profile.split(',') } : {}),
    ...(values.phones ? { phones: Number(values.phones) } : {}),
    ...(values.interval ? { intervalMs: Number(values.interval) * 1000 } : {}),
    ...(values.steady ? { steadyS: Number(values.steady) } : {}),
    ...(values.connections ? { connections: Number(values.connections) } : {}),
  };
}
