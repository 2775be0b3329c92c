// Per-partner quotas: a partner's offers that have not ended are bounded in
// number and in units (the sum of their caps), so one partner cannot fill the
// database or the matchers. Staff are not bounded. The count and the write
// happen under a transaction-scoped advisory lock on the partner, so two
// concurrent creations cannot both squeeze under the limit.
import { NearcastError } from '../pipeline/errors.ts';
import type { Tx } from './db.ts';

export interface PartnerQuota {
  maxOffers: number;
  maxUnits: number;
}

export const DEFAULT_PARTNER_QUOTA: PartnerQuota = { maxOffers: 100, maxUnits: 10_000_000 };

export interface PartnerUsage {
  offers: number;
  units: number;
}

/** Why adding an offer of `units` (or growing one by that many, `newOffer` false) would break the quota. */
export function quotaRefusal(
  usage: PartnerUsage,
  units: number,
  newOffer: boolean,
  q: PartnerQuota,
): string | undefined {
  if (newOffer && usage.offers + 1 > q.maxOffers) {
    return `a partner may have at most ${q.maxOffers} offers that have not ended (end one to make room)`;
  }
  if (usage.units + units > q.maxUnits) {
    return `a partner's offers that have not ended may hold at most ${q.maxUnits} units in all (${usage.units} in use)`;
  }
  return undefined;
}

/**
 * Throws QUOTA_EXCEEDED unless the partner may hold one more offer of `maxTotal`
 * units (or, with `replacing`, that offer with its new cap). Call inside the
 * transaction that writes the offer.
 */
export async function assertPartnerQuota(
  tx: Tx,
  partnerId: string,
  maxTotal: number,
  q: PartnerQuota,
  replacing?: string,
): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 7))', [`partner-quota:${partnerId}`]);
  const {
    rows: [u],
  } = await tx.query(
    `SELECT count(*)::int AS offers, coalesce(sum(max_total), 0)::bigint AS units FROM offers
      WHERE partner_id = $1 AND status <> 'ended' AND ($2::uuid IS NULL OR offer_id <> $2)`,
    [partnerId, replacing ?? null],
  );
  const refusal = quotaRefusal({ offers: u.offers, units: Number(u.units) }, maxTotal, replacing === undefined, q);
  if (refusal) throw new NearcastError('QUOTA_EXCEEDED', refusal);
}
