// Latency histogram with 1 ms buckets up to a cap: exact to the millisecond,
// constant memory whatever the ping rate, and mergeable across processes
// (sent as sparse [ms, count] pairs).
export class MsHistogram {
  private readonly counts: Uint32Array;
  count = 0;
  max = 0;

  constructor(readonly capMs = 120_000) {
    this.counts = new Uint32Array(capMs + 1);
  }

  record(ms: number): void {
    const v = Math.max(0, Math.min(this.capMs, Math.round(ms)));
    this.counts[v]!++;
    this.count++;
    if (ms > this.max) this.max = ms;
  }

  /** Value at quantile q (0..1): the smallest v with at least q of the samples at or below it. */
  quantile(q: number): number {
    if (this.count === 0) return NaN;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let v = 0; v < this.counts.length; v++) {
      seen += this.counts[v]!;
      if (seen >= rank) return v;
    }
    return this.capMs;
  }

  sparse(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (let v = 0; v < this.counts.length; v++) if (this.counts[v]) out.push([v, this.counts[v]!]);
    return out;
  }

  addSparse(pairs: Array<[number, number]>, max?: number): void {
    for (const [v, n] of pairs) {
      this.counts[Math.min(this.capMs, v)]! += n;
      this.count += n;
      if (max === undefined && v > this.max) this.max = v;
    }
    if (max !== undefined && max > this.max) this.max = max;
  }

  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.max = 0;
  }
}

/** Quantile of a plain sample (sorted copy): for small sets such as per-run medians. */
export function quantileOf(xs: readonly number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}

export const median = (xs: readonly number[]): number => quantileOf(xs, 0.5);
