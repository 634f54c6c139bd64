-- A user's logins across every kept analysis (GET /api/v1/users/{user}).
CREATE INDEX scored_events_by_user_everywhere ON scored_events (user_key);
