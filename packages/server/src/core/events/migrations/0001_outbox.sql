-- Transactional outbox: events are written in the same transaction as the
-- change they describe and dispatched only after it commits (at least once).
CREATE TABLE event_outbox (
  seq bigserial PRIMARY KEY,
  id uuid NOT NULL UNIQUE,
  name text NOT NULL,
  payload jsonb NOT NULL,
  request_id text,
  occurred_at timestamptz NOT NULL DEFAULT now(),
  dispatched_at timestamptz,
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  next_attempt_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX event_outbox_pending ON event_outbox (seq) WHERE dispatched_at IS NULL;

-- Which subscriber has handled which event: makes redelivery harmless.
CREATE TABLE event_deliveries (
  event_id uuid NOT NULL,
  subscriber text NOT NULL,
  delivered_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (event_id, subscriber)
);
