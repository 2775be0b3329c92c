// What the operator sees while an import runs: a bar on a terminal, a plain
// line now and then when the output is a log. Pure formatting.

export interface ProgressState {
  bytesRead: number;
  totalBytes: number;
  published: number;
  rejected: number;
  /** Rows handled by this run (excludes what an earlier run did). */
  rowsThisRun: number;
  startedTs: number;
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');

export function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

export function progressNumbers(p: ProgressState, now: number) {
  const elapsed = Math.max(0.001, (now - p.startedTs) / 1000);
  const fraction = p.totalBytes > 0 ? Math.min(1, p.bytesRead / p.totalBytes) : 1;
  const rate = p.rowsThisRun / elapsed;
  // Bytes, not rows, drive the estimate: the row count is unknown until the end.
  const byteRate = p.bytesRead / elapsed;
  const eta = byteRate > 0 ? (p.totalBytes - p.bytesRead) / byteRate : Infinity;
  return { fraction, rate, eta, elapsed };
}

export function progressBar(p: ProgressState, now: number, width = 30): string {
  const { fraction, rate, eta } = progressNumbers(p, now);
  const filled = Math.round(fraction * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(1).padStart(5)}%  ${int(p.published)} rows  ${int(p.rejected)} rejected  ${int(rate)} rows/s  ETA ${duration(eta)}`;
}

export function progressLine(p: ProgressState, now: number): string {
  const { fraction, rate, eta } = progressNumbers(p, now);
  return `progress ${(fraction * 100).toFixed(1)}% published=${p.published} rejected=${p.rejected} rate=${Math.round(rate)}/s eta=${duration(eta)}`;
}
