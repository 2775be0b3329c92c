// The coupon domain's one front door: everything the gateway, the CLI, the
// workers, scripts, benchmarks and tests may call. Nothing outside coupons/
// imports the modules behind it (eslint enforces this), so they can change
// freely. The background work's entry point is main.ts (`coupons-worker`).

// Database: migrations run as their own step (`nearcast migrate`), before any component.
export { dropDatabase, ensureDatabase, migrate, query, withTx, type Db, type Tx } from './db.ts';

// Background work: outbox relay, expiry sweeper, impressions consumer, interest learner.
export { startCouponWorker, type CouponWorker } from './worker.ts';
export { startOutboxRelay, type Relay, type RelayDeps } from './relay.ts';
export { enqueueOffers } from './outbox.ts';
export { learnInterests } from './affinity-learner.ts';
export { recordOpen, type OpenOutcome } from './impressions.ts';

// Campaigns and offers, and their reviewed lifecycle.
export { createCoupons, type Coupons } from './service.ts';
export { createCampaign, getCampaign, listCampaigns } from './campaigns.ts';
export { createOffer, getOffer, listOffers, updateDraftOffer, type OfferFilter } from './offers.ts';
export { history, transition, type Entity, type TransitionResult } from './transitions.ts';
export {
  decideTransition,
  isExhausted,
  offerEventStatus,
  type Actor,
  type CampaignState,
  type LifecycleAction,
  type LifecycleStatus,
  type OfferState,
  type StaffRole,
} from './lifecycle.ts';
export type { Campaign, CampaignInput, Offer, OfferInput } from './model.ts';
export { quotaRefusal, type PartnerQuota, type PartnerUsage } from './quotas.ts';

// Claims, codes and redemptions.
export { ClaimService, type Claim } from './claims.ts';
export {
  claimRefusal,
  decideBatch,
  ineligibility,
  rewardFor,
  unboundedReward,
  type ClaimPolicy,
  type ClaimRefusal,
  type Purchase,
  type Reward,
} from './rules.ts';
export { codeFromScan, qrPayload } from './qr.ts';
export { MAX_WORKER_ID, parseCode, parseSnowflake, Snowflake, SNOWFLAKE_EPOCH_MS } from './snowflake.ts';
export { checkRedeemable, getRedemption, redeem, reverse, type Redemption, type Requester } from './redemptions.ts';

// Reports.
export { report, type ReportQuery } from './reports.ts';
export {
  bucketize,
  dateFormatters,
  isTimeZone,
  localDate,
  periodOf,
  toCsv,
  weekStart,
  type Granularity,
  type ReportRow,
} from './report-buckets.ts';
