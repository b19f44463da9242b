-- Tokens that live, SQLite flavour (the PostgreSQL flavour differs only in column types). Never
-- edit an applied migration.
--
-- A network that refreshes its tokens (Instagram Login refreshes the access token itself; TikTok
-- and Pinterest rotate a refresh token on every use) needs, beside the sealed access token: the
-- refresh token, sealed with the same key (token_key_id) so a key rotation re-seals both at once;
-- when the token was issued (refreshes are scheduled from it and from expires_at, never from
-- constants); until when the refresh token lives; and the scopes the platform said it granted,
-- for networks that cannot inspect a token (JSON array, NULL = not told).
ALTER TABLE logins ADD COLUMN refresh_sealed BLOB;
ALTER TABLE logins ADD COLUMN token_issued_at INTEGER;
ALTER TABLE logins ADD COLUMN refresh_expires_at INTEGER;
ALTER TABLE logins ADD COLUMN granted TEXT;
