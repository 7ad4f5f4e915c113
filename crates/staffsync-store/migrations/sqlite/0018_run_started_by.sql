-- Who made the changes a run applies, when it is not staffsync itself (issue 23): the
-- SCIM writes a targeted run plans are by the identity provider's token, named by its
-- label (`scim:Entra ID`). NULL for every other run. Keep in step with the other
-- flavour (the same in both).
ALTER TABLE sync_runs ADD COLUMN started_by TEXT;
