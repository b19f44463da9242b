-- Why a status changed when no check changed it: a catalog change's summary (tether catalog
-- apply), in the words people read. NULL for a check's own transitions.
ALTER TABLE transitions ADD COLUMN cause TEXT;
