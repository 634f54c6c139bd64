-- Failed sign-ins of hosted mode, by counter (`account:NAME`, `address:IP`), so every server
-- sharing the database throttles guessing together and a restart does not forget it. Rows older
-- than the throttling window are deleted as new failures arrive. Portable SQL.

CREATE TABLE sign_in_failures (
    counter TEXT NOT NULL,
    failed_ms BIGINT NOT NULL
);
CREATE INDEX sign_in_failures_by_counter ON sign_in_failures (counter, failed_ms);
CREATE INDEX sign_in_failures_by_time ON sign_in_failures (failed_ms);
