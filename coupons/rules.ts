// Pure coupon rules: may this user claim now, does a purchase qualify, and
// what reward it earns. The stores load the facts, these decide.

export interface ClaimPolicy {
  startsAt: number | null;
  endsAt: number | null;
  maxPerUser: number | null;
  maxPerUserPerDay: number | null;
  onePerUserPerDay: boolean;
}

/** What the store counted for this user, under the user's lock. */
export interface UserClaimCounts {
  /** Claims of this offer that hold or consumed a unit (live and unexpired, or redeemed). */
  holding: number;
  /** Claims of this offer started today (the offer's day), whatever became of them. */
  today: number;
  /** Claims of any offer started today. */
  todayAnyOffer: number;
}

export type ClaimRefusal = 'NOT_ACTIVE' | 'NOT_STARTED' | 'ENDED' | 'USER_CAP' | 'USER_DAILY_CAP' | 'ONE_PER_DAY';

export function claimRefusal(
  policy: ClaimPolicy,
  live: boolean,
  counts: UserClaimCounts,
  now: number,
): ClaimRefusal | undefined {
  if (!live) return 'NOT_ACTIVE';
  if (policy.startsAt !== null && now < policy.startsAt) return 'NOT_STARTED';
  if (policy.endsAt !== null && now >= policy.endsAt) return 'ENDED';
  if (policy.maxPerUser !== null && counts.holding >= policy.maxPerUser) return 'USER_CAP';
  if (policy.maxPerUserPerDay !== null && counts.today >= policy.maxPerUserPerDay) return 'USER_DAILY_CAP';
  if (policy.onePerUserPerDay && counts.todayAnyOffer >= 1) return 'ONE_PER_DAY';
  return undefined;
}

/**
 * Decides a batch of claims of one offer in arrival order. Counts are what the
 * store found for each user (under the users' locks); claims granted earlier
 * in the batch count against later ones of the same user.
 */
export function decideBatch(
  policy: ClaimPolicy,
  live: boolean,
  now: number,
  userIds: readonly string[],
  counts: ReadonlyMap<string, UserClaimCounts>,
): Array<ClaimRefusal | undefined> {
  const running = new Map<string, UserClaimCounts>();
  return userIds.map((userId) => {
    const c = running.get(userId) ?? counts.get(userId) ?? { holding: 0, today: 0, todayAnyOffer: 0 };
    const refusal = claimRefusal(policy, live, c, now);
    if (!refusal)
      running.set(userId, { holding: c.holding + 1, today: c.today + 1, todayAnyOffer: c.todayAnyOffer + 1 });
    return refusal;
  });
}

export const REFUSAL_MESSAGES: Record<ClaimRefusal, string> = {
  NOT_ACTIVE: 'the offer is not active',
  NOT_STARTED: 'the offer has not started',
  ENDED: 'the offer has ended',
  USER_CAP: 'you already hold the maximum number of these coupons',
  USER_DAILY_CAP: 'you have claimed this offer as often as allowed today',
  ONE_PER_DAY: 'one coupon per day: you already claimed one today',
};

export interface Eligibility {
  minSpendMinor: number;
  /** A larger purchase is refused, not counted up to it: an outsized amount is a mistake or an attack. */
  maxPurchaseMinor: number | null;
  merchants: readonly string[];
  categories: readonly string[];
}

export interface Purchase {
  amountMinor: number;
  merchantId: string;
  category?: string | undefined;
}

/** Every reason the purchase does not qualify; empty when it does. */
export function ineligibility(rules: Eligibility, p: Purchase): string[] {
  const reasons: string[] = [];
  if (p.amountMinor < rules.minSpendMinor) reasons.push(`minimum spend is ${rules.minSpendMinor}`);
  if (rules.maxPurchaseMinor !== null && p.amountMinor > rules.maxPurchaseMinor) {
    reasons.push(`purchase of ${p.amountMinor} is above this offer's maximum purchase of ${rules.maxPurchaseMinor}`);
  }
  if (rules.merchants.length > 0 && !rules.merchants.includes(p.merchantId))
    reasons.push(`merchant ${p.merchantId} does not take part`);
  if (rules.categories.length > 0 && (p.category === undefined || !rules.categories.includes(p.category)))
    reasons.push('purchase category does not qualify');
  return reasons;
}

export interface Reward {
  type: 'cashback' | 'discount';
  /** Percent of the purchase amount (0–100), or */
  percent?: number | undefined;
  /** a fixed amount in minor units. */
  fixedMinor?: number | undefined;
  /** Upper bound on the reward in minor units. */
  maxMinor?: number | undefined;
}

/**
 * Why a reward definition is unsafe, or undefined. A percent reward grows with
 * the purchase, so it must be bounded per redemption (the offer's
 * maxRewardMinor or the reward's maxMinor); otherwise one large purchase could
 * take the whole budget.
 */
export function unboundedReward(reward: Reward, maxRewardMinor: number | null | undefined): string | undefined {
  if (reward.percent === undefined || reward.maxMinor !== undefined || (maxRewardMinor ?? null) !== null) {
    return undefined;
  }
  return (
    'body/maxRewardMinor is required for a percent reward (or body/reward/maxMinor): ' +
    'it bounds the reward per redemption'
  );
}

/**
 * The reward for a purchase, never more than the purchase, the reward's own
 * cap, the offer's maxRewardMinor, or what is left of the budgets. `clamped`
 * says the budget cut it short.
 */
export function rewardFor(
  reward: Reward,
  amountMinor: number,
  budgetLeftMinor: number,
  maxRewardMinor: number | null = null,
): { valueMinor: number; clamped: boolean } {
  let value = reward.fixedMinor ?? Math.floor((amountMinor * (reward.percent ?? 0)) / 100);
  if (reward.maxMinor !== undefined) value = Math.min(value, reward.maxMinor);
  if (maxRewardMinor !== null) value = Math.min(value, maxRewardMinor);
  value = Math.max(0, Math.min(value, amountMinor));
  const left = Math.max(0, budgetLeftMinor);
  return value > left ? { valueMinor: left, clamped: true } : { valueMinor: value, clamped: false };
}
