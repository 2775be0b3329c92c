import { describe, expect, it } from 'vitest';
import { decideTransition, isExhausted, offerEventStatus, type CampaignState, type OfferState } from '../../processors/coupons/lifecycle.ts';
import { claimRefusal, decideBatch, ineligibility, rewardFor, type ClaimPolicy } from '../../processors/coupons/rules.ts';

describe('lifecycle', () => {
  const mia = { id: 'mia', role: 'marketer' as const };
  const ann = { id: 'ann', role: 'approver' as const };
  const ada = { id: 'ada', role: 'admin' as const };

  it('walks draft → pending → approved → active ↔ paused → ended', () => {
    expect(decideTransition({ status: 'draft', submittedBy: null }, 'submit', mia)).toEqual({ ok: true, to: 'pending_approval' });
    expect(decideTransition({ status: 'pending_approval', submittedBy: 'mia' }, 'approve', ann)).toEqual({ ok: true, to: 'approved' });
    expect(decideTransition({ status: 'approved', submittedBy: 'mia' }, 'activate', mia)).toEqual({ ok: true, to: 'active' });
    expect(decideTransition({ status: 'active', submittedBy: 'mia' }, 'pause', mia)).toEqual({ ok: true, to: 'paused' });
    expect(decideTransition({ status: 'paused', submittedBy: 'mia' }, 'resume', ada)).toEqual({ ok: true, to: 'active' });
    expect(decideTransition({ status: 'active', submittedBy: 'mia' }, 'end', mia)).toEqual({ ok: true, to: 'ended' });
    expect(decideTransition({ status: 'pending_approval', submittedBy: 'mia' }, 'reject', ann)).toEqual({ ok: true, to: 'draft' });
  });

  it('refuses transitions from the wrong state with CONFLICT', () => {
    for (const [status, action] of [['draft', 'approve'], ['ended', 'resume'], ['active', 'activate'], ['draft', 'activate'], ['paused', 'pause'], ['ended', 'end']] as const) {
      expect(decideTransition({ status, submittedBy: 'mia' }, action, ada)).toMatchObject({ ok: false, code: 'CONFLICT' });
    }
  });

  it('enforces roles: marketers cannot approve, approvers cannot activate, partners only submit', () => {
    expect(decideTransition({ status: 'pending_approval', submittedBy: 'max' }, 'approve', mia)).toMatchObject({ ok: false, code: 'FORBIDDEN' });
    expect(decideTransition({ status: 'approved', submittedBy: 'mia' }, 'activate', ann)).toMatchObject({ ok: false, code: 'FORBIDDEN' });
    const partner = { id: 'agg', role: 'partner' as const };
    expect(decideTransition({ status: 'draft', submittedBy: null }, 'submit', partner)).toMatchObject({ ok: true });
    expect(decideTransition({ status: 'approved', submittedBy: 'agg' }, 'activate', partner)).toMatchObject({ ok: false, code: 'FORBIDDEN' });
  });

  it('four eyes: nobody approves or rejects their own submission, not even an admin', () => {
    expect(decideTransition({ status: 'pending_approval', submittedBy: 'ada' }, 'approve', ada)).toMatchObject({ ok: false, code: 'FORBIDDEN' });
    expect(decideTransition({ status: 'pending_approval', submittedBy: 'ann' }, 'reject', ann)).toMatchObject({ ok: false, code: 'FORBIDDEN' });
    expect(decideTransition({ status: 'pending_approval', submittedBy: 'mia' }, 'approve', ada)).toMatchObject({ ok: true });
  });

  const offer = (o: Partial<OfferState> = {}): OfferState => ({ status: 'active', published: false, maxTotal: 10, redeemedCount: 0, budgetMinor: null, spentMinor: 0, ...o });
  const campaign = (c: Partial<CampaignState> = {}): CampaignState => ({ status: 'active', budgetMinor: 1000, spentMinor: 0, ...c });

  it('maps state to what matchers see', () => {
    expect(offerEventStatus(offer({ status: 'draft' }), campaign())).toBeUndefined();
    expect(offerEventStatus(offer({ status: 'approved' }), campaign())).toBeUndefined();
    expect(offerEventStatus(offer(), campaign())).toBe('ACTIVE');
    expect(offerEventStatus(offer(), campaign({ status: 'approved' }))).toBe('PAUSED');
    expect(offerEventStatus(offer({ status: 'paused', published: true }), campaign())).toBe('PAUSED');
    expect(offerEventStatus(offer(), campaign({ status: 'paused' }))).toBe('PAUSED');
    expect(offerEventStatus(offer(), campaign({ status: 'ended' }))).toBe('ENDED');
    expect(offerEventStatus(offer({ redeemedCount: 10 }), campaign())).toBe('EXHAUSTED');
    expect(offerEventStatus(offer({ budgetMinor: 50, spentMinor: 50 }), campaign())).toBe('EXHAUSTED');
    expect(offerEventStatus(offer(), campaign({ spentMinor: 1000 }))).toBe('EXHAUSTED');
    expect(offerEventStatus(offer({ status: 'ended', redeemedCount: 10 }), campaign())).toBe('ENDED');
  });

  it('calls an offer exhausted only when the cap or a budget is used up', () => {
    expect(isExhausted(offer({ redeemedCount: 9 }), campaign({ spentMinor: 999 }))).toBe(false);
    expect(isExhausted(offer({ redeemedCount: 10 }), campaign())).toBe(true);
  });
});

describe('claim decisions', () => {
  const policy = (p: Partial<ClaimPolicy> = {}): ClaimPolicy => ({ startsAt: 1000, endsAt: 2000, maxPerUser: null, maxPerUserPerDay: null, onePerUserPerDay: false, ...p });
  const none = { holding: 0, today: 0, todayAnyOffer: 0 };

  it('refuses inactive offers and claims outside the period', () => {
    expect(claimRefusal(policy(), false, none, 1500)).toBe('NOT_ACTIVE');
    expect(claimRefusal(policy(), true, none, 999)).toBe('NOT_STARTED');
    expect(claimRefusal(policy(), true, none, 2000)).toBe('ENDED');
    expect(claimRefusal(policy(), true, none, 1000)).toBeUndefined();
  });

  it('enforces per user, per user per day and one coupon per day across offers', () => {
    expect(claimRefusal(policy({ maxPerUser: 2 }), true, { ...none, holding: 1 }, 1500)).toBeUndefined();
    expect(claimRefusal(policy({ maxPerUser: 2 }), true, { ...none, holding: 2 }, 1500)).toBe('USER_CAP');
    expect(claimRefusal(policy({ maxPerUserPerDay: 1 }), true, { ...none, today: 1 }, 1500)).toBe('USER_DAILY_CAP');
    expect(claimRefusal(policy({ onePerUserPerDay: true }), true, { ...none, todayAnyOffer: 1 }, 1500)).toBe('ONE_PER_DAY');
    expect(claimRefusal(policy({ onePerUserPerDay: false }), true, { ...none, todayAnyOffer: 5 }, 1500)).toBeUndefined();
  });
});

describe('eligibility and rewards', () => {
  const rules = { minSpendMinor: 10_000, merchants: ['m1', 'm2'], categories: ['food'] };

  it('lists every reason a purchase does not qualify', () => {
    expect(ineligibility(rules, { amountMinor: 10_000, merchantId: 'm1', category: 'food' })).toEqual([]);
    expect(ineligibility(rules, { amountMinor: 9_999, merchantId: 'm3' })).toHaveLength(3);
    expect(ineligibility({ minSpendMinor: 0, merchants: [], categories: [] }, { amountMinor: 0, merchantId: 'any' })).toEqual([]);
  });

  it('computes percent and fixed rewards, capped by the reward maximum, the purchase and the budget', () => {
    expect(rewardFor({ type: 'cashback', percent: 20 }, 10_000, 1e9)).toEqual({ valueMinor: 2000, clamped: false });
    expect(rewardFor({ type: 'cashback', percent: 20, maxMinor: 1500 }, 10_000, 1e9)).toEqual({ valueMinor: 1500, clamped: false });
    expect(rewardFor({ type: 'cashback', percent: 33 }, 101, 1e9)).toEqual({ valueMinor: 33, clamped: false }); // rounds down
    expect(rewardFor({ type: 'discount', fixedMinor: 500 }, 300, 1e9)).toEqual({ valueMinor: 300, clamped: false });
    expect(rewardFor({ type: 'cashback', fixedMinor: 2000 }, 10_000, 700)).toEqual({ valueMinor: 700, clamped: true });
    expect(rewardFor({ type: 'cashback', fixedMinor: 2000 }, 10_000, 0)).toEqual({ valueMinor: 0, clamped: true });
  });
});

describe('batched claim decisions', () => {
  const policy: ClaimPolicy = { startsAt: null, endsAt: null, maxPerUser: 1, maxPerUserPerDay: null, onePerUserPerDay: false };

  it('counts earlier grants in the batch against later claims of the same user', () => {
    const counts = new Map([['b', { holding: 1, today: 1, todayAnyOffer: 1 }]]);
    expect(decideBatch(policy, true, 0, ['a', 'b', 'a', 'c', 'c'], counts)).toEqual([undefined, 'USER_CAP', 'USER_CAP', undefined, 'USER_CAP']);
  });

  it('applies one coupon per day across the batch and refuses everything when not live', () => {
    const daily = { ...policy, maxPerUser: null, onePerUserPerDay: true };
    expect(decideBatch(daily, true, 0, ['a', 'a'], new Map())).toEqual([undefined, 'ONE_PER_DAY']);
    expect(decideBatch(policy, false, 0, ['a', 'b'], new Map())).toEqual(['NOT_ACTIVE', 'NOT_ACTIVE']);
  });
});
