// Redemption and reversal. A redemption is keyed by its code (the claim id),
// so a retried request finds the first one instead of making a second. Only a
// party that saw the purchase states it: a merchant (scoped to its points of
// sale by the gateway), staff, or the card feed; never the phone. Locks
// are taken in the order the claim path takes them (unit, then claim), then
// the offer and campaign rows that carry the budget.
import { NearcastError } from '../pipeline/errors.ts';
import { query, withTx, type Db, type Tx } from './db.ts';
import { isExhausted } from './lifecycle.ts';
import { campaignState, enqueueOffers, offerState } from './outbox.ts';
import { ineligibility, rewardFor, type Eligibility, type Purchase, type Reward } from './rules.ts';

export interface Redemption {
  code: string;
  offerId: string;
  campaignId: string;
  userId: string;
  amountMinor: number;
  merchantId: string;
  category: string | null;
  cashbackMinor: number;
  discountMinor: number;
  redeemedAt: string;
  reversedAt: string | null;
}

/**
 * Who asks. A device only reads its own codes' redemptions; a merchant redeems
 * any code it is shown and reads the redemptions it made; `feed` is the card
 * aggregator's transaction feed; admin does anything.
 */
export interface Requester {
  userId: string;
  kind: 'device' | 'merchant' | 'admin' | 'feed';
}

/** Purchases are stated only by a party that saw them. */
function assertWitness(who: Requester): void {
  if (who.kind === 'device') throw new NearcastError('FORBIDDEN', 'a phone presents its code; the merchant redeems it');
}

/* eslint-disable @typescript-eslint/no-explicit-any -- pg rows */
function fromRow(r: any): Redemption {
  return {
    code: r.code,
    offerId: r.offer_id,
    campaignId: r.campaign_id,
    userId: r.user_id,
    amountMinor: Number(r.amount_minor),
    merchantId: r.merchant_id,
    category: r.category,
    cashbackMinor: Number(r.cashback_minor),
    discountMinor: Number(r.discount_minor),
    redeemedAt: r.redeemed_at.toISOString(),
    reversedAt: r.reversed_at ? r.reversed_at.toISOString() : null,
  };
}
/* eslint-enable @typescript-eslint/no-explicit-any */

const SELECT_REDEMPTION = 'SELECT claim_id::text AS code, * FROM redemptions WHERE claim_id = $1';

async function lockClaim(tx: Tx, code: bigint, who: Requester) {
  const {
    rows: [k0],
  } = await tx.query('SELECT offer_id, unit_no, user_id FROM claims WHERE claim_id = $1', [code.toString()]);
  if (!k0 || (who.kind === 'device' && k0.user_id !== who.userId)) throw new NearcastError('NOT_FOUND', 'no such code');
  const {
    rows: [unit],
  } = await tx.query(
    'SELECT claim_id::text AS claim_id, consumed, held_until > now() AS held FROM claim_units WHERE offer_id = $1 AND unit_no = $2 FOR UPDATE',
    [k0.offer_id, k0.unit_no],
  );
  const {
    rows: [claim],
  } = await tx.query('SELECT status, expires_at > now() AS unexpired FROM claims WHERE claim_id = $1 FOR UPDATE', [
    code.toString(),
  ]);
  const {
    rows: [o],
  } = await tx.query(
    `SELECT o.*, c.status AS c_status, c.budget_minor AS c_budget_minor, c.spent_minor AS c_spent_minor
       FROM offers o JOIN campaigns c USING (campaign_id) WHERE o.offer_id = $1 FOR UPDATE OF o, c`,
    [k0.offer_id],
  );
  return { k0, unit, claim, o };
}

export interface RedeemOutcome {
  redemption: Redemption;
  /** True when this request found an earlier identical redemption (a retry). */
  replay: boolean;
}

/** `transactionId`: the card feed's id of the purchase (unique among redemptions). */
export async function redeem(
  pool: Db,
  code: bigint,
  p: Purchase,
  who: Requester,
  nowMs: number,
  transactionId: string | null = null,
): Promise<RedeemOutcome> {
  assertWitness(who);
  return withTx(pool, async (tx) => {
    const { k0, unit, claim, o } = await lockClaim(tx, code, who);
    const {
      rows: [earlier],
    } = await tx.query(SELECT_REDEMPTION, [code.toString()]);
    if (earlier) {
      const same =
        Number(earlier.amount_minor) === p.amountMinor &&
        earlier.merchant_id === p.merchantId &&
        earlier.reversed_at === null;
      if (!same)
        throw new NearcastError(
          'CONFLICT',
          earlier.reversed_at
            ? 'this code was redeemed and reversed'
            : 'this code was already redeemed with a different purchase',
        );
      return { redemption: fromRow(earlier), replay: true };
    }
    if (claim.status !== 'live' || !claim.unexpired || unit?.claim_id !== code.toString() || unit.consumed)
      throw new NearcastError('CLAIM_EXPIRED', 'this code is no longer live');
    const reasons = ineligibility(eligibility(o), p);
    if (reasons.length) throw new NearcastError('NOT_ELIGIBLE', reasons.join('; '));
    const reward = rewardFor(o.reward as Reward, p.amountMinor, budgetLeft(o), nullable(o.max_reward_minor));
    if (reward.clamped && reward.valueMinor === 0) throw new NearcastError('CONFLICT', 'the budget is used up');
    const cashback = (o.reward as Reward).type === 'cashback' ? reward.valueMinor : 0;
    const discount = reward.valueMinor - cashback;
    const before = isExhausted(offerState(o), campaignState(o));
    await tx.query(
      `INSERT INTO redemptions (claim_id, offer_id, campaign_id, user_id, amount_minor, merchant_id, category,
                                cashback_minor, discount_minor, redeemed_at, redeemed_by, redeemed_by_role,
                                transaction_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now(), $10, $11, $12)`,
      [
        code.toString(),
        o.offer_id,
        o.campaign_id,
        k0.user_id,
        p.amountMinor,
        p.merchantId,
        p.category ?? null,
        cashback,
        discount,
        who.userId,
        who.kind,
        transactionId,
      ],
    );
    await tx.query("UPDATE claims SET status = 'redeemed', ended_at = now() WHERE claim_id = $1", [code.toString()]);
    await tx.query('UPDATE claim_units SET consumed = true WHERE offer_id = $1 AND unit_no = $2', [
      o.offer_id,
      k0.unit_no,
    ]);
    await tx.query(
      'UPDATE offers SET redeemed_count = redeemed_count + 1, spent_minor = spent_minor + $2, updated_at = now() WHERE offer_id = $1',
      [o.offer_id, reward.valueMinor],
    );
    await tx.query('UPDATE campaigns SET spent_minor = spent_minor + $2, updated_at = now() WHERE campaign_id = $1', [
      o.campaign_id,
      reward.valueMinor,
    ]);
    await publishIfExhaustionChanged(tx, o, before, nowMs);
    const {
      rows: [r],
    } = await tx.query(SELECT_REDEMPTION, [code.toString()]);
    return { redemption: fromRow(r), replay: false };
  });
}

/** The same checks as redeem, without writing anything. */
export async function checkRedeemable(
  pool: Db,
  code: bigint,
  p: Purchase,
  who: Requester,
): Promise<{ redeemable: boolean; reasons: string[]; rewardMinor: number }> {
  assertWitness(who);
  const {
    rows: [r],
  } = await query(
    pool,
    `SELECT k.user_id, k.status AS claim_status, k.expires_at > now() AS unexpired, u.claim_id::text = k.claim_id::text AND NOT u.consumed AS holds_unit,
            o.*, c.status AS c_status, c.budget_minor AS c_budget_minor, c.spent_minor AS c_spent_minor
       FROM claims k JOIN claim_units u ON u.offer_id = k.offer_id AND u.unit_no = k.unit_no
       JOIN offers o ON o.offer_id = k.offer_id JOIN campaigns c ON c.campaign_id = o.campaign_id
      WHERE k.claim_id = $1`,
    [code.toString()],
  );
  if (!r) throw new NearcastError('NOT_FOUND', 'no such code');
  const reasons: string[] = [];
  if (r.claim_status !== 'live' || !r.unexpired || !r.holds_unit)
    reasons.push(r.claim_status === 'redeemed' ? 'already redeemed' : 'the code is no longer live');
  reasons.push(...ineligibility(eligibility(r), p));
  const reward = rewardFor(r.reward as Reward, p.amountMinor, budgetLeft(r), nullable(r.max_reward_minor));
  if (reward.clamped && reward.valueMinor === 0) reasons.push('the budget is used up');
  return { redeemable: reasons.length === 0, reasons, rewardMinor: reasons.length ? 0 : reward.valueMinor };
}

/** Refund: the redemption is marked reversed, its unit returns to the pool and its reward to the budgets. Idempotent. */
export async function reverse(pool: Db, code: bigint, actor: string, nowMs: number): Promise<Redemption> {
  return withTx(pool, async (tx) => {
    const { k0, o } = await lockClaim(tx, code, { userId: actor, kind: 'admin' });
    const {
      rows: [r],
    } = await tx.query(`${SELECT_REDEMPTION} FOR UPDATE`, [code.toString()]);
    if (!r) throw new NearcastError('NOT_FOUND', 'this code was never redeemed');
    if (r.reversed_at) return fromRow(r);
    const value = Number(r.cashback_minor) + Number(r.discount_minor);
    const before = isExhausted(offerState(o), campaignState(o));
    await tx.query('UPDATE redemptions SET reversed_at = now(), reversed_by = $2 WHERE claim_id = $1', [
      code.toString(),
      actor,
    ]);
    await tx.query("UPDATE claims SET status = 'reversed', ended_at = now() WHERE claim_id = $1", [code.toString()]);
    await tx.query(
      "UPDATE claim_units SET consumed = false, claim_id = NULL, held_until = '-infinity' WHERE offer_id = $1 AND unit_no = $2",
      [o.offer_id, k0.unit_no],
    );
    await tx.query(
      'UPDATE offers SET redeemed_count = redeemed_count - 1, spent_minor = spent_minor - $2, updated_at = now() WHERE offer_id = $1',
      [o.offer_id, value],
    );
    await tx.query('UPDATE campaigns SET spent_minor = spent_minor - $2, updated_at = now() WHERE campaign_id = $1', [
      o.campaign_id,
      value,
    ]);
    await publishIfExhaustionChanged(tx, o, before, nowMs);
    const {
      rows: [after],
    } = await tx.query(SELECT_REDEMPTION, [code.toString()]);
    return fromRow(after);
  });
}

/** The phone reads its own codes' redemptions, a merchant those it made, staff any; others learn nothing (404). */
export async function getRedemption(pool: Db, code: bigint, who: Requester): Promise<Redemption> {
  const {
    rows: [r],
  } = await query(pool, SELECT_REDEMPTION, [code.toString()]);
  const mayRead =
    r &&
    (who.kind === 'admin' ||
      (who.kind === 'device' && r.user_id === who.userId) ||
      (who.kind !== 'device' && r.redeemed_by_role === who.kind && r.redeemed_by === who.userId));
  if (!mayRead) throw new NearcastError('NOT_FOUND', 'no such redemption');
  return fromRow(r);
}

/* eslint-disable @typescript-eslint/no-explicit-any -- pg rows */
const nullable = (v: string | number | null) => (v === null ? null : Number(v));

/** What a purchase must meet; its merchant: the eligibility list, else the offer's own merchants, else any. */
function eligibility(o: any): Eligibility {
  return {
    minSpendMinor: Number(o.min_spend_minor),
    maxPurchaseMinor: nullable(o.max_purchase_minor),
    merchants: o.eligible_merchants.length ? o.eligible_merchants : o.merchant_ids,
    categories: o.eligible_categories,
  };
}

function budgetLeft(o: any): number {
  const campaignLeft = Number(o.c_budget_minor) - Number(o.c_spent_minor);
  return o.budget_minor === null
    ? campaignLeft
    : Math.min(campaignLeft, Number(o.budget_minor) - Number(o.spent_minor));
}

/** Publishes the offer (or, for the campaign budget, every offer of the campaign) when exhaustion flips. */
async function publishIfExhaustionChanged(tx: Tx, o: any, before: boolean, nowMs: number): Promise<void> {
  const {
    rows: [now],
  } = await tx.query(
    `SELECT o.*, c.status AS c_status, c.budget_minor AS c_budget_minor, c.spent_minor AS c_spent_minor FROM offers o JOIN campaigns c USING (campaign_id) WHERE o.offer_id = $1`,
    [o.offer_id],
  );
  const after = isExhausted(offerState(now), campaignState(now));
  const campaignFlipped =
    Number(o.c_spent_minor) >= Number(o.c_budget_minor) !== Number(now.c_spent_minor) >= Number(now.c_budget_minor);
  if (campaignFlipped) {
    const { rows } = await tx.query('SELECT offer_id FROM offers WHERE campaign_id = $1', [o.campaign_id]);
    await enqueueOffers(
      tx,
      rows.map((x) => x.offer_id),
      nowMs,
    );
  } else if (before !== after) {
    await enqueueOffers(tx, [o.offer_id], nowMs);
  }
}
/* eslint-enable @typescript-eslint/no-explicit-any */
