-- A table the sovereignty tests (and the replication bench) transfer as the dataset sovtest/items.
CREATE TABLE sovtest_items (
  key text PRIMARY KEY,
  data jsonb NOT NULL
);
