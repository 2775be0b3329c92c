// Axis arithmetic for the report's plots: linear and log scales, and "nice"
// tick values (1, 2, 5 × 10^k). Pure.
export interface Scale {
  (v: number): number;
  ticks: number[];
}

export function niceStep(span: number, maxTicks: number): number {
  if (!(span > 0)) return 1;
  const raw = span / Math.max(1, maxTicks);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  return (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * mag;
}

/** Maps [0 or min, niceMax] onto [r0, r1]; the domain is widened to whole ticks. */
export function linearScale(min: number, max: number, r0: number, r1: number, maxTicks = 5): Scale {
  const lo = Math.min(0, min);
  const step = niceStep(max - lo, maxTicks);
  const hi = Math.max(step, Math.ceil(max / step) * step);
  const f = ((v: number) => r0 + ((v - lo) / (hi - lo || 1)) * (r1 - r0)) as Scale;
  f.ticks = [];
  for (let t = lo, i = 0; t <= hi + step / 2 && i < 50; t += step, i++) f.ticks.push(Math.round(t * 1e6) / 1e6);
  return f;
}

/** Log10 scale over whole decades covering [min, max] (min clamped to at least 1). */
export function logScale(min: number, max: number, r0: number, r1: number): Scale {
  const lo = Math.floor(Math.log10(Math.max(1, min)));
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(Math.max(1, max))));
  const f = ((v: number) => r0 + ((Math.log10(Math.max(10 ** lo, v)) - lo) / (hi - lo)) * (r1 - r0)) as Scale;
  f.ticks = [];
  for (let d = lo; d <= hi; d++) f.ticks.push(10 ** d);
  return f;
}
