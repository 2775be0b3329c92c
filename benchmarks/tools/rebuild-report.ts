// Rewrites REPORT.md and its plots from results/latest-details.json, e.g.
// after a change to the report code, without running the benchmark again.
// Usage: tsx benchmarks/tools/rebuild-report.ts "<command that produced it>" <ISO time of the run>
import { readFileSync, writeFileSync } from 'node:fs';
import { buildReport } from '../report/markdown.ts';
import type { RunResults } from '../report/results.ts';

const OUT = new URL('../results/', import.meta.url).pathname;
const [command = 'npm run bench', when = new Date().toISOString()] = process.argv.slice(2);
const results = JSON.parse(readFileSync(`${OUT}latest-details.json`, 'utf8')) as RunResults;
for (const s of results.scenarios) s.detail.repeats ??= [];
const report = buildReport(results, command, when);
writeFileSync(`${OUT}REPORT.md`, `${report.markdown}\n`);
for (const [name, svg] of Object.entries(report.svgs)) writeFileSync(`${OUT}${name}`, svg);
console.log(`rewrote REPORT.md and ${Object.keys(report.svgs).length} plots`);
