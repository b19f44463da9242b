-- Pushes that cannot be replayed, sqlite flavour (the other flavour differs only in column types).
-- Never edit an applied migration.
--
-- connected_at: the login's last connect or reconnect. A push the network sent before it is about
-- the login as it was then and must not undo the new grant (a replayed deauthorize or
-- data-deletion request). Logins stored before this column existed count from their creation.
--
-- handled_pushes: the pushes handled lately, by a digest of their signed bytes, so a captured push
-- sent again is answered as before and changes nothing. Rows are forgotten once a push that old
-- would be refused for its age anyway.
ALTER TABLE logins ADD COLUMN connected_at INTEGER NOT NULL DEFAULT 0;
UPDATE logins SET connected_at = created_at;

CREATE TABLE handled_pushes (
    network TEXT NOT NULL,
    digest BLOB NOT NULL,
    handled_at INTEGER NOT NULL,
    confirmation_code TEXT,
    PRIMARY KEY (network, digest)
);
CREATE INDEX handled_pushes_by_age ON handled_pushes (handled_at);
