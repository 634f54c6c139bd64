-- Raw-event retention: a source's monitored logins past the retention period are deleted, and
-- what its analyzer had learnt from every login up to `through_sequence` is kept here instead
-- (baselines, population counts, attack windows and models; the engine's own binary layout).
-- BYTEA: PostgreSQL's binary type; SQLite keeps the bytes as a BLOB under that name.

CREATE TABLE monitored_learnt (
    source TEXT PRIMARY KEY,
    through_sequence BIGINT NOT NULL,
    taken_ms BIGINT NOT NULL,
    state BYTEA NOT NULL
);
