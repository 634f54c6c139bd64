-- The triage view: what the risky-logins grid filters and sorts by, kept beside each scored
-- login — its outcome, its named detections (`,new_country,brute_force,`), its account's verdict
-- in the run, and its address, /24 (or /48) network, network owner and country — and which
-- analyses have them (analyses kept earlier get them the first time they are read).
-- Portable SQL: the same statements run on SQLite and PostgreSQL.

ALTER TABLE scored_events ADD COLUMN outcome TEXT;
ALTER TABLE scored_events ADD COLUMN detections TEXT;
ALTER TABLE scored_events ADD COLUMN account_status TEXT;
ALTER TABLE scored_events ADD COLUMN ip TEXT;
ALTER TABLE scored_events ADD COLUMN network TEXT;
ALTER TABLE scored_events ADD COLUMN asn BIGINT;
ALTER TABLE scored_events ADD COLUMN country TEXT;
ALTER TABLE analyses ADD COLUMN triage_columns BIGINT;

-- A login in one run (the side panel), and one run's logins by outcome (the grid's filter).
CREATE INDEX scored_events_by_run_login ON scored_events (analysis_id, login_id);
CREATE INDEX scored_events_by_run_outcome ON scored_events (analysis_id, outcome, risk_score);
