-- Replication (core/sovereignty): the destination node of a transfer (to
-- find the last source checkpoint that destination acknowledged), the
-- replica's pinned source identity, and completed inbound transfers.

ALTER TABLE sov_transfers ADD COLUMN kind text NOT NULL DEFAULT 'replication';
ALTER TABLE sov_transfers ADD COLUMN destination_node text;
CREATE INDEX sov_transfers_destination_idx ON sov_transfers (destination_node, last_checkpoint_size);

ALTER TABLE sov_inbound DROP CONSTRAINT sov_inbound_status_check;
ALTER TABLE sov_inbound ADD CONSTRAINT sov_inbound_status_check CHECK (status IN ('receiving', 'completed', 'revoked', 'expired'));
ALTER TABLE sov_inbound ADD COLUMN revoked_at timestamptz;
ALTER TABLE sov_inbound ADD COLUMN revoke_reason text;

-- Replica mode: the source node's identity as first fetched (its key is
-- pinned: a different key later is refused, never adopted silently).
CREATE TABLE sov_replica_source (
  id integer PRIMARY KEY CHECK (id = 1),
  url text NOT NULL,
  node text NOT NULL,
  jurisdiction text NOT NULL,
  public_key text NOT NULL,
  key_id text NOT NULL,
  pinned_at timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL
);
