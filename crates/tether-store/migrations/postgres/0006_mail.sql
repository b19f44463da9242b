-- Email to people, PostgreSQL flavour (the SQLite flavour holds the same tables and columns; the
-- two differ only in column types). Never edit an applied migration.

-- A workspace's SMTP server: nothing is mailed until an owner sets it. The password is sealed like a
-- login's token (AES-256-GCM, AAD = this row); password_key_id lets a key rotation find stale rows.
-- security: starttls, tls or none (none only makes sense on a trusted local relay).
CREATE TABLE mail_settings (
    workspace_id    UUID PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
    host            TEXT NOT NULL,
    port            BIGINT NOT NULL,
    security        TEXT NOT NULL,
    username        TEXT NOT NULL,
    password_sealed BYTEA,
    password_key_id BIGINT,
    from_address    TEXT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX mail_settings_key ON mail_settings (password_key_id);

-- Each person's choice: an email when an account turns red or orange (alerts), and a daily
-- summary (digest). alerted_at / alerted_id is the last status change they were told about, by
-- (at, id) as transitions are ordered; NULL: start from the moment email is first configured,
-- never from the whole history. digest_at: when their last digest went out.
ALTER TABLE users ADD COLUMN alerts BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE users ADD COLUMN digest BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE users ADD COLUMN alerted_at BIGINT;
ALTER TABLE users ADD COLUMN alerted_id UUID;
ALTER TABLE users ADD COLUMN digest_at BIGINT;
