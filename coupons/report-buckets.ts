// Report bucketing: counts arrive per 15-minute UTC bucket (every real UTC
// offset is a multiple of 15 minutes, so a bucket never straddles a local
// midnight), and are summed into local days or ISO weeks (Monday first) of
// any IANA time zone, DST changes included.

import { CappedMap, canonicalTimeZone, zoneFormatter } from '../pipeline/local-time.ts';

export type Granularity = 'day' | 'week';
export const METRICS = ['pushes', 'opens', 'claims', 'expiries', 'redemptions', 'reversals', 'cashbackMinor'] as const;
export type Metric = (typeof METRICS)[number];

export interface BucketCount {
  bucketMs: number;
  metric: Metric;
  value: number;
}

export type ReportRow = { period: string } & Record<Metric, number> & {
    claimRate: number | null;
    openRate: number | null;
    conversion: number | null;
  };

// Keyed by canonical zone name and capped (pipeline/local-time.ts): `tz` comes from the query string.
export const dateFormatters = new CappedMap<string, Intl.DateTimeFormat>(1024);
const dateFormatter = (timeZone: string) =>
  new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });

export function isTimeZone(tz: string): boolean {
  return canonicalTimeZone(tz) !== undefined;
}

/** The local calendar date (YYYY-MM-DD) of an instant in a time zone. */
export function localDate(ms: number, tz: string): string {
  const f = zoneFormatter(tz, dateFormatter, dateFormatters);
  if (!f) throw new RangeError(`invalid time zone ${tz}`);
  return f.format(ms);
}

/** The Monday that starts the ISO week of a calendar date. Calendar arithmetic, so no DST surprises. */
export function weekStart(date: string): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const utc = Date.UTC(y, m - 1, d);
  const weekday = (new Date(utc).getUTCDay() + 6) % 7; // Monday 0 … Sunday 6
  return new Date(utc - weekday * 86_400_000).toISOString().slice(0, 10);
}

export function periodOf(ms: number, tz: string, g: Granularity): string {
  const day = localDate(ms, tz);
  return g === 'day' ? day : weekStart(day);
}

const ratio = (a: number, b: number) => (b > 0 ? Math.round((a / b) * 10_000) / 10_000 : null);

export function bucketize(counts: readonly BucketCount[], tz: string, g: Granularity): ReportRow[] {
  const rows = new Map<string, Record<Metric, number>>();
  for (const c of counts) {
    const period = periodOf(c.bucketMs, tz, g);
    let row = rows.get(period);
    if (!row) {
      row = Object.fromEntries(METRICS.map((m) => [m, 0])) as Record<Metric, number>;
      rows.set(period, row);
    }
    row[c.metric] += c.value;
  }
  return [...rows.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([period, r]) => ({
      period,
      ...r,
      claimRate: ratio(r.claims, r.pushes),
      openRate: ratio(r.opens, r.pushes),
      conversion: ratio(r.redemptions, r.claims),
    }));
}

export function toCsv(rows: readonly ReportRow[]): string {
  const cols = ['period', ...METRICS, 'claimRate', 'openRate', 'conversion'] as const;
  const lines = rows.map((r) => cols.map((c) => (r[c] === null ? '' : String(r[c]))).join(','));
  return [cols.join(','), ...lines].join('\n') + '\n';
}
