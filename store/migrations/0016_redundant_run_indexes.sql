-- Two indexes that no query needs once the planner knows the table (the store refreshes
-- SQLite's statistics after writing a run; PostgreSQL keeps its own):
-- `scored_events_by_user` (run, user): the grid's user filter is a substring match, which no
-- index serves, and a user's logins are found by `scored_events_by_user_everywhere`;
-- `scored_events_by_run_login` (run, login): a login id names one login of a file, so
-- `scored_events_by_login` finds it among at most a few runs. Two indexes fewer to write for
-- each kept login.

DROP INDEX scored_events_by_user;
DROP INDEX scored_events_by_run_login;

-- The planner's statistics of the kept logins, for databases written before the store kept
-- them up to date.
ANALYZE scored_events;
