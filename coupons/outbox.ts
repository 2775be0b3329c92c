// Writing offer changes to the outbox, inside the transaction that makes them:
// the row commits with the change or not at all. The relay (relay.ts) puts it
// on the compacted offers topic.
import { OFFER_DEFAULTS, type Offer as OfferEvent } from '../schemas/types.ts';
import type { Tx } from './db.ts';
import { offerEventStatus, type CampaignState, type OfferState } from './lifecycle.ts';
import { offerFromRow } from './model.ts';

export const OUTBOX_CHANNEL = 'nearcast_outbox';

/* eslint-disable @typescript-eslint/no-explicit-any -- pg rows */
export function offerState(r: any): OfferState {
  return {
    status: r.status,
    published: r.published,
    maxTotal: r.max_total,
    redeemedCount: r.redeemed_count,
    budgetMinor: r.budget_minor === null ? null : Number(r.budget_minor),
    spentMinor: Number(r.spent_minor),
  };
}
export function campaignState(r: any): CampaignState {
  return { status: r.c_status, budgetMinor: Number(r.c_budget_minor), spentMinor: Number(r.c_spent_minor) };
}
/* eslint-enable @typescript-eslint/no-explicit-any */

const maxOf = (a: Date | null, b: Date) => (a && a > b ? a : b);
const minOf = (a: Date | null, b: Date) => (a && a < b ? a : b);

/**
 * Enqueues the current state of each offer for the matchers, if it has ever
 * been live. Call after the change, in the same transaction. Returns how many
 * events were written.
 */
export async function enqueueOffers(tx: Tx, offerIds: readonly string[], nowMs: number): Promise<number> {
  if (offerIds.length === 0) return 0;
  const { rows } = await tx.query(
    `SELECT o.*, c.status AS c_status, c.budget_minor AS c_budget_minor, c.spent_minor AS c_spent_minor, c.starts_at AS c_starts_at, c.ends_at AS c_ends_at,
            coalesce((SELECT json_agg(json_build_object('kind', g.kind, 'shape', g.shape) ORDER BY g.seq) FROM offer_geofences g WHERE g.offer_id = o.offer_id), '[]') AS geofences
       FROM offers o JOIN campaigns c USING (campaign_id) WHERE o.offer_id = ANY($1::uuid[]) ORDER BY o.offer_id`,
    [offerIds],
  );
  let written = 0;
  for (const r of rows) {
    const status = offerEventStatus(offerState(r), campaignState(r));
    if (status === undefined) continue;
    const o = offerFromRow(r, r.geofences);
    const event: OfferEvent = {
      ...OFFER_DEFAULTS,
      offerId: o.offerId,
      title: o.title,
      body: o.description,
      category: o.category,
      status,
      circles: o.circles,
      polygons: o.polygons.map((p) => ({ outer: p.outer, holes: p.holes ?? [] })),
      // The offer runs inside its campaign's period.
      startsTs: maxOf(r.starts_at, r.c_starts_at).getTime(),
      endsTs: minOf(r.ends_at, r.c_ends_at).getTime(),
      openingHours: o.openingHours,
      campaignId: o.campaignId,
      merchantId: o.merchantIds[0] ?? '',
      priority: o.priority,
      segments: o.segments,
      dwellSeconds: o.dwellSeconds,
      updatedTs: nowMs,
    };
    await tx.query('INSERT INTO outbox (topic, msg_key, payload) VALUES ($1, $2, $3)', [
      'offers',
      o.offerId,
      JSON.stringify(event),
    ]);
    if (!r.published) await tx.query('UPDATE offers SET published = true WHERE offer_id = $1', [o.offerId]);
    written++;
  }
  // Delivered to listeners only if the transaction commits.
  if (written) await tx.query(`NOTIFY ${OUTBOX_CHANNEL}`);
  return written;
}
