-- The dashboard's "N need your action, N need a Page admin" line counts a workspace's assets per
-- owner on every overview page. Without this index that count reads every asset row, reports
-- included (bench-service at 100,000 assets: 15 overview pages a second); with it the count reads
-- only this index.
CREATE INDEX assets_owners ON assets (workspace_id, owners_mask);
