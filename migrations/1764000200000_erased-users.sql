-- Up Migration
-- Erasure tombstones: one row per erased user id, holding a SHA-256 digest of
-- the id, never the id itself. Writers of per-user rows (the impressions
-- consumer) check it; pipeline/erasure.ts writes it in the erasure request.
CREATE TABLE erased_users (
  digest     text PRIMARY KEY,
  erased_at  timestamptz NOT NULL
);

-- Down Migration
DROP TABLE erased_users;
