-- Outside witnesses (core/ledger): parties that fetch this node's signed
-- checkpoints, check them against the last one they saw (consistency
-- proof) and countersign. Their cosignatures are kept here, append-only.

-- Registered witness keys. Removal keeps the row (history), so old
-- cosignatures stay attributable.
CREATE TABLE ledger_witnesses (
  id uuid PRIMARY KEY,
  name text NOT NULL,
  public_key text NOT NULL,
  key_id text NOT NULL,
  created_at timestamptz NOT NULL,
  created_by text NOT NULL,
  removed_at timestamptz,
  removed_by text
);
CREATE UNIQUE INDEX ledger_witnesses_key_idx ON ledger_witnesses (public_key) WHERE removed_at IS NULL;

-- One cosignature per witness and checkpoint: the C2SP tlog-cosignature
-- style signature over "cosignature/v1\ntime <timestamp>\n<checkpoint body>".
CREATE TABLE ledger_cosignatures (
  tree_size bigint NOT NULL REFERENCES ledger_checkpoints (tree_size),
  witness_id uuid NOT NULL REFERENCES ledger_witnesses (id),
  timestamp bigint NOT NULL,
  signature text NOT NULL,
  received_at timestamptz NOT NULL,
  PRIMARY KEY (tree_size, witness_id)
);
CREATE INDEX ledger_cosignatures_witness_idx ON ledger_cosignatures (witness_id, tree_size DESC);

CREATE TRIGGER ledger_cosignatures_append_only BEFORE UPDATE OR DELETE ON ledger_cosignatures FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_cosignatures_no_truncate BEFORE TRUNCATE ON ledger_cosignatures FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
