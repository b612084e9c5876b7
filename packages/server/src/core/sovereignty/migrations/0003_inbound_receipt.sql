-- Replica side: the signed receipt of the last batch accepted, so that a
-- source whose answer was lost in transit, and which sends that batch
-- again, is refused as a replay (nothing is written twice) and handed the
-- receipt it missed.
ALTER TABLE sov_inbound ADD COLUMN last_receipt text;
