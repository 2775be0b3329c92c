// Rewrites SOAK.md and its plots from a soak's soak.json, e.g. after a change
// to the report code or the growth rule, without soaking again.
// Usage: tsx benchmarks/soak/rebuild.ts [dir] (default benchmarks/results/soak/)
import { readFileSync, writeFileSync } from 'node:fs';
import { buildSoakReport } from './report.ts';
import { processTrends } from './process-trends.ts';
import type { SoakResult } from './result.ts';

const dir = `${(process.argv[2] ?? new URL('../results/soak/', import.meta.url).pathname).replace(/\/$/, '')}/`;
const result = JSON.parse(readFileSync(`${dir}soak.json`, 'utf8')) as SoakResult;
// Trends are refitted, so a change to the rule applies to an old run too (and soak.json is rewritten with them).
result.trends = processTrends(result.samples, result.options.minutes * 60, result.options.steadyFromS);
writeFileSync(`${dir}soak.json`, `${JSON.stringify(result, null, 1)}\n`);
const report = buildSoakReport(result);
writeFileSync(`${dir}SOAK.md`, `${report.markdown}\n`);
for (const [name, svg] of Object.entries(report.svgs)) writeFileSync(`${dir}${name}`, svg);
console.log(`rewrote ${dir}SOAK.md and ${Object.keys(report.svgs).length} plots`);
