-- Up Migration
-- The coupon system of record: campaigns and offers with their approval trail,
-- pre-generated claim units, claims, redemptions, impressions, and the outbox
-- that carries offer changes to Kafka in the same transaction as the change.
-- Money is in integer minor units (cents); times are timestamptz.

CREATE TABLE campaigns (
  campaign_id   uuid PRIMARY KEY,
  name          text NOT NULL,
  starts_at     timestamptz NOT NULL,
  ends_at       timestamptz NOT NULL CHECK (ends_at > starts_at),
  budget_minor  bigint NOT NULL CHECK (budget_minor >= 0),
  spent_minor   bigint NOT NULL DEFAULT 0 CHECK (spent_minor >= 0),
  currency      text NOT NULL DEFAULT 'EUR',
  status        text NOT NULL DEFAULT 'draft',
  partner_id    text,
  created_by    text NOT NULL,
  submitted_by  text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  -- Spending never passes the approved budget, whatever the concurrency.
  CONSTRAINT campaigns_within_budget CHECK (spent_minor <= budget_minor)
);

CREATE TABLE offers (
  offer_id              uuid PRIMARY KEY,
  campaign_id           uuid NOT NULL REFERENCES campaigns,
  partner_id            text,
  title                 text NOT NULL,
  description           text NOT NULL DEFAULT '',
  category              text NOT NULL DEFAULT 'general',
  merchant_ids          text[] NOT NULL DEFAULT '{}',
  time_zone             text NOT NULL DEFAULT 'UTC',
  starts_at             timestamptz,
  ends_at               timestamptz,
  opening_hours         jsonb,
  segments              text[] NOT NULL DEFAULT '{}',
  interests             text[] NOT NULL DEFAULT '{}',
  dwell_seconds         integer NOT NULL DEFAULT 0,
  priority              integer NOT NULL DEFAULT 0,
  min_spend_minor       bigint NOT NULL DEFAULT 0,
  eligible_merchants    text[] NOT NULL DEFAULT '{}',
  eligible_categories   text[] NOT NULL DEFAULT '{}',
  reward                jsonb NOT NULL,
  max_total             integer NOT NULL CHECK (max_total >= 0),
  max_per_user          integer,
  max_per_user_per_day  integer,
  one_per_user_per_day  boolean NOT NULL DEFAULT false,
  claim_ttl_seconds     integer NOT NULL DEFAULT 300,
  budget_minor          bigint,
  spent_minor           bigint NOT NULL DEFAULT 0,
  redeemed_count        integer NOT NULL DEFAULT 0,
  status                text NOT NULL DEFAULT 'draft',
  -- Set once the offer was first put on the offers topic: from then on every change is published.
  published             boolean NOT NULL DEFAULT false,
  created_by            text NOT NULL,
  submitted_by          text,
  created_at            timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT offers_within_budget CHECK (budget_minor IS NULL OR spent_minor <= budget_minor),
  CONSTRAINT offers_redeemed_within_cap CHECK (redeemed_count <= max_total)
);
CREATE INDEX offers_campaign ON offers (campaign_id);
CREATE INDEX offers_listing ON offers (status, created_at DESC, offer_id);

-- Geofences of an offer, one row per circle or polygon (GeoJSON-like rings in `shape`).
CREATE TABLE offer_geofences (
  offer_id  uuid NOT NULL REFERENCES offers ON DELETE CASCADE,
  seq       integer NOT NULL,
  kind      text NOT NULL CHECK (kind IN ('circle', 'polygon')),
  shape     jsonb NOT NULL,
  PRIMARY KEY (offer_id, seq)
);

-- Who moved what from which state to which, and when: the four-eyes audit trail.
CREATE TABLE lifecycle_transitions (
  id          bigserial PRIMARY KEY,
  entity      text NOT NULL CHECK (entity IN ('campaign', 'offer')),
  entity_id   uuid NOT NULL,
  from_status text NOT NULL,
  to_status   text NOT NULL,
  actor       text NOT NULL,
  actor_role  text NOT NULL,
  note        text,
  at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX lifecycle_transitions_entity ON lifecycle_transitions (entity_id, id);

-- One row per unit of an offer's overall cap. A unit is free when it is not
-- consumed and its hold has lapsed, so an expired claim returns its unit at the
-- instant it expires, without waiting for the sweeper.
CREATE TABLE claim_units (
  offer_id    uuid NOT NULL REFERENCES offers ON DELETE CASCADE,
  unit_no     integer NOT NULL,
  claim_id    bigint,
  held_until  timestamptz NOT NULL DEFAULT '-infinity',
  consumed    boolean NOT NULL DEFAULT false,
  PRIMARY KEY (offer_id, unit_no)
);
CREATE INDEX claim_units_free ON claim_units (offer_id, held_until) WHERE NOT consumed;

-- claim_id is the redemption code: a 64-bit Snowflake-style id.
CREATE TABLE claims (
  claim_id    bigint PRIMARY KEY,
  offer_id    uuid NOT NULL REFERENCES offers,
  user_id     text NOT NULL,
  unit_no     integer NOT NULL,
  claimed_at  timestamptz NOT NULL,
  expires_at  timestamptz NOT NULL,
  status      text NOT NULL DEFAULT 'live' CHECK (status IN ('live', 'redeemed', 'expired', 'reversed')),
  ended_at    timestamptz
);
CREATE INDEX claims_user_time ON claims (user_id, claimed_at);
CREATE INDEX claims_offer_user ON claims (offer_id, user_id);
CREATE INDEX claims_offer_time ON claims (offer_id, claimed_at);
CREATE INDEX claims_expiring ON claims (expires_at) WHERE status = 'live';
CREATE INDEX claims_expired_time ON claims (offer_id, ended_at) WHERE status = 'expired';

-- One redemption per code (the primary key makes retries idempotent).
CREATE TABLE redemptions (
  claim_id        bigint PRIMARY KEY REFERENCES claims,
  offer_id        uuid NOT NULL REFERENCES offers,
  campaign_id     uuid NOT NULL REFERENCES campaigns,
  user_id         text NOT NULL,
  amount_minor    bigint NOT NULL,
  merchant_id     text NOT NULL,
  category        text,
  cashback_minor  bigint NOT NULL,
  discount_minor  bigint NOT NULL,
  redeemed_at     timestamptz NOT NULL,
  redeemed_by     text NOT NULL,
  reversed_at     timestamptz,
  reversed_by     text
);
CREATE INDEX redemptions_offer_time ON redemptions (offer_id, redeemed_at);
CREATE INDEX redemptions_offer_reversed ON redemptions (offer_id, reversed_at) WHERE reversed_at IS NOT NULL;

-- Pushes delivered (filled by a delivery-results consumer) and opens (from the phone).
CREATE TABLE impressions (
  id        bigserial PRIMARY KEY,
  offer_id  uuid NOT NULL,
  user_id   text NOT NULL,
  kind      text NOT NULL CHECK (kind IN ('push', 'open')),
  push_id   text,
  at        timestamptz NOT NULL
);
CREATE UNIQUE INDEX impressions_once ON impressions (kind, push_id) WHERE push_id IS NOT NULL;
CREATE INDEX impressions_offer_time ON impressions (offer_id, at);

-- Pre-aggregated counts per offer and 15-minute UTC bucket, for sources too
-- large to scan (push impressions). Every real UTC offset is a multiple of 15
-- minutes, so any IANA zone's days and weeks are unions of these buckets.
CREATE TABLE report_rollups (
  offer_id      uuid NOT NULL,
  bucket_start  timestamptz NOT NULL,
  metric        text NOT NULL,
  value         bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (offer_id, metric, bucket_start)
);

-- Transactional outbox: written in the transaction that changes an offer,
-- published to Kafka by the relay, then marked sent.
CREATE TABLE outbox (
  id          bigserial PRIMARY KEY,
  topic       text NOT NULL,
  msg_key     text NOT NULL,
  payload     jsonb,
  created_at  timestamptz NOT NULL DEFAULT now(),
  sent_at     timestamptz
);
CREATE INDEX outbox_pending ON outbox (id) WHERE sent_at IS NULL;

-- Down Migration
DROP TABLE outbox, report_rollups, impressions, redemptions, claims, claim_units, lifecycle_transitions, offer_geofences, offers, campaigns;
