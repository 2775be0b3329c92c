-- Up Migration
-- Purchase transactions from bulk imports (the file engine, processors/imports/).
-- transaction_id is the primary key, so a row delivered twice (a resumed or
-- repeated import, a redelivered Kafka batch) is stored once.

CREATE TABLE imported_transactions (
  transaction_id  text PRIMARY KEY,
  user_id         text NOT NULL,
  amount_minor    bigint NOT NULL,
  currency        char(3) NOT NULL,
  merchant_id     text NOT NULL,
  category        text NOT NULL,
  occurred_at     timestamptz NOT NULL,
  import_id       text NOT NULL,
  source_line     bigint NOT NULL,
  imported_at     timestamptz NOT NULL DEFAULT now()
);

-- The preference model reads a user's recent purchases.
CREATE INDEX imported_transactions_user_time ON imported_transactions (user_id, occurred_at DESC);

-- Down Migration
DROP TABLE imported_transactions;
