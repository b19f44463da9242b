-- The overview as a triage list, PostgreSQL flavour (the SQLite flavour holds the same tables and
-- columns; the two differ only in column types). Never edit an applied migration.
--
-- The overview lists accounts worst first, then by name: every asset, and every login that
-- reaches none (broken before its Pages could be listed), so nothing broken is left out. triage
-- is the place of a status in that order (0 disconnected, 1 action required, 2 at risk,
-- 3 pending, 4 connected, 5 unsupported; written by the store with the status), sort_name the
-- name lowercased (in the "C" collation, so both engines order it byte by byte), search the text
-- the search box matches (the asset's name and its person's).
ALTER TABLE assets ADD COLUMN triage BIGINT NOT NULL DEFAULT 3;
ALTER TABLE assets ADD COLUMN sort_name TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE assets ADD COLUMN search TEXT NOT NULL DEFAULT '';
UPDATE assets SET
    triage = CASE status WHEN 'disconnected' THEN 0 WHEN 'action_required' THEN 1
             WHEN 'at_risk' THEN 2 WHEN 'pending' THEN 3 WHEN 'connected' THEN 4 ELSE 5 END,
    sort_name = lower(name),
    search = lower(name) || ' ' || lower((SELECT person_name FROM logins l WHERE l.id = assets.login_id));
CREATE INDEX assets_triage ON assets (workspace_id, triage, sort_name, id);
-- One account as every login of the workspace reaches it (a Page two people connected).
CREATE INDEX assets_platform ON assets (workspace_id, platform_id);

-- A login's own place in the list (used when it reaches no asset), how many assets it reaches,
-- and, as on assets, who must act on its own findings and what they break.
ALTER TABLE logins ADD COLUMN triage BIGINT NOT NULL DEFAULT 3;
ALTER TABLE logins ADD COLUMN sort_name TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE logins ADD COLUMN asset_count BIGINT NOT NULL DEFAULT 0;
ALTER TABLE logins ADD COLUMN owners_mask BIGINT NOT NULL DEFAULT 0;
ALTER TABLE logins ADD COLUMN unavailable_mask BIGINT NOT NULL DEFAULT 0;
ALTER TABLE logins ADD COLUMN at_risk_mask BIGINT NOT NULL DEFAULT 0;
UPDATE logins SET
    triage = CASE status WHEN 'disconnected' THEN 0 WHEN 'action_required' THEN 1
             WHEN 'at_risk' THEN 2 WHEN 'pending' THEN 3 WHEN 'connected' THEN 4 ELSE 5 END,
    sort_name = lower(person_name),
    asset_count = (SELECT COUNT(*) FROM assets a WHERE a.login_id = logins.id);
CREATE INDEX logins_triage ON logins (workspace_id, asset_count, triage, sort_name, id);

-- What fixes each finding: one row per (asset or login, action, key). The same key under the same
-- action is the same fix: a Page and its Instagram account missing one task are one message to one
-- Page admin; every asset of a broken login is one log-in. The overview counts distinct keys per
-- action. asset_id NULL: the login's own findings. Rewritten with every diagnosis of the login;
-- logins diagnosed before this migration get theirs when the server starts (check::backfill).
CREATE TABLE fixes (
    workspace_id UUID NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    login_id     UUID NOT NULL REFERENCES logins(id) ON DELETE CASCADE,
    asset_id     UUID REFERENCES assets(id) ON DELETE CASCADE,
    action       TEXT NOT NULL,
    fix_key      TEXT NOT NULL
);
CREATE INDEX fixes_count ON fixes (workspace_id, action, fix_key);
CREATE INDEX fixes_login ON fixes (login_id);
CREATE INDEX fixes_asset ON fixes (asset_id, action);
