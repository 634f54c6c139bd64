-- The live dashboard reads a source's monitored logins by their time.
CREATE INDEX monitored_events_by_time ON monitored_events (source, timestamp_ms);
