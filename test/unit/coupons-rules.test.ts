import { describe, expect, it } from 'vitest';
import {
  decideTransition,
  isExhausted,
  offerEventStatus,
  type CampaignState,
  type OfferState,
  claimRefusal,
  decideBatch,
  ineligibility,
  rewardFor,
  unboundedReward,
  type ClaimPolicy,
} from '../../coupons/index.ts';

describe('lifecycle', () => {
  const mia = { id: 'mia', role: 'marketer' as const };
  const ann = { id: 'ann', role: 'approver' as const };
  const ada = { id: 'ada', role: 'admin' as const };

  it('walks draft → pending → approved → active ↔ paused → ended', () => {
    expect(decideTransition({ status: 'draft', createdBy: 'mia', submittedBy: null }, 'submit', mia)).toEqual({
      ok: true,
      to: 'pending_approval',
    });
    expect(
      decideTransition({ status: 'pending_approval', createdBy: 'mia', submittedBy: 'mia' }, 'approve', ann),
    ).toEqual({ ok: true, to: 'approved' });
    expect(decideTransition({ status: 'approved', createdBy: 'mia', submittedBy: 'mia' }, 'activate', mia)).toEqual({
      ok: true,
      to: 'active',
    });
    expect(decideTransition({ status: 'active', createdBy: 'mia', submittedBy: 'mia' }, 'pause', mia)).toEqual({
      ok: true,
      to: 'paused',
    });
    expect(decideTransition({ status: 'paused', createdBy: 'mia', submittedBy: 'mia' }, 'resume', ada)).toEqual({
      ok: true,
      to: 'active',
    });
    expect(decideTransition({ status: 'active', createdBy: 'mia', submittedBy: 'mia' }, 'end', mia)).toEqual({
      ok: true,
      to: 'ended',
    });
    expect(
      decideTransition({ status: 'pending_approval', createdBy: 'mia', submittedBy: 'mia' }, 'reject', ann),
    ).toEqual({ ok: true, to: 'draft' });
  });

  it('refuses transitions from the wrong state with CONFLICT', () => {
    for (const [status, action] of [
      ['draft', 'approve'],
      ['ended', 'resume'],
      ['active', 'activate'],
      ['draft', 'activate'],
      ['paused', 'pause'],
      ['ended', 'end'],
    ] as const) {
      expect(decideTransition({ status, createdBy: 'mia', submittedBy: 'mia' }, action, ada)).toMatchObject({
        ok: false,
        code: 'CONFLICT',
      });
    }
  });

  it('enforces roles: marketers cannot approve, approvers cannot activate, partners only submit', () => {
    expect(
      decideTransition({ status: 'pending_approval', createdBy: 'max', submittedBy: 'max' }, 'approve', mia),
    ).toMatchObject({ ok: false, code: 'FORBIDDEN' });
    expect(
      decideTransition({ status: 'approved', createdBy: 'mia', submittedBy: 'mia' }, 'activate', ann),
    ).toMatchObject({ ok: false, code: 'FORBIDDEN' });
    const partner = { id: 'agg', role: 'partner' as const };
    expect(decideTransition({ status: 'draft', createdBy: 'mia', submittedBy: null }, 'submit', partner)).toMatchObject(
      { ok: true },
    );
    expect(
      decideTransition({ status: 'approved', createdBy: 'agg', submittedBy: 'agg' }, 'activate', partner),
    ).toMatchObject({ ok: false, code: 'FORBIDDEN' });
  });

  it('four eyes: nobody approves or rejects their own submission, not even an admin', () => {
    expect(
      decideTransition({ status: 'pending_approval', createdBy: 'ada', submittedBy: 'ada' }, 'approve', ada),
    ).toMatchObject({ ok: false, code: 'FORBIDDEN' });
    expect(
      decideTransition({ status: 'pending_approval', createdBy: 'ann', submittedBy: 'ann' }, 'reject', ann),
    ).toMatchObject({ ok: false, code: 'FORBIDDEN' });
    expect(
      decideTransition({ status: 'pending_approval', createdBy: 'mia', submittedBy: 'mia' }, 'approve', ada),
    ).toMatchObject({ ok: true });
  });

  it('four eyes: the author decides on nothing they wrote, whoever submitted it and whatever token they hold', () => {
    const ownWork = { status: 'pending_approval' as const, createdBy: 'mia', submittedBy: 'max' };
    for (const action of ['approve', 'reject'] as const) {
      for (const role of ['approver', 'admin'] as const) {
        const refusal = { ok: false, code: 'FORBIDDEN', reason: `the author cannot ${action} their own work` };
        expect(decideTransition(ownWork, action, { id: 'mia', role })).toEqual(refusal);
      }
      const submitter = decideTransition(ownWork, action, { id: 'max', role: 'admin' });
      expect(submitter).toMatchObject({ ok: false, code: 'FORBIDDEN' });
      expect(decideTransition(ownWork, action, ann)).toMatchObject({ ok: true });
    }
  });

  it('names the role with the right article', () => {
    const pending = { status: 'pending_approval' as const, createdBy: 'mia', submittedBy: 'mia' };
    const approver = decideTransition({ ...pending, status: 'approved' }, 'activate', ann);
    expect(approver).toMatchObject({ reason: 'an approver cannot activate' });
    const marketer = decideTransition(pending, 'approve', { id: 'max', role: 'marketer' });
    expect(marketer).toMatchObject({ reason: 'a marketer cannot approve' });
  });

  const offer = (o: Partial<OfferState> = {}): OfferState => ({
    status: 'active',
    published: false,
    maxTotal: 10,
    redeemedCount: 0,
    budgetMinor: null,
    spentMinor: 0,
    ...o,
  });
  const campaign = (c: Partial<CampaignState> = {}): CampaignState => ({
    status: 'active',
    budgetMinor: 1000,
    spentMinor: 0,
    ...c,
  });

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
  const policy = (p: Partial<ClaimPolicy> = {}): ClaimPolicy => ({
    startsAt: 1000,
    endsAt: 2000,
    maxPerUser: null,
    maxPerUserPerDay: null,
    onePerUserPerDay: false,
    ...p,
  });
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
    expect(claimRefusal(policy({ onePerUserPerDay: true }), true, { ...none, todayAnyOffer: 1 }, 1500)).toBe(
      'ONE_PER_DAY',
    );
    expect(
      claimRefusal(policy({ onePerUserPerDay: false }), true, { ...none, todayAnyOffer: 5 }, 1500),
    ).toBeUndefined();
  });
});

describe('eligibility and rewards', () => {
  const rules = { minSpendMinor: 10_000, maxPurchaseMinor: null, merchants: ['m1', 'm2'], categories: ['food'] };

  it('lists every reason a purchase does not qualify', () => {
    expect(ineligibility(rules, { amountMinor: 10_000, merchantId: 'm1', category: 'food' })).toEqual([]);
    expect(ineligibility(rules, { amountMinor: 9_999, merchantId: 'm3' })).toHaveLength(3);
    const open = { minSpendMinor: 0, maxPurchaseMinor: null, merchants: [], categories: [] };
    expect(ineligibility(open, { amountMinor: 0, merchantId: 'any' })).toEqual([]);
  });

  it('refuses a purchase above the offer maximum, and accepts one exactly at it', () => {
    const capped = { ...rules, maxPurchaseMinor: 50_000 };
    expect(ineligibility(capped, { amountMinor: 50_000, merchantId: 'm1', category: 'food' })).toEqual([]);
    expect(ineligibility(capped, { amountMinor: 50_001, merchantId: 'm1', category: 'food' })).toEqual([
      "purchase of 50001 is above this offer's maximum purchase of 50000",
    ]);
  });

  it('caps any reward at the offer maxRewardMinor, under the budget', () => {
    expect(rewardFor({ type: 'cashback', percent: 10 }, 1e10, 1e9, 300)).toEqual({ valueMinor: 300, clamped: false });
    const tenth = { type: 'cashback', percent: 10 } as const;
    expect(rewardFor({ ...tenth, maxMinor: 200 }, 1e10, 1e9, 300)).toEqual({ valueMinor: 200, clamped: false });
    expect(rewardFor({ type: 'discount', fixedMinor: 500 }, 10_000, 1e9, 300)).toEqual({
      valueMinor: 300,
      clamped: false,
    });
    expect(rewardFor(tenth, 10_000, 100, 300)).toEqual({ valueMinor: 100, clamped: true });
    expect(rewardFor(tenth, 10_000, 1e9, null)).toEqual({ valueMinor: 1000, clamped: false });
  });

  it('calls a percent reward with no per-redemption bound unsafe', () => {
    expect(unboundedReward({ type: 'cashback', percent: 10 }, null)).toMatch(/maxRewardMinor is required/);
    expect(unboundedReward({ type: 'cashback', percent: 10 }, undefined)).toMatch(/maxRewardMinor is required/);
    expect(unboundedReward({ type: 'cashback', percent: 10 }, 500)).toBeUndefined();
    expect(unboundedReward({ type: 'cashback', percent: 10, maxMinor: 500 }, null)).toBeUndefined();
    expect(unboundedReward({ type: 'discount', fixedMinor: 500 }, null)).toBeUndefined();
  });

  it('computes percent and fixed rewards, capped by the reward maximum, the purchase and the budget', () => {
    expect(rewardFor({ type: 'cashback', percent: 20 }, 10_000, 1e9)).toEqual({ valueMinor: 2000, clamped: false });
    expect(rewardFor({ type: 'cashback', percent: 20, maxMinor: 1500 }, 10_000, 1e9)).toEqual({
      valueMinor: 1500,
      clamped: false,
    });
    expect(rewardFor({ type: 'cashback', percent: 33 }, 101, 1e9)).toEqual({ valueMinor: 33, clamped: false }); // rounds down
    expect(rewardFor({ type: 'discount', fixedMinor: 500 }, 300, 1e9)).toEqual({ valueMinor: 300, clamped: false });
    expect(rewardFor({ type: 'cashback', fixedMinor: 2000 }, 10_000, 700)).toEqual({ valueMinor: 700, clamped: true });
    expect(rewardFor({ type: 'cashback', fixedMinor: 2000 }, 10_000, 0)).toEqual({ valueMinor: 0, clamped: true });
  });
});

describe('batched claim decisions', () => {
  const policy: ClaimPolicy = {
    startsAt: null,
    endsAt: null,
    maxPerUser: 1,
    maxPerUserPerDay: null,
    onePerUserPerDay: false,
  };

  it('counts earlier grants in the batch against later claims of the same user', () => {
    const counts = new Map([['b', { holding: 1, today: 1, todayAnyOffer: 1 }]]);
    expect(decideBatch(policy, true, 0, ['a', 'b', 'a', 'c', 'c'], counts)).toEqual([
      undefined,
      'USER_CAP',
      'USER_CAP',
      undefined,
      'USER_CAP',
    ]);
  });

  it('applies one coupon per day across the batch and refuses everything when not live', () => {
    const daily = { ...policy, maxPerUser: null, onePerUserPerDay: true };
    expect(decideBatch(daily, true, 0, ['a', 'a'], new Map())).toEqual([undefined, 'ONE_PER_DAY']);
    expect(decideBatch(policy, false, 0, ['a', 'b'], new Map())).toEqual(['NOT_ACTIVE', 'NOT_ACTIVE']);
  });
});
