-- A login has at most one reconnect flow pending: starting one ends the earlier ones (a signed
-- reconnect link may be opened any number of times, by anyone holding it, and must not grow this
-- table with each opening). The index finds a login's flows. Never edit an applied migration.
CREATE INDEX oauth_states_reconnect ON oauth_states (reconnect_login_id);
