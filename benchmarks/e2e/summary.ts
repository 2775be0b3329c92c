// Turns what a scenario observed into its result: headline numbers over the
// measured window (after the warm-up), the same per rate phase, per-process
// CPU and memory, and the per-second series for the plots. Pure.
import type { SinkTick } from '../procs/ipc.ts';
import { foldTicks, total } from '../lib/ticks.ts';
import type { Observer, SecondRow } from './observe.ts';
import type { ScenarioSpec } from './scenario.ts';

export interface WindowStats {
  fromS: number;
  toS: number;
  rate: number;
  offeredPerSec: number;
  pingsPerSec: number;
  ackP50Ms: number;
  ackP99Ms: number;
  pushesPerSec: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  notSent: number;
  failedRequests: Record<string, number>;
  /** Ping-to-push latencies of the window as sparse [ms, count] pairs (for the distribution plot). */
  pushHist: Array<[number, number]>;
  /** CPU of each process over this window (on rate phases; the scenario's whole window has detail.processes). */
  processes?: Record<string, ProcessCost>;
}

export interface ProcessCost {
  cpuCores: number;
  cpuUsPerPing: number;
  rssMaxMiB: number;
}

export interface ScenarioResult {
  scenario: string;
  e2e: {
    phones: number;
    pingsPerSec: number;
    p50Ms: number;
    p99Ms: number;
    maxMs: number;
    acked: number;
    lost: number;
    duplicates: number;
    staleDropped: number;
  };
  detail: {
    window: WindowStats;
    phases: WindowStats[];
    written: number;
    consumed: number;
    drained: boolean;
    gatewayAccepted: number;
    pushes: number;
    pastTtl: number;
    sinkRejected: number;
    repeats: SinkTick['repeats'];
    drops: Record<string, number>;
    pushesByOutcome: Record<string, number>;
    avgPublishBatch: number;
    machineBusyCores: number;
    processes: Record<string, ProcessCost>;
    sustained: boolean;
  };
  bytesPerPhone: number;
  /** Redis bytes of one phone's push registration (not matcher state; for the capacity arithmetic). */
  pushRegBytes: number;
  series: SecondRow[];
}

export interface SummaryInput {
  spec: ScenarioSpec;
  start: number;
  loadEnd: number;
  drained: boolean;
  obs: Observer;
  written: number;
  consumed: number;
  drops: Record<string, number>;
  staleDropped: number;
  gatewayAccepted: number;
  publishBatch: number;
  pushesByOutcome: Record<string, number>;
  bytesPerPhone: number;
  pushRegBytes: number;
}

export function windowStats(i: SummaryInput, fromS: number, toS: number, rate: number): WindowStats {
  const { loads, sinks, secs, ack, push, failed } = foldTicks(i.obs.loadTicks, i.obs.sinkTicks, i.start, fromS, toS);
  const sum = total;
  return {
    fromS,
    toS,
    rate,
    offeredPerSec: Math.round(sum(loads, (t) => t.due) / secs),
    pingsPerSec: Math.round(sum(loads, (t) => t.acked) / secs),
    ackP50Ms: ack.quantile(0.5),
    ackP99Ms: ack.quantile(0.99),
    pushesPerSec: Math.round((sum(sinks, (t) => t.pushes) / secs) * 10) / 10,
    p50Ms: push.quantile(0.5),
    p99Ms: push.quantile(0.99),
    maxMs: Math.round(push.max),
    notSent: sum(loads, (t) => t.notSent),
    failedRequests: failed,
    pushHist: push.sparse(),
  };
}

function processCosts(i: SummaryInput, fromS: number, toS: number, pings: number) {
  const rows = i.obs.procRows;
  const at = (s: number) =>
    rows.reduce(
      (best, r) => (Math.abs(r.t - i.start - s * 1000) < Math.abs(best.t - i.start - s * 1000) ? r : best),
      rows[0]!,
    );
  const a = at(fromS);
  const b = at(toS);
  const dt = (b.t - a.t) / 1000;
  const out: Record<string, ProcessCost> = {};
  for (const name of Object.keys(b.procs)) {
    const cpu = (b.procs[name]?.cpuSeconds ?? NaN) - (a.procs[name]?.cpuSeconds ?? NaN);
    const rss = Math.max(...rows.map((r) => r.procs[name]?.rssBytes ?? 0));
    out[name] = {
      cpuCores: round2(cpu / dt),
      cpuUsPerPing: Math.round((cpu / Math.max(1, pings)) * 1e6),
      rssMaxMiB: Math.round(rss / 1048576),
    };
  }
  return { processes: out, machineBusyCores: round2((b.machineBusy - a.machineBusy) / dt) };
}

/** A window kept up: every ping offered was sent and acknowledged, and both latencies stayed within 500 ms at p99. */
export function holds(w: WindowStats): boolean {
  return w.pingsPerSec >= 0.99 * w.offeredPerSec && w.p99Ms <= 500 && w.ackP99Ms <= 500 && w.notSent === 0;
}

/** The highest rate any scenario, or any rate phase of one, sustained (nothing lost or doubled in that scenario). */
export function largestSustained(
  scenarios: readonly ScenarioResult[],
): { scenario: string; rate: number; window: WindowStats } | undefined {
  let best: { scenario: string; rate: number; window: WindowStats } | undefined;
  for (const s of scenarios) {
    if (s.e2e.lost > 0 || s.e2e.duplicates > 0) continue;
    const windows = s.detail.phases.length > 1 ? s.detail.phases : [s.detail.window];
    for (const w of windows)
      if (holds(w) && (!best || w.pingsPerSec > best.window.pingsPerSec))
        best = { scenario: s.scenario, rate: w.rate, window: w };
  }
  return best;
}

export function summarise(i: SummaryInput): ScenarioResult {
  const phases = i.spec.phases ?? [{ untilS: i.spec.warmupS + i.spec.steadyS, rate: 1 }];
  const totalS = phases.at(-1)!.untilS;
  const window = windowStats(i, i.spec.warmupS, totalS, 1);
  const perPhase: WindowStats[] = [];
  let from = 0;
  for (const p of phases) {
    const s = Math.max(from, i.spec.warmupS);
    if (p.untilS > s) {
      const w = windowStats(i, s, p.untilS, p.rate);
      perPhase.push({ ...w, processes: processCosts(i, s, p.untilS, w.pingsPerSec * (p.untilS - s)).processes });
    }
    from = p.untilS;
  }
  const acked = i.obs.loadTicks.reduce((a, t) => a + t.acked, 0);
  const sinks = i.obs.sinkTicks;
  const duplicates = sinks.reduce((a, t) => a + t.duplicates, 0);
  const lost = Math.max(0, acked - i.consumed);
  const costs = processCosts(i, i.spec.warmupS, totalS, window.pingsPerSec * (totalS - i.spec.warmupS));
  const sustained = holds(window) && lost === 0 && duplicates === 0;
  return {
    scenario: i.spec.name,
    e2e: {
      phones: i.spec.phones,
      pingsPerSec: window.pingsPerSec,
      p50Ms: window.p50Ms,
      p99Ms: window.p99Ms,
      maxMs: window.maxMs,
      acked,
      lost,
      duplicates,
      staleDropped: i.staleDropped,
    },
    detail: {
      window,
      phases: perPhase,
      written: i.written,
      consumed: i.consumed,
      drained: i.drained,
      gatewayAccepted: i.gatewayAccepted,
      pushes: sinks.reduce((a, t) => a + t.pushes, 0),
      pastTtl: sinks.reduce((a, t) => a + t.pastTtl, 0),
      sinkRejected: sinks.reduce((a, t) => a + t.rejected, 0),
      repeats: sinks.flatMap((t) => t.repeats ?? []).slice(0, 50),
      drops: i.drops,
      pushesByOutcome: i.pushesByOutcome,
      avgPublishBatch: round2(i.publishBatch),
      ...costs,
      sustained,
    },
    bytesPerPhone: i.bytesPerPhone,
    pushRegBytes: i.pushRegBytes,
    series: i.obs.rows,
  };
}

const round2 = (x: number) => Math.round(x * 100) / 100;
