-- Alerts delivered, per channel: deduplication across runs and restarts, the hourly limit, and
-- a record of what was sent when. Portable SQL for SQLite and PostgreSQL.

CREATE TABLE notification_log (
    channel TEXT NOT NULL,
    alert_key TEXT NOT NULL,
    sent_at_ms BIGINT NOT NULL,
    in_digest BIGINT NOT NULL,
    run_id TEXT
);
CREATE INDEX notification_log_by_key ON notification_log (channel, alert_key);
CREATE INDEX notification_log_by_time ON notification_log (channel, sent_at_ms);
