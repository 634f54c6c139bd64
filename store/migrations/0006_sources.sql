-- Sources: every kept analysis belongs to one (an organisation, or one log source); what a new
-- analysis learns from earlier logins, and the verdicts and allow-list entries it applies, stay
-- within its source. What was kept before sources existed belongs to `default`.
-- Portable SQL: the same statements run on SQLite and PostgreSQL.

ALTER TABLE analyses ADD COLUMN source TEXT NOT NULL DEFAULT 'default';
CREATE INDEX analyses_by_source ON analyses (source, created_ms);

ALTER TABLE scored_events ADD COLUMN source TEXT NOT NULL DEFAULT 'default';
CREATE INDEX scored_events_by_source_instant ON scored_events (source, timestamp_ms);

ALTER TABLE allow_list ADD COLUMN source TEXT NOT NULL DEFAULT 'default';

-- One current verdict per login and source.
CREATE TABLE triage_in_source (
    source TEXT NOT NULL,
    login_id TEXT NOT NULL,
    verdict TEXT NOT NULL,
    comment TEXT NOT NULL,
    actor TEXT NOT NULL,
    at_ms BIGINT NOT NULL,
    PRIMARY KEY (source, login_id)
);
INSERT INTO triage_in_source (source, login_id, verdict, comment, actor, at_ms)
    SELECT 'default', login_id, verdict, comment, actor, at_ms FROM triage;
DROP TABLE triage;
ALTER TABLE triage_in_source RENAME TO triage;

ALTER TABLE triage_history ADD COLUMN source TEXT NOT NULL DEFAULT 'default';
CREATE INDEX triage_history_by_source ON triage_history (source, login_id, at_ms);
