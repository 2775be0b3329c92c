// The approval lifecycle shared by campaigns and offers, and what an offer's
// state means to matchers. Pure: callers load the row, ask, then write.
//
//   draft → pending_approval → approved → active ↔ paused → ended
//                 └── reject ──→ draft
import type { OfferStatus } from '../schemas/types.ts';

export type LifecycleStatus = 'draft' | 'pending_approval' | 'approved' | 'active' | 'paused' | 'ended';
export type LifecycleAction = 'submit' | 'approve' | 'reject' | 'activate' | 'pause' | 'resume' | 'end';
export type StaffRole = 'marketer' | 'approver' | 'admin' | 'partner';

export const LIFECYCLE_ACTIONS: readonly LifecycleAction[] = [
  'submit',
  'approve',
  'reject',
  'activate',
  'pause',
  'resume',
  'end',
];

const RULES: Record<
  LifecycleAction,
  { from: readonly LifecycleStatus[]; to: LifecycleStatus; roles: readonly StaffRole[] }
> = {
  submit: { from: ['draft'], to: 'pending_approval', roles: ['marketer', 'admin', 'partner'] },
  approve: { from: ['pending_approval'], to: 'approved', roles: ['approver', 'admin'] },
  reject: { from: ['pending_approval'], to: 'draft', roles: ['approver', 'admin'] },
  activate: { from: ['approved'], to: 'active', roles: ['marketer', 'admin'] },
  pause: { from: ['active'], to: 'paused', roles: ['marketer', 'admin'] },
  resume: { from: ['paused'], to: 'active', roles: ['marketer', 'admin'] },
  end: { from: ['approved', 'active', 'paused'], to: 'ended', roles: ['marketer', 'admin'] },
};

export interface Actor {
  id: string;
  role: StaffRole;
}

export type TransitionDecision =
  { ok: true; to: LifecycleStatus } | { ok: false; code: 'FORBIDDEN' | 'CONFLICT'; reason: string };

export interface TransitionSubject {
  status: LifecycleStatus;
  /** Who created it (`created_by`): the author. */
  createdBy: string;
  submittedBy: string | null;
}

/** "an approver", "a marketer": every role name that starts with a vowel letter starts with a vowel sound. */
const withArticle = (word: string): string => `${/^[aeiou]/i.test(word) ? 'an' : 'a'} ${word}`;

export function decideTransition(
  current: TransitionSubject,
  action: LifecycleAction,
  actor: Actor,
): TransitionDecision {
  const rule = RULES[action];
  const forbidden = (reason: string): TransitionDecision => ({ ok: false, code: 'FORBIDDEN', reason });
  if (!rule.roles.includes(actor.role)) return forbidden(`${withArticle(actor.role)} cannot ${action}`);
  if (!rule.from.includes(current.status))
    return { ok: false, code: 'CONFLICT', reason: `cannot ${action} from ${current.status}` };
  // Four eyes: neither the author nor the submitter decides, whatever their role or token: otherwise an
  // author could have a colleague submit and then approve their own work.
  if (action === 'approve' || action === 'reject') {
    if (current.createdBy === actor.id) return forbidden(`the author cannot ${action} their own work`);
    if (current.submittedBy === actor.id) return forbidden(`the submitter cannot ${action} their own submission`);
  }
  return { ok: true, to: rule.to };
}

export interface OfferState {
  status: LifecycleStatus;
  published: boolean;
  maxTotal: number;
  redeemedCount: number;
  budgetMinor: number | null;
  spentMinor: number;
}

export interface CampaignState {
  status: LifecycleStatus;
  budgetMinor: number;
  spentMinor: number;
}

/** Whether an offer's cap or budget (or its campaign's budget) is used up for good. */
export function isExhausted(offer: OfferState, campaign: CampaignState): boolean {
  return (
    offer.redeemedCount >= offer.maxTotal ||
    (offer.budgetMinor !== null && offer.spentMinor >= offer.budgetMinor) ||
    campaign.spentMinor >= campaign.budgetMinor
  );
}

/**
 * The status matchers see on the offers topic, or undefined while the offer
 * has never been live (drafts and approvals are not the matchers' business).
 */
export function offerEventStatus(offer: OfferState, campaign: CampaignState): OfferStatus | undefined {
  const live = offer.status === 'active' || offer.status === 'paused' || offer.status === 'ended';
  if (!live && !offer.published) return undefined;
  if (offer.status === 'ended' || campaign.status === 'ended') return 'ENDED';
  if (isExhausted(offer, campaign)) return 'EXHAUSTED';
  if (offer.status === 'active' && campaign.status === 'active') return 'ACTIVE';
  return 'PAUSED';
}
