-- What analysts teach: verdicts on logins (current and history) and allow-list entries; and the
-- validated login behind each score, for re-scoring and for later uploads' history.
-- Portable SQL: the same statements run on SQLite and PostgreSQL.

ALTER TABLE scored_events ADD COLUMN login_id TEXT;
ALTER TABLE scored_events ADD COLUMN login TEXT;
CREATE INDEX scored_events_by_login ON scored_events (login_id);
CREATE INDEX scored_events_by_instant ON scored_events (timestamp_ms);

CREATE TABLE triage (
    login_id TEXT PRIMARY KEY,
    verdict TEXT NOT NULL,
    comment TEXT NOT NULL,
    actor TEXT NOT NULL,
    at_ms BIGINT NOT NULL
);

CREATE TABLE triage_history (
    login_id TEXT NOT NULL,
    verdict TEXT NOT NULL,
    comment TEXT NOT NULL,
    actor TEXT NOT NULL,
    at_ms BIGINT NOT NULL
);
CREATE INDEX triage_history_by_login ON triage_history (login_id, at_ms);

CREATE TABLE allow_list (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    user_key TEXT,
    reason TEXT NOT NULL,
    expires_ms BIGINT,
    created_ms BIGINT NOT NULL,
    actor TEXT NOT NULL
);
