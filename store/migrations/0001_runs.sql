-- Datasets (what was read), analyses (how it was scored) and their scored logins.
-- Portable SQL: the same statements run on SQLite and PostgreSQL.

CREATE TABLE datasets (
    id TEXT PRIMARY KEY,
    source_name TEXT NOT NULL,
    profile TEXT NOT NULL,
    created_ms BIGINT NOT NULL
);

CREATE TABLE rejected_records (
    dataset_id TEXT NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
    record BIGINT NOT NULL,
    line BIGINT,
    reason TEXT NOT NULL,
    PRIMARY KEY (dataset_id, record)
);

CREATE TABLE analyses (
    id TEXT PRIMARY KEY,
    dataset_id TEXT NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
    settings TEXT NOT NULL,
    summary TEXT NOT NULL,
    created_ms BIGINT NOT NULL
);

CREATE TABLE scored_events (
    analysis_id TEXT NOT NULL REFERENCES analyses (id) ON DELETE CASCADE,
    record BIGINT NOT NULL,
    timestamp_ms BIGINT NOT NULL,
    user_id TEXT NOT NULL,
    user_key TEXT NOT NULL,
    risk_score DOUBLE PRECISION NOT NULL,
    risk_level TEXT NOT NULL,
    event TEXT NOT NULL,
    PRIMARY KEY (analysis_id, record)
);

CREATE INDEX scored_events_by_score ON scored_events (analysis_id, risk_score);
CREATE INDEX scored_events_by_user ON scored_events (analysis_id, user_key);
CREATE INDEX scored_events_by_time ON scored_events (analysis_id, timestamp_ms);
