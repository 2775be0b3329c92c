// The shape of a soak run's result (soak.json): options, totals, per-minute
// rows, a memory trend per process and every memory/CPU sample.
import type { SinkTick } from '../procs/ipc.ts';
import type { MinuteStats } from './minutes.ts';
import type { Sample } from './sampler.ts';
import type { Trend } from './trend.ts';

export interface SoakOptions {
  minutes: number;
  phones: number;
  intervalS: number;
  offers: number;
  connections: number;
  sampleEveryS: number;
  /** Memory trends are fitted from here on (seconds since load start). */
  steadyFromS: number;
}

export interface SoakTotals {
  offered: number;
  acked: number;
  notSent: number;
  failed: Record<string, number>;
  pushes: number;
  /** Acknowledged by the gateway but not committed by the matcher group once drained. */
  lost: number;
  duplicates: number;
  staleDropped: number;
  pastTtl: number;
  sinkRejected: number;
  written: number;
  consumed: number;
  drained: boolean;
  drops: Record<string, number>;
  pushesByOutcome: Record<string, number>;
}

export interface SoakResult {
  commit: string;
  command: string;
  startedAt: string;
  options: SoakOptions;
  nominalPerSec: number;
  totals: SoakTotals;
  /** Whole load and the steady part, as one window each. */
  whole: MinuteStats;
  steady: MinuteStats;
  minutes: MinuteStats[];
  trends: Record<string, { rss: Trend; heap?: Trend }>;
  repeats: SinkTick['repeats'];
  /** This run's Redis keys by kind (`geo`, `pushed`, …) when the load stopped. */
  redisKeys?: Record<string, number>;
  samples: Sample[];
}
