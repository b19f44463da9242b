-- People in several workspaces (an agency with one workspace per brand), PostgreSQL flavour (the
-- SQLite flavour holds the same table; the two differ only in column types). Never edit an
-- applied migration.
--
-- A person signs in once (by email, as before) and belongs to one or more workspaces, with a role
-- in each. users.workspace_id stays the workspace where a sign-in lands (the first they were added
-- to); a session's workspace_id is the one they are looking at, switched only to one they belong
-- to. Email choices and marks (0006) are per workspace too: they move here from users.
CREATE TABLE memberships (
    user_id      UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    workspace_id UUID NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    role         TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    alerts       BOOLEAN NOT NULL DEFAULT TRUE,
    digest       BOOLEAN NOT NULL DEFAULT TRUE,
    alerted_at   BIGINT,
    alerted_id   UUID,
    digest_at    BIGINT,
    PRIMARY KEY (user_id, workspace_id)
);
CREATE INDEX memberships_workspace ON memberships (workspace_id, created_at);
INSERT INTO memberships (user_id, workspace_id, role, created_at, alerts, digest, alerted_at,
                         alerted_id, digest_at)
    SELECT id, workspace_id, role, created_at, alerts, digest, alerted_at, alerted_id, digest_at
    FROM users;
ALTER TABLE users DROP COLUMN alerts;
ALTER TABLE users DROP COLUMN digest;
ALTER TABLE users DROP COLUMN alerted_at;
ALTER TABLE users DROP COLUMN alerted_id;
ALTER TABLE users DROP COLUMN digest_at;
