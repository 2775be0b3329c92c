// Per-minute figures of a soak from the load generator's and the push sink's
// one-second ticks: what was offered and acknowledged, what was pushed, and
// the ping-to-push percentiles of the pushes that arrived in that minute. Pure.
import { foldTicks, total } from '../lib/ticks.ts';
import type { LoadgenTick, SinkTick } from '../procs/ipc.ts';

export interface MinuteStats {
  /** 1-based minute of the load. */
  minute: number;
  fromS: number;
  toS: number;
  offered: number;
  acked: number;
  offeredPerSec: number;
  ackedPerSec: number;
  notSent: number;
  /** Requests answered with something other than 202, or failed, by status or error code. */
  failed: Record<string, number>;
  ackP99Ms: number;
  pushes: number;
  pushesPerSec: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  duplicates: number;
  pastTtl: number;
}

/** Stats over ticks with t in (start + fromS, start + toS]: a tick covers the second before its time. */
export function windowOf(
  load: readonly LoadgenTick[],
  sink: readonly SinkTick[],
  startMs: number,
  fromS: number,
  toS: number,
  minute = 0,
): MinuteStats {
  const { loads, sinks, secs, ack, push, failed } = foldTicks(load, sink, startMs, fromS, toS);
  const sum = total;
  const offered = sum(loads, (t) => t.due);
  const acked = sum(loads, (t) => t.acked);
  const pushes = sum(sinks, (t) => t.pushes);
  return {
    minute,
    fromS,
    toS,
    offered,
    acked,
    offeredPerSec: Math.round(offered / secs),
    ackedPerSec: Math.round(acked / secs),
    notSent: sum(loads, (t) => t.notSent),
    failed,
    ackP99Ms: ack.quantile(0.99),
    pushes,
    pushesPerSec: Math.round((pushes / secs) * 10) / 10,
    p50Ms: push.quantile(0.5),
    p95Ms: push.quantile(0.95),
    p99Ms: push.quantile(0.99),
    maxMs: Math.round(push.max),
    duplicates: sum(sinks, (t) => t.duplicates),
    pastTtl: sum(sinks, (t) => t.pastTtl),
  };
}

/** One row per whole or started minute of a load that ran `loadS` seconds. */
export function perMinute(
  load: readonly LoadgenTick[],
  sink: readonly SinkTick[],
  startMs: number,
  loadS: number,
): MinuteStats[] {
  const out: MinuteStats[] = [];
  for (let m = 0; m * 60 < loadS; m++)
    out.push(windowOf(load, sink, startMs, m * 60, Math.min(loadS, (m + 1) * 60), m + 1));
  return out;
}
