// The soak's growth verdict: a least-squares slope over the steady part,
// "growing" only when it is a meaningful share of the level and the end of
// the window really sits above its start.
import { describe, expect, it } from 'vitest';
import { isGrowing, leastSquares, memoryTrend } from '../../benchmarks/soak/trend.ts';
import { perMinute } from '../../benchmarks/soak/minutes.ts';
import type { LoadgenTick, SinkTick } from '../../benchmarks/procs/ipc.ts';

/** A sample every 10 s for `minutes`, MiB from `f(seconds)`. */
const series = (minutes: number, f: (s: number) => number) =>
  Array.from({ length: minutes * 6 + 1 }, (_, i) => [i * 10, f(i * 10)] as [number, number]);
/** Deterministic noise in [-1, 1]. */
const noise = (s: number) => Math.sin(s * 12.9898) * 0.5 + Math.sin(s * 78.233) * 0.5;

describe('leastSquares', () => {
  it('recovers an exact line', () => {
    const fit = leastSquares([
      [0, 3],
      [1, 5],
      [2, 7],
      [3, 9],
    ]);
    expect(fit.slope).toBeCloseTo(2);
    expect(fit.intercept).toBeCloseTo(3);
  });

  it('gives a flat line for one point and NaN for none', () => {
    expect(leastSquares([[5, 7]])).toMatchObject({ slope: 0, intercept: 7 });
    expect(leastSquares([]).slope).toBeNaN();
  });
});

describe('memoryTrend', () => {
  it('calls a noisy flat level steady', () => {
    const t = memoryTrend(
      series(10, (s) => 200 + 8 * noise(s)),
      120,
    );
    expect(t.verdict).toBe('steady');
    expect(Math.abs(t.slopePctPer10Min)).toBeLessThan(5);
  });

  it('calls a GC sawtooth steady', () => {
    const t = memoryTrend(
      series(10, (s) => 150 + ((s % 90) / 90) * 40),
      120,
    );
    expect(t.verdict).toBe('steady');
  });

  it('flags a leak of 20 MiB per 10 minutes on 200 MiB (10%) as growing, and measures it', () => {
    const t = memoryTrend(
      series(10, (s) => 200 + (20 * s) / 600 + 2 * noise(s)),
      120,
    );
    expect(t.verdict).toBe('growing');
    expect(t.slopeMiBPer10Min).toBeGreaterThan(18);
    expect(t.slopeMiBPer10Min).toBeLessThan(22);
    expect(t.lastThirdMiB).toBeGreaterThan(t.firstThirdMiB);
  });

  it('does not count warm-up growth before the steady window', () => {
    const t = memoryTrend(
      series(10, (s) => (s < 120 ? 50 + s : 170 + 3 * noise(s))),
      120,
    );
    expect(t.verdict).toBe('steady');
    expect(t.fromS).toBe(120);
    expect(t.samples).toBe(49);
  });

  it('does not flag shrinking memory', () => {
    expect(
      memoryTrend(
        series(10, (s) => 300 - s / 10),
        120,
      ).verdict,
    ).toBe('steady');
  });

  it('gives no verdict on too few samples', () => {
    expect(
      memoryTrend(
        series(1, (s) => 100 + s),
        120,
      ).verdict,
    ).toBe('too few samples');
  });

  it('calls a wide heap sawtooth with a small upward tilt steady: the slope is within its noise', () => {
    // V8 heap used sampled every 10 s: ±30 MiB around 65 MiB, drifting 8 MiB per 10 minutes.
    const t = memoryTrend(
      series(10, (s) => 65 + (8 * s) / 600 + 30 * noise(s)),
      120,
    );
    expect(t.slopePctPer10Min).toBeGreaterThan(5);
    expect(t.slopeT).toBeLessThan(2);
    expect(t.verdict).toBe('steady');
  });

  it('needs a meaningful slope that stands out of the noise and a higher last third', () => {
    const e = { slopePctPer10Min: 6, slopeT: 5, firstThirdMiB: 100, lastThirdMiB: 110 };
    expect(isGrowing(e)).toBe(true);
    expect(isGrowing({ ...e, slopePctPer10Min: 4 })).toBe(false); // too small to matter
    expect(isGrowing({ ...e, slopeT: 1.5 })).toBe(false); // within the scatter
    expect(isGrowing({ ...e, firstThirdMiB: 110, lastThirdMiB: 100 })).toBe(false); // a late spike tilts the fit but the level came back down
  });
});

describe('perMinute', () => {
  const start = 1_000_000;
  const load = (sec: number, due: number, acked: number): LoadgenTick => ({
    type: 'tick',
    t: start + sec * 1000,
    due,
    sent: due,
    acked,
    notSent: 0,
    inFlight: 0,
    byStatus: { 202: acked },
    ackHist: [[5, acked]],
    ackMax: 5,
  });
  const sink = (sec: number, ms: number): SinkTick => ({
    type: 'tick',
    t: start + sec * 1000,
    pushes: 1,
    duplicates: 0,
    pastTtl: 0,
    hist: [[ms, 1]],
    max: ms,
    rejected: 0,
    repeats: [],
  });

  it('puts each one-second tick in the minute it covers and takes percentiles per minute', () => {
    const ticks = Array.from({ length: 120 }, (_, i) => load(i + 1, 10, 10));
    const pushes = [sink(30, 100), sink(60, 200), sink(61, 900)];
    const [m1, m2] = perMinute(ticks, pushes, start, 120);
    expect(m1).toMatchObject({
      minute: 1,
      offered: 600,
      offeredPerSec: 10,
      ackedPerSec: 10,
      pushes: 2,
      p50Ms: 100,
      maxMs: 200,
    });
    expect(m2).toMatchObject({ minute: 2, offered: 600, pushes: 1, p99Ms: 900 });
  });
});
