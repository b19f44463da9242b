-- Catalog changes recorded by `tether catalog apply --apply`: the changed catalog's text under
-- its network and revision. Every process started afterwards judges (and its network's client
-- calls) by the highest revision here, unless its build's own catalog has one at least as high.
-- Never edit an applied migration.
CREATE TABLE catalog_changes (
    network TEXT NOT NULL,
    revision BIGINT NOT NULL,
    catalog TEXT NOT NULL,
    summary TEXT NOT NULL,
    applied_at BIGINT NOT NULL,
    PRIMARY KEY (network, revision)
);
