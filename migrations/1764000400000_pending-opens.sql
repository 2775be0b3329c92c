-- Up Migration
-- Opens reported by a phone before the delivery result of their push was
-- consumed. An open counts (moves to impressions) only once a push impression
-- with the same push id, user and offer exists; the rest never count and are
-- deleted after a while by the sweeper. Keyed by push id and user, so nobody
-- can take another user's push id first and shut their real open out.
CREATE TABLE pending_opens (
  push_id   text NOT NULL,
  user_id   text NOT NULL,
  offer_id  uuid NOT NULL,
  at        timestamptz NOT NULL,
  PRIMARY KEY (push_id, user_id)
);
CREATE INDEX pending_opens_age ON pending_opens (at);

-- Down Migration
DROP TABLE pending_opens;
