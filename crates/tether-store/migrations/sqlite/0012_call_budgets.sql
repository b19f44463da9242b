-- Each network's hourly platform-call budget, shared by every process on this database (the
-- worker processes, "check now" in any server): one row per network, the start of its current
-- hour and the calls taken in it. Never edit an applied migration.
CREATE TABLE call_budgets (
    network TEXT PRIMARY KEY,
    window_start INTEGER NOT NULL,
    used INTEGER NOT NULL
);
