-- Sovereignty (core/sovereignty): peers, approvers and policies, transfers
-- with their officials' signatures, replication batches and receipts, and
-- on a replica the transfers it accepts from its source. Every change here
-- is written with its ledger entry in one transaction.

-- Known peer nodes: registered by an administrator with the key and
-- jurisdiction agreed out of band; a peer must prove both before data flows.
CREATE TABLE sov_peers (
  id uuid PRIMARY KEY,
  name text NOT NULL,
  address text NOT NULL,
  public_key text NOT NULL,
  key_id text NOT NULL,
  jurisdiction text NOT NULL,
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'removed')),
  created_at timestamptz NOT NULL,
  created_by text NOT NULL,
  last_verified_at timestamptz
);
CREATE UNIQUE INDEX sov_peers_name_idx ON sov_peers (name) WHERE status = 'active';

-- Designated officials: scope is a dataset (`registries/identity`) or
-- `break-glass` for support grants. Removal keeps the row (history).
CREATE TABLE sov_approvers (
  id uuid PRIMARY KEY,
  scope text NOT NULL,
  name text NOT NULL,
  public_key text NOT NULL,
  key_id text NOT NULL,
  created_at timestamptz NOT NULL,
  created_by text NOT NULL,
  removed_at timestamptz,
  removed_by text
);
CREATE UNIQUE INDEX sov_approvers_scope_key_idx ON sov_approvers (scope, public_key) WHERE removed_at IS NULL;

-- M of N per scope, and where data of that scope may go.
CREATE TABLE sov_policies (
  scope text PRIMARY KEY,
  threshold integer NOT NULL CHECK (threshold BETWEEN 1 AND 32),
  allowed_jurisdictions text[] NOT NULL DEFAULT '{}',
  allowed_destinations text[] NOT NULL DEFAULT '{}',
  max_minutes integer,
  updated_at timestamptz NOT NULL,
  updated_by text NOT NULL
);

-- Transfers: manifest is the exact signed object (canonical JSON text), its
-- hash what officials sign.
CREATE TABLE sov_transfers (
  id uuid PRIMARY KEY,
  dataset text NOT NULL,
  manifest text NOT NULL,
  manifest_hash text NOT NULL UNIQUE,
  status text NOT NULL CHECK (status IN ('pending-approval', 'approved', 'executing', 'completed', 'refused', 'revoked', 'expired', 'failed')),
  refusal_type text,
  refusal_detail text,
  expires_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL,
  created_by text NOT NULL,
  executed_at timestamptz,
  completed_at timestamptz,
  revoked_at timestamptz,
  revoked_by text,
  revoke_reason text,
  error text,
  batches_sent integer NOT NULL DEFAULT 0,
  batches_acknowledged integer NOT NULL DEFAULT 0,
  records_sent bigint NOT NULL DEFAULT 0,
  records_acknowledged bigint NOT NULL DEFAULT 0,
  -- the last batch's hash (the chain) and where the destination has
  -- acknowledged our checkpoints up to (for consistency proofs)
  last_batch_hash text,
  last_checkpoint_size bigint,
  -- resume point of the dataset read (last key sent)
  cursor text
);
CREATE INDEX sov_transfers_status_idx ON sov_transfers (status, created_at DESC);
CREATE INDEX sov_transfers_created_idx ON sov_transfers (created_at DESC);

-- One row per accepted signature; a key signs a transfer once, and a
-- signature is never accepted twice (anywhere).
CREATE TABLE sov_approvals (
  id uuid PRIMARY KEY,
  subject_kind text NOT NULL CHECK (subject_kind IN ('transfer', 'grant')),
  subject_id uuid NOT NULL,
  public_key text NOT NULL,
  key_id text NOT NULL,
  approver_name text NOT NULL,
  signature text NOT NULL UNIQUE,
  signed_form text NOT NULL CHECK (signed_form IN ('raw', 'hex-text')),
  at timestamptz NOT NULL,
  UNIQUE (subject_kind, subject_id, public_key)
);

-- Batches a source sent, with the receipt the destination signed.
CREATE TABLE sov_batches (
  transfer_id uuid NOT NULL REFERENCES sov_transfers (id),
  seq integer NOT NULL,
  batch_hash text NOT NULL,
  prev_hash text,
  records integer NOT NULL,
  ledger_seq bigint,
  checkpoint_size bigint,
  sent_at timestamptz NOT NULL,
  receipt text,
  receipt_signature text,
  received_at timestamptz,
  replica_ledger_seq bigint,
  PRIMARY KEY (transfer_id, seq)
);

-- Replica side: transfers accepted from the source (first valid batch), the
-- chain position, and the last source checkpoint seen (for consistency).
CREATE TABLE sov_inbound (
  transfer_id uuid PRIMARY KEY,
  source_node text NOT NULL,
  source_key text NOT NULL,
  dataset text NOT NULL,
  manifest text NOT NULL,
  manifest_hash text NOT NULL,
  approvals text NOT NULL,
  expires_at timestamptz NOT NULL,
  status text NOT NULL CHECK (status IN ('receiving', 'revoked', 'expired')),
  last_seq integer NOT NULL DEFAULT 0,
  last_batch_hash text,
  records bigint NOT NULL DEFAULT 0,
  first_at timestamptz NOT NULL,
  last_at timestamptz NOT NULL
);
CREATE TABLE sov_source_checkpoints (
  source_key text PRIMARY KEY,
  tree_size bigint NOT NULL,
  root_hash text NOT NULL,
  body text NOT NULL,
  signature text NOT NULL,
  at timestamptz NOT NULL
);
