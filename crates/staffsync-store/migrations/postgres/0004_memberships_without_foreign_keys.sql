-- Memberships without foreign keys (issue 6), postgres flavour. Keep in step with
-- ../sqlite/0004_memberships_without_foreign_keys.sql.
--
-- A first sync writes about six memberships per person; checking two foreign keys per
-- row (each a lookup and a FOR KEY SHARE lock of the referenced row) made them the most
-- expensive rows of a sync (0.53 of 0.83 s applying 10,000 people, 60,000 memberships).
-- They are derived rows that only `Store::apply_plan` writes, in the same transaction as
-- the people and groups they link: it deletes a person's memberships before the person
-- (what ON DELETE CASCADE did), and deletes a group only once no membership names it.
-- The conformance suite checks that no membership outlives its person or group.
ALTER TABLE memberships DROP CONSTRAINT memberships_group_id_fkey;
ALTER TABLE memberships DROP CONSTRAINT memberships_employee_id_fkey;
