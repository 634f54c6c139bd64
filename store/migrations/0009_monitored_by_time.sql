-- The live dashboard reads a source's monitored logins by their time; each login records the
-- population models' fits it was scored with (NULL for logins kept before).
CREATE INDEX monitored_events_by_time ON monitored_events (source, timestamp_ms);
ALTER TABLE monitored_events ADD COLUMN forest_fit BIGINT;
ALTER TABLE monitored_events ADD COLUMN dbscan_fit BIGINT;
