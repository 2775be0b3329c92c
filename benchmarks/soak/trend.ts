// Does a process's memory grow during a soak? A least-squares line through
// the samples of the steady part (after the warm-up), judged against the
// level itself: "growing" only when the fitted growth is a meaningful share
// of the mean, stands out of the scatter around the line (a GC sawtooth
// sampled every few seconds tilts a fit either way), and the last third of
// the window really sits above the first third. Pure.

export interface LineFit {
  /** Units of y per unit of x. */
  slope: number;
  intercept: number;
  /** Standard error of the slope, from the residuals (NaN under three points). */
  slopeStdErr: number;
}

export type Verdict = 'growing' | 'steady' | 'too few samples';

export interface Trend {
  /** Samples in the steady window. */
  samples: number;
  fromS: number;
  toS: number;
  startMiB: number;
  endMiB: number;
  meanMiB: number;
  slopeMiBPer10Min: number;
  /** The slope as a share of the mean level, % per 10 minutes. */
  slopePctPer10Min: number;
  /** Slope ÷ its standard error: how far the trend stands out of the noise. */
  slopeT: number;
  firstThirdMiB: number;
  lastThirdMiB: number;
  /** The fitted line, for drawing: MiB at x seconds = intercept + slope · x. */
  fit: LineFit;
  verdict: Verdict;
}

export interface TrendRule {
  /** Growth below this share of the mean per 10 minutes is too small to matter. */
  minPctPer10Min: number;
  /** A slope within this many standard errors of zero is noise. */
  minSlopeT: number;
  /** Fewer steady samples than this give no verdict. */
  minSamples: number;
}

export const DEFAULT_RULE: TrendRule = { minPctPer10Min: 5, minSlopeT: 2, minSamples: 6 };

export function leastSquares(points: ReadonlyArray<readonly [number, number]>): LineFit {
  const n = points.length;
  if (n === 0) return { slope: NaN, intercept: NaN, slopeStdErr: NaN };
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const [x, y] of points) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
  }
  const slope = sxx > 0 ? sxy / sxx : 0;
  const intercept = my - slope * mx;
  const residuals = points.reduce((a, [x, y]) => a + (y - intercept - slope * x) ** 2, 0);
  const slopeStdErr = n > 2 && sxx > 0 ? Math.sqrt(residuals / (n - 2) / sxx) : NaN;
  return { slope, intercept, slopeStdErr };
}

const mean = (ys: number[]) => (ys.length ? ys.reduce((a, b) => a + b, 0) / ys.length : NaN);

export type GrowthEvidence = Pick<Trend, 'slopePctPer10Min' | 'slopeT' | 'firstThirdMiB' | 'lastThirdMiB'>;

/** The verdict on its own: every condition, so a single late spike or a noisy sawtooth is not a leak. */
export function isGrowing(e: GrowthEvidence, rule: TrendRule = DEFAULT_RULE): boolean {
  return e.slopePctPer10Min > rule.minPctPer10Min && e.slopeT > rule.minSlopeT && e.lastThirdMiB > e.firstThirdMiB;
}

/**
 * Trend of one memory series, `points` as [seconds since load start, MiB],
 * over the samples at or after `fromS` (the steady part).
 */
export function memoryTrend(
  points: ReadonlyArray<readonly [number, number]>,
  fromS: number,
  rule: TrendRule = DEFAULT_RULE,
): Trend {
  const steady = points.filter(([x, y]) => x >= fromS && Number.isFinite(y)).sort((a, b) => a[0] - b[0]);
  const ys = steady.map(([, y]) => y);
  const fit = leastSquares(steady);
  const m = mean(ys);
  const third = Math.floor(ys.length / 3);
  const firstThirdMiB = mean(ys.slice(0, third));
  const lastThirdMiB = mean(ys.slice(ys.length - third));
  const slopeMiBPer10Min = fit.slope * 600;
  const slopePctPer10Min = m > 0 ? (slopeMiBPer10Min / m) * 100 : NaN;
  // A perfectly straight line has no scatter: its slope stands out infinitely.
  const slopeT = fit.slopeStdErr > 0 ? fit.slope / fit.slopeStdErr : fit.slope > 0 ? Infinity : 0;
  const enough = steady.length >= Math.max(3, rule.minSamples);
  return {
    samples: steady.length,
    fromS: steady[0]?.[0] ?? NaN,
    toS: steady.at(-1)?.[0] ?? NaN,
    startMiB: ys[0] ?? NaN,
    endMiB: ys.at(-1) ?? NaN,
    meanMiB: m,
    slopeMiBPer10Min,
    slopePctPer10Min,
    slopeT,
    firstThirdMiB,
    lastThirdMiB,
    fit,
    verdict: !enough
      ? 'too few samples'
      : isGrowing({ slopePctPer10Min, slopeT, firstThirdMiB, lastThirdMiB }, rule)
        ? 'growing'
        : 'steady',
  };
}
