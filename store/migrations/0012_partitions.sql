-- Scale-out (`skytrace worker`): the event log's partitions, each leased by one live worker
-- until `expires_ms` (renewed every second; an expired lease is free to take); the workers
-- themselves, live until their `expires_ms`, so each takes its share; and what each partition's
-- analyzers had learnt, by source, from the log's messages up to `through_sequence` (the
-- stream's sequence, the same for every source of a partition: one checkpoint).
-- The verdicts go to `monitored_events` (their sequence is the stream's).
-- Portable SQL: the same statements run on SQLite (which the workers refuse) and PostgreSQL.

CREATE TABLE partition_leases (
    partition_id BIGINT PRIMARY KEY,
    owner TEXT,
    expires_ms BIGINT NOT NULL
);

CREATE TABLE partition_workers (
    worker TEXT PRIMARY KEY,
    expires_ms BIGINT NOT NULL
);

CREATE TABLE partition_learnt (
    partition_id BIGINT NOT NULL,
    source TEXT NOT NULL,
    through_sequence BIGINT NOT NULL,
    taken_ms BIGINT NOT NULL,
    state BYTEA NOT NULL,
    PRIMARY KEY (partition_id, source)
);
