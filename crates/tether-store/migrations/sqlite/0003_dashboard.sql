-- The dashboard on top of 0002, SQLite flavour (the PostgreSQL flavour holds the same tables and
-- columns; the two differ only in column types). Never edit an applied migration.

-- Workspace settings: which profile its reports are diagnosed with and how many days before an
-- expiry an asset turns at risk. NULL means the server's (or the profile's) default.
ALTER TABLE workspaces ADD COLUMN profile TEXT;
ALTER TABLE workspaces ADD COLUMN warning_days INTEGER;

-- A person disconnected the login in Tether: its sealed token is erased (token_sealed is left an
-- empty blob so the column stays NOT NULL) and the scheduler skips it. The login, its assets and
-- its history stay; a reconnect of the same person clears this.
ALTER TABLE logins ADD COLUMN disconnected_at INTEGER;
-- The overview pages a workspace's logins by id. Assets are found by login through the leading
-- column of their UNIQUE (login_id, kind, platform_id) index.
CREATE INDEX logins_page ON logins (workspace_id, id);

-- People who sign in to the dashboard. Sign-in is by email alone, so an email is unique across
-- workspaces (stored trimmed and lowercased). A user is invited (pending: active = 0, no
-- password, invite_hash set) or created active with a password. password_hash is an argon2 PHC
-- string hashed by the server; invite_hash is the SHA-256 of the invitation link's secret, cleared
-- when the invitation is accepted so a link works once.
CREATE TABLE users (
    id                BLOB PRIMARY KEY,
    workspace_id      BLOB NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    email             TEXT NOT NULL,
    role              TEXT NOT NULL,
    active            BOOLEAN NOT NULL,
    password_hash     TEXT,
    invite_hash       BLOB UNIQUE,
    invite_expires_at INTEGER,
    created_at        INTEGER NOT NULL
);
CREATE UNIQUE INDEX users_email ON users (email);
CREATE INDEX users_workspace ON users (workspace_id, created_at);

-- One signed-in browser. The cookie carries a random secret; only its SHA-256 is kept, so a
-- database leak cannot sign anyone in. Deleting a user signs them out everywhere.
CREATE TABLE sessions (
    id           BLOB PRIMARY KEY,
    user_id      BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    workspace_id BLOB NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    secret_hash  BLOB NOT NULL UNIQUE,
    expires_at   INTEGER NOT NULL,
    created_at   INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);
