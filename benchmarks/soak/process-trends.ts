// The memory trend of every watched process (RSS, and the V8 heap where a
// component exports it) from a soak's samples taken under load. Pure.
import type { SoakResult } from './result.ts';
import type { Sample } from './sampler.ts';
import { memoryTrend } from './trend.ts';

const MiB = 1048576;

export function processTrends(samples: readonly Sample[], loadS: number, steadyFromS: number): SoakResult['trends'] {
  const underLoad = samples.filter((s) => s.s <= loadS + 1); // not the sample taken after the drain
  const alive = (s: Sample, p: string) => (s.procs[p]?.rssBytes ?? 0) > 0; // a process exiting shows no RSS
  const names = [...new Set(samples.flatMap((s) => Object.keys(s.procs)))];
  const out: SoakResult['trends'] = {};
  for (const p of names) {
    const rss = underLoad.flatMap((s) => (alive(s, p) ? [[s.s, s.procs[p]!.rssBytes / MiB] as [number, number]] : []));
    const heap = underLoad.flatMap((s) =>
      alive(s, p) && s.procs[p]!.heapUsedBytes !== undefined
        ? [[s.s, s.procs[p]!.heapUsedBytes! / MiB] as [number, number]]
        : [],
    );
    out[p] = { rss: memoryTrend(rss, steadyFromS), ...(heap.length ? { heap: memoryTrend(heap, steadyFromS) } : {}) };
  }
  return out;
}
