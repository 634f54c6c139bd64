-- Continuous monitoring: every login accepted by `POST /api/v1/events`, kept with its verdict
-- before it is acknowledged. A source's logins are learnt from again in `sequence` order when
-- the server starts; a login id is kept once per source (shippers retry).
-- Portable SQL: the same statements run on SQLite and PostgreSQL.

CREATE TABLE monitored_events (
    source TEXT NOT NULL,
    sequence BIGINT NOT NULL,
    login_id TEXT NOT NULL,
    received_ms BIGINT NOT NULL,
    timestamp_ms BIGINT NOT NULL,
    login TEXT NOT NULL,
    scored TEXT NOT NULL,
    PRIMARY KEY (source, sequence),
    UNIQUE (source, login_id)
);
