-- API tokens get a scope: `api` tokens act as their account on the REST API (as before); `ingest`
-- tokens only send events to the monitor (POST /api/v1/events, the HEC endpoint) and read nothing.
ALTER TABLE api_tokens ADD COLUMN scope TEXT NOT NULL DEFAULT 'api';
