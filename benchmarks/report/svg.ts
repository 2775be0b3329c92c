// Small SVG charts for the benchmark report: lines over time and a latency
// distribution (CDF on a log axis). Plain strings, no dependencies.
import { linearScale, logScale, type Scale } from './scale.ts';

export interface Series {
  label: string;
  points: Array<[number, number]>;
}

const W = 720;
const H = 300;
const M = { l: 64, r: 16, t: 28, b: 40 };
const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
const fmt = (v: number) => (Math.abs(v) >= 1000 ? `${+(v / 1000).toFixed(1)}k` : `${+v.toFixed(2)}`);

function frame(title: string, x: Scale, y: Scale, xLabel: string, yLabel: string, xFmt = fmt): string[] {
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="16" text-anchor="middle" font-size="13">${esc(title)}</text>`,
  ];
  for (const t of y.ticks)
    out.push(
      `<line x1="${M.l}" x2="${W - M.r}" y1="${y(t)}" y2="${y(t)}" stroke="#eee"/><text x="${M.l - 6}" y="${y(t) + 4}" text-anchor="end">${fmt(t)}</text>`,
    );
  for (const t of x.ticks)
    out.push(
      `<line x1="${x(t)}" x2="${x(t)}" y1="${M.t}" y2="${H - M.b}" stroke="#f4f4f4"/><text x="${x(t)}" y="${H - M.b + 14}" text-anchor="middle">${xFmt(t)}</text>`,
    );
  out.push(`<text x="${W / 2}" y="${H - 6}" text-anchor="middle">${esc(xLabel)}</text>`);
  out.push(`<text transform="translate(14 ${H / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`);
  out.push(
    `<rect x="${M.l}" y="${M.t}" width="${W - M.l - M.r}" height="${H - M.t - M.b}" fill="none" stroke="#999"/>`,
  );
  return out;
}

function lines(series: Series[], x: Scale, y: Scale): string[] {
  const out: string[] = [];
  series.forEach((s, i) => {
    const pts = s.points
      .filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b))
      .map(([a, b]) => `${x(a).toFixed(1)},${y(b).toFixed(1)}`);
    if (pts.length)
      out.push(
        `<polyline fill="none" stroke="${COLOURS[i % COLOURS.length]}" stroke-width="1.5" points="${pts.join(' ')}"/>`,
      );
    out.push(
      `<rect x="${M.l + 8 + i * 150}" y="${M.t + 6}" width="10" height="10" fill="${COLOURS[i % COLOURS.length]}"/><text x="${M.l + 22 + i * 150}" y="${M.t + 15}">${esc(s.label)}</text>`,
    );
  });
  return out;
}

export function lineChart(
  title: string,
  xLabel: string,
  yLabel: string,
  series: Series[],
  opts: { logY?: boolean; markers?: Array<{ x: number; label: string }> } = {},
): string {
  const xs = series.flatMap((s) => s.points.map((p) => p[0])).filter(Number.isFinite);
  const ys = series.flatMap((s) => s.points.map((p) => p[1])).filter(Number.isFinite);
  const x = linearScale(Math.min(0, ...xs), Math.max(1, ...xs), M.l, W - M.r, 10);
  const y = opts.logY
    ? logScale(Math.min(...ys, 1), Math.max(...ys, 10), H - M.b, M.t)
    : linearScale(0, Math.max(1, ...ys), H - M.b, M.t);
  const out = frame(title, x, y, xLabel, yLabel);
  for (const m of opts.markers ?? [])
    out.push(
      `<line x1="${x(m.x)}" x2="${x(m.x)}" y1="${M.t}" y2="${H - M.b}" stroke="#888" stroke-dasharray="4 3"/><text x="${x(m.x) + 3}" y="${H - M.b - 6}" fill="#555">${esc(m.label)}</text>`,
    );
  out.push(...lines(series, x, y), '</svg>');
  return out.join('\n');
}

/** Cumulative distribution of latencies: x = milliseconds (log), y = share of pushes at or below. */
export function cdfChart(title: string, series: Array<{ label: string; hist: Array<[number, number]> }>): string {
  const maxMs = Math.max(10, ...series.flatMap((s) => s.hist.map(([v]) => v)));
  const x = logScale(1, maxMs, M.l, W - M.r);
  const y = linearScale(0, 100, H - M.b, M.t);
  const out = frame(title, x, y, 'ping-to-push latency, ms (log scale)', '% of pushes at or below', (v) => fmt(v));
  const asLines: Series[] = series.map((s) => {
    const total = s.hist.reduce((a, [, n]) => a + n, 0) || 1;
    let seen = 0;
    const all = s.hist.map(([v, n]) => [Math.max(1, v), ((seen += n) / total) * 100] as [number, number]);
    // A few hundred points draw the curve; thousands only make the file heavy.
    const every = Math.max(1, Math.ceil(all.length / 300));
    return { label: s.label, points: all.filter((_, i) => i % every === 0 || i === all.length - 1) };
  });
  out.push(
    `<line x1="${M.l}" x2="${W - M.r}" y1="${y(99)}" y2="${y(99)}" stroke="#bbb" stroke-dasharray="2 2"/><text x="${W - M.r - 4}" y="${y(99) - 3}" text-anchor="end" fill="#777">p99</text>`,
  );
  out.push(...lines(asLines, x, y), '</svg>');
  return out.join('\n');
}
