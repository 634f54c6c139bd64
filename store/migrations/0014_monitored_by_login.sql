-- A verdict may be given on a monitored login by its id alone (`…/findings/{id}/triage`), in
-- whichever source holds it: look monitored logins up by id across sources. Portable SQL.

CREATE INDEX monitored_events_by_login ON monitored_events (login_id);
