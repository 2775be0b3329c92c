// Shapes of campaigns and offers as the API shows them, and the row mapping.
import type { Circle, OpeningHours, Point } from '../schemas/types.ts';
import type { LifecycleStatus } from './lifecycle.ts';
import type { Reward } from './rules.ts';

/** A polygon as the API takes it: holes are optional. */
export interface Polygon {
  outer: Point[];
  holes?: Point[][] | undefined;
}

export interface CampaignInput {
  name: string;
  startsAt: string;
  endsAt: string;
  budgetMinor: number;
  currency?: string | undefined;
}

export interface Campaign extends CampaignInput {
  campaignId: string;
  currency: string;
  spentMinor: number;
  status: LifecycleStatus;
  partnerId: string | null;
  createdBy: string;
  submittedBy: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface OfferInput {
  campaignId: string;
  title: string;
  description?: string | undefined;
  category?: string | undefined;
  merchantIds?: string[] | undefined;
  timeZone?: string | undefined;
  circles?: Circle[] | undefined;
  polygons?: Polygon[] | undefined;
  openingHours?: OpeningHours | null | undefined;
  startsAt?: string | null | undefined;
  endsAt?: string | null | undefined;
  segments?: string[] | undefined;
  interests?: string[] | undefined;
  dwellSeconds?: number | undefined;
  priority?: number | undefined;
  eligibility?:
    | { minSpendMinor?: number | undefined; merchants?: string[] | undefined; categories?: string[] | undefined }
    | undefined;
  reward: Reward;
  caps: {
    maxTotal: number;
    maxPerUser?: number | null | undefined;
    maxPerUserPerDay?: number | null | undefined;
    onePerUserPerDay?: boolean | undefined;
  };
  claimTtlSeconds?: number | undefined;
  budgetMinor?: number | null | undefined;
  /** A larger purchase is refused (NOT_ELIGIBLE). */
  maxPurchaseMinor?: number | null | undefined;
  /** No redemption earns more. Required (or reward.maxMinor) for a percent reward. */
  maxRewardMinor?: number | null | undefined;
}

export interface Offer {
  offerId: string;
  campaignId: string;
  partnerId: string | null;
  title: string;
  description: string;
  category: string;
  merchantIds: string[];
  timeZone: string;
  circles: Circle[];
  polygons: Polygon[];
  openingHours: OpeningHours | null;
  startsAt: string | null;
  endsAt: string | null;
  segments: string[];
  interests: string[];
  dwellSeconds: number;
  priority: number;
  eligibility: { minSpendMinor: number; merchants: string[]; categories: string[] };
  reward: Reward;
  caps: { maxTotal: number; maxPerUser: number | null; maxPerUserPerDay: number | null; onePerUserPerDay: boolean };
  claimTtlSeconds: number;
  budgetMinor: number | null;
  maxPurchaseMinor: number | null;
  maxRewardMinor: number | null;
  spentMinor: number;
  redeemedCount: number;
  status: LifecycleStatus;
  published: boolean;
  createdBy: string;
  submittedBy: string | null;
  createdAt: string;
  updatedAt: string;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);
/** bigint columns arrive as strings; absent on rows read before the column existed. */
const nullableNumber = (v: string | number | null | undefined) => (v === null || v === undefined ? null : Number(v));

/* eslint-disable @typescript-eslint/no-explicit-any -- pg rows are untyped by nature */
export function campaignFromRow(r: any): Campaign {
  return {
    campaignId: r.campaign_id,
    name: r.name,
    startsAt: iso(r.starts_at)!,
    endsAt: iso(r.ends_at)!,
    budgetMinor: Number(r.budget_minor),
    spentMinor: Number(r.spent_minor),
    currency: r.currency,
    status: r.status,
    partnerId: r.partner_id,
    createdBy: r.created_by,
    submittedBy: r.submitted_by,
    createdAt: iso(r.created_at)!,
    updatedAt: iso(r.updated_at)!,
  };
}

export function offerFromRow(r: any, geofences: Array<{ kind: string; shape: any }> = []): Offer {
  return {
    offerId: r.offer_id,
    campaignId: r.campaign_id,
    partnerId: r.partner_id,
    title: r.title,
    description: r.description,
    category: r.category,
    merchantIds: r.merchant_ids,
    timeZone: r.time_zone,
    circles: geofences.filter((g) => g.kind === 'circle').map((g) => g.shape),
    polygons: geofences.filter((g) => g.kind === 'polygon').map((g) => g.shape),
    openingHours: r.opening_hours,
    startsAt: iso(r.starts_at),
    endsAt: iso(r.ends_at),
    segments: r.segments,
    interests: r.interests,
    dwellSeconds: r.dwell_seconds,
    priority: r.priority,
    eligibility: {
      minSpendMinor: Number(r.min_spend_minor),
      merchants: r.eligible_merchants,
      categories: r.eligible_categories,
    },
    reward: r.reward,
    caps: {
      maxTotal: r.max_total,
      maxPerUser: r.max_per_user,
      maxPerUserPerDay: r.max_per_user_per_day,
      onePerUserPerDay: r.one_per_user_per_day,
    },
    claimTtlSeconds: r.claim_ttl_seconds,
    budgetMinor: r.budget_minor === null ? null : Number(r.budget_minor),
    spentMinor: Number(r.spent_minor),
    maxPurchaseMinor: nullableNumber(r.max_purchase_minor),
    maxRewardMinor: nullableNumber(r.max_reward_minor),
    redeemedCount: r.redeemed_count,
    status: r.status,
    published: r.published,
    createdBy: r.created_by,
    submittedBy: r.submitted_by,
    createdAt: iso(r.created_at)!,
    updatedAt: iso(r.updated_at)!,
  };
}
/* eslint-enable @typescript-eslint/no-explicit-any */
