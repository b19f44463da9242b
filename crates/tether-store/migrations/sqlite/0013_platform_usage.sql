-- The platform's own reading of how much of the app's rate limit is used (Meta's X-App-Usage,
-- in percent), the latest any process saw, and when: every worker slows down on it before the
-- platform throttles. Never edit an applied migration.
ALTER TABLE call_budgets ADD COLUMN usage_percent INTEGER;
ALTER TABLE call_budgets ADD COLUMN usage_at INTEGER;
