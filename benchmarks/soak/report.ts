// SOAK.md and its plots from a soak's result: memory over time per process
// with its fitted trend, latency percentiles and throughput per minute, and
// the loss and duplicate counts. Pure.
import { lineChart, type Series } from '../report/svg.ts';
import type { SoakResult } from './result.ts';
import type { Trend } from './trend.ts';

const MiB = 1048576;

/** Why the default load is what it is (soak.ts's defaults: 30,000 phones, 30 s). */
export const DEFAULT_LOAD_RATIONALE =
  'The 10,000 pings/s target is out of reach on this machine (the whole pipeline is CPU-bound near 1,500–3,000 pings/s on 2 shared cores, benchmarks/FINDINGS.md §1); a soak needs a rate held for the whole run with headroom for the other tenants, so the default is 1,000 pings/s (30,000 phones every 30 s), about half of what the pipeline sustains end to end (the quick bench at 1,500 pings/s measured p99 333 ms, FINDINGS.md), so ping→push p99 should stay under a second unless other tenants take the cores.';

export function loadRationale(o: { phones: number; intervalS: number }): string {
  return o.phones === 30_000 && o.intervalS === 30 ? DEFAULT_LOAD_RATIONALE : 'Load chosen on the command line.';
}

const REDIS_NOTE =
  "Redis holds data, not only a process's heap: its RSS follows the run's keys, which fill up during a soak by design — per-user state (`geo:`) and the decision log (`decisions:`, the last few decisions per user, 7 days) appear as phones get their first decisions, the dispatcher's push claims (`pushed:`) live for the push's TTL (about 10 minutes), and per-device rate-limit windows (`rl:`) for a minute. A Redis that grows during the first TTL of the claims and then flattens is expected; one still growing after every phone has state would not be.";
const n = (v: number | undefined) =>
  v === undefined || !Number.isFinite(v) ? '–' : Math.round(v).toLocaleString('en-US');
const f1 = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(1));
const signed = (v: number) => (Number.isFinite(v) ? `${v >= 0 ? '+' : ''}${v.toFixed(1)}` : '–');

export function memorySeries(
  r: SoakResult,
  proc: string,
): { rss: Array<[number, number]>; heap: Array<[number, number]> } {
  const rss: Array<[number, number]> = [];
  const heap: Array<[number, number]> = [];
  for (const s of r.samples) {
    const p = s.procs[proc];
    if (!p || p.rssBytes <= 0) continue; // absent, or exiting (no RSS)
    rss.push([s.s, p.rssBytes / MiB]);
    if (p.heapUsedBytes !== undefined) heap.push([s.s, p.heapUsedBytes / MiB]);
  }
  return { rss, heap };
}

function fitLine(label: string, t: Trend): Series {
  return {
    label,
    points: [t.fromS, t.toS].map((x) => [x / 60, t.fit.intercept + t.fit.slope * x] as [number, number]),
  };
}

function memoryChart(r: SoakResult, proc: string): string {
  const { rss, heap } = memorySeries(r, proc);
  const trend = r.trends[proc]!;
  const toMin = (ps: Array<[number, number]>) => ps.map(([s, v]) => [s / 60, v] as [number, number]);
  const series: Series[] = [{ label: 'RSS', points: toMin(rss) }];
  if (heap.length) series.push({ label: 'V8 heap used', points: toMin(heap) });
  if (trend.rss.verdict !== 'too few samples') series.push(fitLine(`RSS trend (${trend.rss.verdict})`, trend.rss));
  if (trend.heap && trend.heap.verdict !== 'too few samples')
    series.push(fitLine(`heap trend (${trend.heap.verdict})`, trend.heap));
  return lineChart(`${proc}: memory over the soak`, 'minutes since load start', 'MiB', series, {
    markers: [{ x: r.options.steadyFromS / 60, label: 'trend fitted from here' }],
  });
}

function trendRow(proc: string, kind: string, t: Trend): string {
  return `| ${proc} | ${kind} | ${f1(t.startMiB)} | ${f1(t.endMiB)} | ${f1(t.meanMiB)} | ${signed(t.slopeMiBPer10Min)} ± ${f1(t.fit.slopeStdErr * 600)} | ${signed(t.slopePctPer10Min)}% | ${f1(t.slopeT)} | ${f1(t.firstThirdMiB)} → ${f1(t.lastThirdMiB)} | **${t.verdict}** |`;
}

const meanOf = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
const steadySamples = (r: SoakResult) =>
  r.samples.filter((s) => s.s >= r.options.steadyFromS && s.s <= r.options.minutes * 60 + 1);
const meanCpu = (r: SoakResult, proc: string) =>
  meanOf(
    steadySamples(r)
      .map((s) => s.procs[proc]?.cpuCores ?? NaN)
      .filter(Number.isFinite),
  );

/** How often a process's pid changed between samples (someone restarted a shared Kafka or Redis). */
function restarts(r: SoakResult, proc: string): number {
  const pids = r.samples.map((s) => s.procs[proc]?.pid).filter((p): p is number => p !== undefined);
  return pids.filter((p, i) => i > 0 && p !== pids[i - 1]).length;
}

export function buildSoakReport(
  r: SoakResult,
  rationale = loadRationale(r.options),
): { markdown: string; svgs: Record<string, string> } {
  const svgs: Record<string, string> = {};
  const o = r.options;
  const t = r.totals;
  const procs = Object.keys(r.trends);
  const growing = procs.flatMap((p) =>
    [r.trends[p]!.rss, r.trends[p]!.heap].filter((x) => x?.verdict === 'growing').map(() => p),
  );
  const ownCpu = procs
    .map((p) => meanCpu(r, p))
    .filter(Number.isFinite)
    .reduce((a, b) => a + b, 0);
  const failed =
    Object.entries(t.failed)
      .map(([k, v]) => `${k}: ${v}`)
      .join(', ') || '0';
  const md: string[] = [
    '# nearcast soak test',
    '',
    `Run ${r.startedAt} at commit \`${r.commit}\` with \`${r.command}\` on the shared 2-core machine (other engineers' tests run at the same time).`,
    '',
    `**Load:** ${n(o.phones)} phones, one ping every ${o.intervalS} s each = ${n(r.nominalPerSec)} pings/s offered, open loop, for ${o.minutes} minutes; ${o.offers} offers (500 m circles in a 20 km city). ${rationale}`,
    '',
    '## Verdict',
    '',
    '| check | result |',
    '|---|---|',
    `| pings acknowledged (202) | ${n(t.acked)} of ${n(t.offered)} offered (${n(t.notSent)} not sent by the generator, failed requests ${failed}) |`,
    `| lost (acked − committed by the matcher group after drain) | **${n(t.lost)}**${t.drained ? '' : ' (not drained within 180 s)'} |`,
    `| duplicate pushes at the push service | **${n(t.duplicates)}** |`,
    `| stale pings dropped by the matcher | ${n(t.staleDropped)} |`,
    `| pushes received / past their TTL / rejected by the push service | ${n(t.pushes)} / ${n(t.pastTtl)} / ${n(t.sinkRejected)} |`,
    `| ping→push over the whole run: p50 / p95 / p99 / max | ${n(r.whole.p50Ms)} / ${n(r.whole.p95Ms)} / ${n(r.whole.p99Ms)} / ${n(r.whole.maxMs)} ms |`,
    `| the same after minute ${Math.round(o.steadyFromS / 60)} | ${n(r.steady.p50Ms)} / ${n(r.steady.p95Ms)} / ${n(r.steady.p99Ms)} / ${n(r.steady.maxMs)} ms |`,
    `| memory growth | ${growing.length ? `growing: ${[...new Set(growing)].join(', ')}` : 'no process growing'} |`,
    `| CPU after warm-up | this run's processes ${ownCpu.toFixed(2)} cores (Kafka and Redis included), whole machine ${meanOf(
      steadySamples(r)
        .map((s) => s.machineBusyCores)
        .filter(Number.isFinite),
    ).toFixed(2)} of 2 cores (all tenants) |`,
    ...procs
      .filter((p) => restarts(r, p) > 0)
      .map(
        (p) =>
          `| ${p} restarted during the run | ${restarts(r, p)}× (not by this bench; its memory series restarts there) |`,
      ),
    '',
    '## Memory per process',
    '',
    `Sampled every ${o.sampleEveryS} s: RSS from /proc for every process, the V8 heap used from the Prometheus endpoint of the components that have one (\`nodejs_heap_size_used_bytes\`). The trend is a least-squares line through the samples from ${f1(o.steadyFromS / 60)} min on (the first minutes hold the warm-up: every phone's first ping, the burst of entry pushes, JIT and pools). **growing** = slope above 5% of the mean per 10 minutes, *and* more than twice its standard error (t > 2: a V8 heap sampled every 10 s is a sawtooth that tilts a fit either way), *and* the last third of those samples above the first third on average. Kafka and Redis are shared with the other tenants of this machine, so their rows include others' traffic.`,
    '',
    '| process | memory | at trend start MiB | at end MiB | mean MiB | slope ± std. error, MiB / 10 min | slope % of mean / 10 min | t | first third → last third MiB | verdict |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const p of procs) {
    md.push(trendRow(p, 'RSS', r.trends[p]!.rss));
    if (r.trends[p]!.heap) md.push(trendRow(p, 'heap used', r.trends[p]!.heap!));
  }
  const first = r.samples[0];
  if (r.trends['redis']) {
    const keys = Object.entries(r.redisKeys ?? {})
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `\`${k}:\` ${n(v)}`)
      .join(', ');
    md.push('', `${REDIS_NOTE}${keys ? ` This run's keys at the end of the load: ${keys}.` : ''}`);
  }
  md.push(
    '',
    '| process | RSS at load start MiB | max RSS MiB | mean CPU after warm-up (cores) |',
    '|---|---|---|---|',
  );
  for (const p of procs) {
    const max = Math.max(...r.samples.map((s) => s.procs[p]?.rssBytes ?? 0)) / MiB;
    md.push(`| ${p} | ${f1((first?.procs[p]?.rssBytes ?? NaN) / MiB)} | ${f1(max)} | ${meanCpu(r, p).toFixed(2)} |`);
  }
  md.push('');
  for (const p of procs) {
    svgs[`memory-${p}.svg`] = memoryChart(r, p);
    md.push(`![${p} memory](memory-${p}.svg)`, '');
  }

  md.push(
    '## Per minute',
    '',
    'Offered and acknowledged pings, and the ping-to-push latency of the pushes that arrived in that minute (arrival at the local Web Push service minus the device time of the triggering fix).',
    '',
    '| minute | offered/s | acked/s | 202 p99 ms | pushes/s | push p50 / p95 / p99 / max ms | not sent | failed | duplicates |',
    '|---|---|---|---|---|---|---|---|---|',
  );
  for (const m of r.minutes) {
    const fail = Object.values(m.failed).reduce((a, b) => a + b, 0);
    md.push(
      `| ${m.minute} | ${n(m.offeredPerSec)} | ${n(m.ackedPerSec)} | ${n(m.ackP99Ms)} | ${m.pushesPerSec} | ${n(m.p50Ms)} / ${n(m.p95Ms)} / ${n(m.p99Ms)} / ${n(m.maxMs)} | ${n(m.notSent)} | ${n(fail)} | ${n(m.duplicates)} |`,
    );
  }
  const at = (k: 'p50Ms' | 'p95Ms' | 'p99Ms' | 'maxMs') => r.minutes.map((m) => [m.minute, m[k]] as [number, number]);
  svgs['latency-per-minute.svg'] = lineChart(
    'ping-to-push latency per minute',
    'minute of the soak',
    'ms (log scale)',
    [
      { label: 'p50', points: at('p50Ms') },
      { label: 'p95', points: at('p95Ms') },
      { label: 'p99', points: at('p99Ms') },
      { label: 'max', points: at('maxMs') },
    ],
    { logY: true },
  );
  svgs['throughput-per-minute.svg'] = lineChart(
    'throughput per minute (mean per second)',
    'minute of the soak',
    'per second (log scale)',
    [
      { label: 'pings offered', points: r.minutes.map((m) => [m.minute, m.offeredPerSec]) },
      { label: 'pings acknowledged', points: r.minutes.map((m) => [m.minute, m.ackedPerSec]) },
      { label: 'pushes received', points: r.minutes.map((m) => [m.minute, m.pushesPerSec]) },
    ],
    { logY: true },
  );
  md.push(
    '',
    '![latency per minute](latency-per-minute.svg)',
    '',
    '![throughput per minute](throughput-per-minute.svg)',
    '',
  );

  const drops =
    Object.entries(t.drops)
      .filter(([, v]) => v > 0)
      .map(([k, v]) => `${k}: ${v}`)
      .join('; ') || 'none';
  const outcomes =
    Object.entries(t.pushesByOutcome)
      .map(([k, v]) => `${k}: ${v}`)
      .join('; ') || 'none';
  md.push(
    '## Counters at the end',
    '',
    `Kafka \`locations\`: ${n(t.written)} written, ${n(t.consumed)} committed by the matcher group. Drops by reason: ${drops}. Dispatcher pushes by outcome: ${outcomes}.`,
    '',
  );
  if (r.repeats.length)
    md.push(
      'Duplicate pushes (same push id twice):',
      '',
      ...r.repeats.map(
        (x) =>
          `- \`${x.pushId}\` first at ${new Date(x.firstAt).toISOString()} on device ${x.firstDevice.slice(0, 8)}, again ${x.againAt - x.firstAt} ms later on device ${x.againDevice.slice(0, 8)}`,
      ),
      '',
    );
  md.push('All samples, per-minute rows and trend fits: `soak.json`.');
  return { markdown: md.join('\n'), svgs };
}
