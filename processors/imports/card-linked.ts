// Card-linked redemption. A purchase in the aggregator's transaction feed was
// seen by a party other than the phone (the card network), so, like a
// merchant's word, it may redeem: a live claim of that user, for an offer that
// names the purchase's merchant, claimed before the purchase and live when it
// happened, is redeemed with the feed's amount (redeemed_by `feed:<importId>`).
// Offers that name no merchant are never redeemed this way: any purchase
// anywhere would do. Idempotent on the transaction id (a unique column of
// redemptions), so a redelivered batch or a re-imported file pays nothing twice.
import type pg from 'pg';
import { NearcastError } from '../../pipeline/errors.ts';
import { query, redeem } from '../../coupons/index.ts';
import type { TransactionInsert } from './transactions-db.ts';

export type CardLinkedOutcome = 'redeemed' | 'replayed' | 'refused';

/** The purchase does not qualify or the claim moved on: skipped for good. Anything else fails the batch (retried). */
const SKIPPED = new Set(['NOT_ELIGIBLE', 'CONFLICT', 'CLAIM_EXPIRED', 'NOT_FOUND']);

/** Per transaction of the batch, the claim it may redeem: the one that lapses first. */
const CANDIDATES = `
SELECT DISTINCT ON (t.id) t.id AS transaction_id, k.claim_id::text AS code
  FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::timestamptz[])
         AS t(id, user_id, amount, currency, merchant, at)
  JOIN claims k ON k.user_id = t.user_id AND k.status = 'live' AND k.expires_at > now()
                AND k.claimed_at <= t.at AND t.at < k.expires_at
  JOIN claim_units u ON u.offer_id = k.offer_id AND u.unit_no = k.unit_no AND u.claim_id = k.claim_id AND NOT u.consumed
  JOIN offers o ON o.offer_id = k.offer_id
  JOIN campaigns c ON c.campaign_id = o.campaign_id
 WHERE t.amount > 0 AND c.currency = t.currency
   AND t.merchant = ANY (CASE WHEN cardinality(o.eligible_merchants) > 0 THEN o.eligible_merchants
                         ELSE o.merchant_ids END)
   AND NOT EXISTS (SELECT 1 FROM redemptions r WHERE r.transaction_id = t.id)
 ORDER BY t.id, k.expires_at`;

type Counts = Record<CardLinkedOutcome, number>;

/** Redeems what the batch's purchases qualify for; durable when it resolves. Counts per outcome. */
export async function redeemCardLinked(
  pool: pg.Pool,
  items: readonly TransactionInsert[],
  nowMs: number,
): Promise<Counts> {
  const counts: Counts = { redeemed: 0, replayed: 0, refused: 0 };
  if (items.length === 0) return counts;
  const rows = items.map((i) => i.row);
  const { rows: found } = await query<{ transaction_id: string; code: string }>(pool, CANDIDATES, [
    rows.map((r) => r.transactionId),
    rows.map((r) => r.userId),
    rows.map((r) => r.amountMinor),
    rows.map((r) => r.currency),
    rows.map((r) => r.merchantId),
    rows.map((r) => new Date(r.occurredAt).toISOString()),
  ]);
  const byId = new Map(items.map((i) => [i.row.transactionId, i]));
  // In the order the purchases happened: when two compete for one claim, the earlier one redeems it.
  const ordered = found
    .map((f) => ({ code: f.code, item: byId.get(f.transaction_id)! }))
    .sort((a, b) => a.item.row.occurredAt - b.item.row.occurredAt);
  for (const { code, item } of ordered) {
    const { row } = item;
    const purchase = { amountMinor: row.amountMinor, merchantId: row.merchantId, category: row.category };
    try {
      const feed = { userId: `feed:${item.importId}`, kind: 'feed' } as const;
      const out = await redeem(pool, BigInt(code), purchase, feed, nowMs, row.transactionId);
      counts[out.replay ? 'replayed' : 'redeemed'] += 1;
    } catch (err) {
      // 23505: another consumer redeemed with this transaction at the same moment.
      const raced = (err as { code?: string }).code === '23505';
      if (!raced && !(err instanceof NearcastError && SKIPPED.has(err.code))) throw err;
      counts.refused += 1;
    }
  }
  return counts;
}
