// The load generator's and the push sink's one-second ticks over a window of
// a run: the ticks in it, their histograms merged, failed requests by status.
// Shared by the scenario summary and the soak's per-minute figures. Pure.
import { MsHistogram } from './histogram.ts';
import type { LoadgenTick, SinkTick } from '../procs/ipc.ts';

export interface TickWindow {
  loads: LoadgenTick[];
  sinks: SinkTick[];
  /** Length of the window in seconds (at least 1). */
  secs: number;
  /** Ping→202 latency. */
  ack: MsHistogram;
  /** Ping→push latency. */
  push: MsHistogram;
  /** Requests answered with something other than 202, or failed, by status or error code. */
  failed: Record<string, number>;
}

/** Ticks with t in (start + fromS, start + toS]: a tick covers the second before its time. */
export function foldTicks(
  load: readonly LoadgenTick[],
  sink: readonly SinkTick[],
  startMs: number,
  fromS: number,
  toS: number,
): TickWindow {
  const inWin = (t: number) => t > startMs + fromS * 1000 && t <= startMs + toS * 1000;
  const loads = load.filter((t) => inWin(t.t));
  const sinks = sink.filter((t) => inWin(t.t));
  const ack = new MsHistogram(60_000);
  const push = new MsHistogram();
  const failed: Record<string, number> = {};
  for (const t of loads) {
    ack.addSparse(t.ackHist, t.ackMax);
    for (const [k, n] of Object.entries(t.byStatus)) if (k !== '202') failed[k] = (failed[k] ?? 0) + n;
  }
  for (const t of sinks) push.addSparse(t.hist, t.max);
  return { loads, sinks, secs: Math.max(1, toS - fromS), ack, push, failed };
}

export const total = <T>(xs: readonly T[], f: (x: T) => number): number => xs.reduce((a, x) => a + f(x), 0);
