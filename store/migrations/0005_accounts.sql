-- Hosted mode (`skytrace serve --auth`): accounts with argon2id password hashes, sign-in
-- sessions and API tokens. Only SHA-256 digests of session and API tokens are stored, so a copy
-- of the database does not let anyone in. Portable SQL for SQLite and PostgreSQL.

CREATE TABLE accounts (
    name TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    created_ms BIGINT NOT NULL
);

CREATE TABLE sessions (
    token_digest TEXT PRIMARY KEY,
    account TEXT NOT NULL REFERENCES accounts (name) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    expires_ms BIGINT NOT NULL
);
CREATE INDEX sessions_by_account ON sessions (account);

CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    token_digest TEXT NOT NULL UNIQUE,
    account TEXT NOT NULL REFERENCES accounts (name) ON DELETE CASCADE,
    label TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    last_used_ms BIGINT
);
CREATE INDEX api_tokens_by_account ON api_tokens (account);
