// Summarises a V8 .cpuprofile (from `node --cpu-prof`): self time by
// function and by package, so FINDINGS.md can name the hot spots.
// Usage: tsx benchmarks/tools/profile-summary.ts <file.cpuprofile> [top]
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

const [file, topArg] = process.argv.slice(2);
if (!file) throw new Error('usage: profile-summary.ts <file.cpuprofile> [top]');
const prof = JSON.parse(readFileSync(file, 'utf8')) as { nodes: Node[]; samples: number[] };
const top = Number(topArg ?? 25);
const hits = new Map<number, number>();
for (const id of prof.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
const total = prof.samples.length;

export function packageOf(url: string): string {
  if (!url) return '(native/gc/idle)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 13).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (url.startsWith('node:')) return url;
  const m = /\/work\/main\/([^/]+\/[^/]+)/.exec(url);
  return m ? m[1]! : url;
}

const byFn = new Map<string, number>();
const byPkg = new Map<string, number>();
for (const n of prof.nodes) {
  const h = hits.get(n.id) ?? 0;
  if (!h) continue;
  const f = `${n.callFrame.functionName || '(anonymous)'} ${packageOf(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
  byFn.set(f, (byFn.get(f) ?? 0) + h);
  const p = packageOf(n.callFrame.url);
  byPkg.set(p, (byPkg.get(p) ?? 0) + h);
}
const pct = (h: number) => `${((h / total) * 100).toFixed(1).padStart(5)}%`;
console.log(`${total} samples\n\nby package:`);
for (const [p, h] of [...byPkg].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(h)}  ${p}`);
console.log('\nby function (self):');
for (const [f, h] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(h)}  ${f}`);
