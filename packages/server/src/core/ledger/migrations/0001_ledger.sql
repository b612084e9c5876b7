-- The tamper-evident ledger (core/ledger). Entries are sealed into an
-- RFC 9162 Merkle tree; signed checkpoints commit to its root. SQL runs on
-- both PGlite and PostgreSQL 15+.

-- One row: the sequencer locks it (SELECT ... FOR UPDATE) inside every
-- sequencing transaction, so several processes on one PostgreSQL assign
-- gapless sequence numbers one batch at a time.
CREATE TABLE ledger_state (
  id smallint PRIMARY KEY CHECK (id = 1),
  tree_size bigint NOT NULL CHECK (tree_size >= 0),
  checkpoint_size bigint CHECK (checkpoint_size >= 0),
  checkpoint_at timestamptz
);
INSERT INTO ledger_state (id, tree_size) VALUES (1, 0);

-- Sealed entries: seq is the leaf index (0-based); leaf_hash is
-- SHA-256(0x00 || entry bytes) over the columns (contracts ledger-format).
CREATE TABLE ledger_entries (
  seq bigint PRIMARY KEY CHECK (seq >= 0),
  at timestamptz NOT NULL,
  actor_type text NOT NULL CHECK (actor_type IN ('user', 'token', 'device', 'system', 'anonymous')),
  actor_id text NOT NULL,
  action text NOT NULL,
  resource text NOT NULL,
  purpose text,
  case_ref text,
  outcome text NOT NULL CHECK (outcome IN ('allowed', 'denied')),
  request_id text,
  details_hash text,
  leaf_hash bytea NOT NULL
);
CREATE INDEX ledger_entries_actor_idx ON ledger_entries (actor_id, seq);
CREATE INDEX ledger_entries_action_idx ON ledger_entries (action text_pattern_ops, seq);
CREATE INDEX ledger_entries_resource_idx ON ledger_entries (resource text_pattern_ops, seq);
CREATE INDEX ledger_entries_at_idx ON ledger_entries (at);
CREATE INDEX ledger_entries_denied_idx ON ledger_entries (seq) WHERE outcome = 'denied';

-- Details records hold personal data outside the sealed bytes: only their
-- SHA-256 (details_hash) is sealed. Lawful erasure sets details to NULL.
CREATE TABLE ledger_details (
  seq bigint PRIMARY KEY,
  details text,
  erased_at timestamptz,
  CHECK ((details IS NULL) = (erased_at IS NOT NULL))
);

-- Entries written inside callers' transactions (appendInTx), waiting for
-- the sequencer; committed rows are moved into ledger_entries.
CREATE TABLE ledger_queue (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at timestamptz NOT NULL,
  actor_type text NOT NULL,
  actor_id text NOT NULL,
  action text NOT NULL,
  resource text NOT NULL,
  purpose text,
  case_ref text,
  outcome text NOT NULL,
  request_id text,
  details text,
  details_hash text
);

-- Every completed perfect aligned subtree above the leaves: node (level,
-- idx) covers leaves [idx * 2^level, (idx + 1) * 2^level). Level 0 is
-- ledger_entries.leaf_hash. Proofs need O(log n) lookups.
CREATE TABLE ledger_tree (
  level smallint NOT NULL CHECK (level >= 1 AND level < 63),
  idx bigint NOT NULL CHECK (idx >= 0),
  hash bytea NOT NULL,
  PRIMARY KEY (level, idx)
);

-- Signed checkpoints (C2SP tlog-checkpoint body, Ed25519 signature).
CREATE TABLE ledger_checkpoints (
  tree_size bigint PRIMARY KEY CHECK (tree_size >= 0),
  root_hash bytea NOT NULL,
  timestamp timestamptz NOT NULL,
  body text NOT NULL,
  signature bytea NOT NULL,
  key_id text NOT NULL,
  -- base64 raw Ed25519 public key of the signer (informative: verifiers
  -- trust only the keys they hold, matched by key_id).
  public_key text NOT NULL
);

-- Append-only, enforced by the database as well: an application bug cannot
-- rewrite history. (Someone who owns the tables can disable these triggers;
-- that is what verification and the signed checkpoints are for.)
CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the ledger is append-only: % on % is refused', TG_OP, TG_TABLE_NAME;
END
$$;
CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON ledger_entries FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_tree_append_only BEFORE UPDATE OR DELETE ON ledger_tree FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_tree_no_truncate BEFORE TRUNCATE ON ledger_tree FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_checkpoints_append_only BEFORE UPDATE OR DELETE ON ledger_checkpoints FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_checkpoints_no_truncate BEFORE TRUNCATE ON ledger_checkpoints FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();

-- Details may only be erased (details set to NULL), never rewritten or deleted.
CREATE FUNCTION ledger_details_erase_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.seq = OLD.seq AND NEW.details IS NULL AND OLD.details IS NOT NULL THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'ledger details can only be erased (details set to NULL): % on ledger_details is refused', TG_OP;
END
$$;
CREATE TRIGGER ledger_details_erase_only BEFORE UPDATE OR DELETE ON ledger_details FOR EACH ROW EXECUTE FUNCTION ledger_details_erase_only();
CREATE TRIGGER ledger_details_no_truncate BEFORE TRUNCATE ON ledger_details FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
