-- `scored_events_by_instant` (the instant alone) served no query: every read of kept logins by
-- time names the run or the source first, which `scored_events_by_time` and
-- `scored_events_by_source_instant` serve. One index fewer to write for each kept login.

DROP INDEX scored_events_by_instant;
