-- Accepting a held run binds to what was reviewed (issue 14), postgres flavour. Keep in step
-- with ../sqlite/0005_reviewed_acceptance.sql.

-- The held run an admin accepted: the next scheduled run may remove exactly its
-- removals (or fewer) beyond the deletion guard; anything more is held again. Replaces
-- the yes/no accept_deletions column, which is left in place unused (always 0): an
-- acceptance pending at upgrade is dropped, so that run is held again for review.
ALTER TABLE schedules ADD COLUMN accept_run_id BIGINT;
UPDATE schedules SET accept_deletions = 0;

-- Held runs that a newer held run (or an applied full run) replaced can no longer be
-- accepted: they become 'superseded'; the one whose acceptance was applied becomes
-- 'accepted'. sync_runs.status is free text, so no DDL is needed for that.
