// Report facts per 15-minute UTC bucket, from the tables that hold them;
// report-buckets.ts turns them into local days or weeks.
import { NearcastError } from '../pipeline/errors.ts';
import { query, type Db } from './db.ts';
import { bucketize, type BucketCount, type Granularity, type ReportRow } from './report-buckets.ts';

const BIN = (col: string) =>
  `extract(epoch FROM date_bin('15 minutes', ${col}, TIMESTAMPTZ '2000-01-01 00:00:00+00'))::float8 * 1000`;

const FACTS = `
  SELECT ${BIN('claimed_at')} AS b, 'claims' AS m, count(*)::float8 AS v FROM claims WHERE offer_id = ANY($1) AND claimed_at >= $2 AND claimed_at < $3 GROUP BY 1
  UNION ALL
  SELECT ${BIN('ended_at')}, 'expiries', count(*) FROM claims WHERE status = 'expired' AND offer_id = ANY($1) AND ended_at >= $2 AND ended_at < $3 GROUP BY 1
  UNION ALL
  SELECT ${BIN('redeemed_at')}, 'redemptions', count(*) FROM redemptions WHERE offer_id = ANY($1) AND redeemed_at >= $2 AND redeemed_at < $3 GROUP BY 1
  UNION ALL
  SELECT ${BIN('redeemed_at')}, 'cashbackMinor', sum(cashback_minor + discount_minor) FROM redemptions WHERE reversed_at IS NULL AND offer_id = ANY($1) AND redeemed_at >= $2 AND redeemed_at < $3 GROUP BY 1
  UNION ALL
  SELECT ${BIN('reversed_at')}, 'reversals', count(*) FROM redemptions WHERE offer_id = ANY($1) AND reversed_at >= $2 AND reversed_at < $3 GROUP BY 1
  UNION ALL
  SELECT ${BIN('at')}, CASE kind WHEN 'push' THEN 'pushes' ELSE 'opens' END, count(*) FROM impressions WHERE offer_id = ANY($1) AND at >= $2 AND at < $3 GROUP BY 1, 2
  UNION ALL
  SELECT ${BIN('bucket_start')}, metric, sum(value) FROM report_rollups WHERE offer_id = ANY($1) AND bucket_start >= $2 AND bucket_start < $3 GROUP BY 1, 2`;

export interface ReportQuery {
  scope: 'offer' | 'campaign';
  id: string;
  from: Date;
  to: Date;
  tz: string;
  granularity: Granularity;
  /** Partners see only their own offers. */
  partnerId?: string | undefined;
}

export async function report(pool: Db, q: ReportQuery): Promise<{ offers: string[]; rows: ReportRow[] }> {
  const { rows: offers } = await query<{ offer_id: string; partner_id: string | null }>(
    pool,
    q.scope === 'offer'
      ? 'SELECT offer_id, partner_id FROM offers WHERE offer_id = $1'
      : 'SELECT offer_id, partner_id FROM offers WHERE campaign_id = $1',
    [q.id],
  ).catch((err: { code?: string }) => {
    if (err.code === '22P02') return { rows: [] };
    throw err;
  });
  const visible = offers.filter((o) => q.partnerId === undefined || o.partner_id === q.partnerId);
  if (visible.length === 0) {
    if (q.scope === 'offer' || offers.length > 0) throw new NearcastError('NOT_FOUND', `no such ${q.scope}`);
    const { rowCount } = await query(
      pool,
      'SELECT 1 FROM campaigns WHERE campaign_id = $1 AND ($2::text IS NULL OR partner_id = $2)',
      [q.id, q.partnerId ?? null],
    );
    if (!rowCount) throw new NearcastError('NOT_FOUND', 'no such campaign');
  }
  const ids = visible.map((o) => o.offer_id);
  const { rows } = await query<{ b: number; m: BucketCount['metric']; v: number }>(pool, FACTS, [ids, q.from, q.to]);
  return {
    offers: ids,
    rows: bucketize(
      rows.map((r) => ({ bucketMs: r.b, metric: r.m, value: r.v })),
      q.tz,
      q.granularity,
    ),
  };
}
