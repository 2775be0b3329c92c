-- Up Migration
-- Per-offer bounds on what one redemption may involve (issue #11): the largest
-- purchase accepted (larger ones are refused) and the largest reward paid.
-- NULL means no bound of that kind; the gateway requires maxRewardMinor (or the
-- reward's own maxMinor) for new percent rewards.

ALTER TABLE offers
  ADD COLUMN max_purchase_minor bigint CHECK (max_purchase_minor > 0),
  ADD COLUMN max_reward_minor   bigint CHECK (max_reward_minor > 0);

-- Who redeemed, by kind: a merchant may read the redemptions it made, which
-- redeemed_by alone cannot say (a merchant account and a staff member could
-- share a name). NULL on rows made before this column.
ALTER TABLE redemptions ADD COLUMN redeemed_by_role text;

-- A card-linked redemption (processors/imports/card-linked.ts) names the feed's
-- transaction: one transaction redeems at most one claim, however often the
-- feed delivers it.
ALTER TABLE redemptions ADD COLUMN transaction_id text UNIQUE;

-- Down Migration
ALTER TABLE redemptions DROP COLUMN redeemed_by_role, DROP COLUMN transaction_id;
ALTER TABLE offers DROP COLUMN max_purchase_minor, DROP COLUMN max_reward_minor;
