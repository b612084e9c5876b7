-- Registries (DES): one table of canonical records for every registry, the
-- person links between them, a search index of persons, imports with their
-- reject reports, and the accountability tables (access index, blocks,
-- alerts, canaries).

-- Every record of every registry, keyed by its registry's natural key
-- (CNIC, registration number, MSISDN, parcel id, NTN, passport, FIR ...).
-- record_hash is the SHA-256 of the canonical JSON: re-importing the same
-- extract changes nothing; a newer extract updates by key.
CREATE TABLE reg_records (
  registry text NOT NULL,
  key text NOT NULL,
  data jsonb NOT NULL,
  record_hash text NOT NULL,
  source text NOT NULL,
  import_id uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (registry, key)
);

-- Which persons (CNIC) a record names, and how (owner, holder, accused ...).
CREATE TABLE reg_links (
  cnic text NOT NULL,
  registry text NOT NULL,
  key text NOT NULL,
  rel text NOT NULL,
  PRIMARY KEY (cnic, registry, key, rel)
);
CREATE INDEX reg_links_record_idx ON reg_links (registry, key);

-- The person search index, maintained with the identity registry.
-- name_keys holds phonetic keys of the name (n:KEY) and father's name (f:KEY)
-- in a transliteration-neutral form, so Roman and Urdu spellings meet.
CREATE TABLE reg_persons (
  cnic text PRIMARY KEY,
  name text NOT NULL,
  name_urdu text,
  father_name text NOT NULL,
  father_name_urdu text,
  gender text NOT NULL,
  birth_year integer,
  district text NOT NULL,
  name_keys text[] NOT NULL
);
CREATE INDEX reg_persons_keys_idx ON reg_persons USING gin (name_keys);
CREATE INDEX reg_persons_district_idx ON reg_persons (district, birth_year);

CREATE TABLE reg_imports (
  id uuid PRIMARY KEY,
  registry text NOT NULL,
  source text NOT NULL,
  file_name text NOT NULL,
  format text NOT NULL CHECK (format IN ('csv', 'jsonl')),
  sha256 text,
  bytes bigint NOT NULL DEFAULT 0,
  status text NOT NULL CHECK (status IN ('running', 'completed', 'failed')),
  rows_read bigint NOT NULL DEFAULT 0,
  inserted bigint NOT NULL DEFAULT 0,
  updated bigint NOT NULL DEFAULT 0,
  unchanged bigint NOT NULL DEFAULT 0,
  rejected bigint NOT NULL DEFAULT 0,
  error text,
  started_at timestamptz NOT NULL,
  finished_at timestamptz,
  started_by text NOT NULL
);
CREATE INDEX reg_imports_started_idx ON reg_imports (started_at DESC);

-- Every rejected row: written outside the import's batch, so the report
-- survives an import that rolls back.
CREATE TABLE reg_import_rejects (
  import_id uuid NOT NULL REFERENCES reg_imports (id),
  n integer NOT NULL,
  line bigint NOT NULL,
  field text,
  reason text NOT NULL,
  PRIMARY KEY (import_id, n)
);

-- Who looked at whom: one row per person named in an answer (or a refused
-- query about them), pointing at the ledger entry that records the access.
CREATE TABLE reg_access (
  cnic text NOT NULL,
  seq bigint NOT NULL,
  at timestamptz NOT NULL,
  actor_type text NOT NULL,
  actor_id text NOT NULL,
  actor_name text,
  action text NOT NULL,
  outcome text NOT NULL,
  purpose text,
  case_ref text,
  covert boolean NOT NULL DEFAULT false,
  disclosable_after timestamptz,
  PRIMARY KEY (cnic, seq)
);

-- Officers blocked by the anomaly control until a supervisor releases them.
CREATE TABLE reg_blocks (
  id uuid PRIMARY KEY,
  user_id text NOT NULL,
  username text,
  reason text NOT NULL,
  blocked_at timestamptz NOT NULL,
  released_at timestamptz,
  released_by text,
  release_note text
);
CREATE UNIQUE INDEX reg_blocks_open_idx ON reg_blocks (user_id) WHERE released_at IS NULL;

CREATE TABLE reg_alerts (
  id uuid PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('canary', 'anomaly')),
  severity text NOT NULL CHECK (severity IN ('high', 'medium')),
  user_id text NOT NULL,
  username text,
  subject text,
  detail text NOT NULL,
  raised_at timestamptz NOT NULL,
  acknowledged_at timestamptz,
  acknowledged_by text
);
CREATE INDEX reg_alerts_raised_idx ON reg_alerts (raised_at DESC);

-- Honeytoken identities: every access raises a high-priority alert.
CREATE TABLE reg_canaries (
  cnic text PRIMARY KEY,
  note text NOT NULL,
  created_at timestamptz NOT NULL,
  created_by text NOT NULL
);
