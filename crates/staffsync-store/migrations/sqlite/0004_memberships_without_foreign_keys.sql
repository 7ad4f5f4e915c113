-- Memberships without foreign keys (issue 6), sqlite flavour. Keep in step with
-- ../postgres/0004_memberships_without_foreign_keys.sql.
--
-- A first sync writes about six memberships per person; checking two foreign keys per
-- row made them the most expensive rows of a sync (PostgreSQL: 0.53 of 0.83 s applying
-- 10,000 people, 60,000 memberships). They are derived rows that only
-- `Store::apply_plan` writes, in the same transaction as the people and groups they link:
-- it deletes a person's memberships before the person (what ON DELETE CASCADE did), and
-- deletes a group only once no membership names it. The conformance suite checks that no
-- membership outlives its person or group.
CREATE TABLE memberships_linked (
    group_id    INTEGER NOT NULL,
    employee_id INTEGER NOT NULL,
    PRIMARY KEY (group_id, employee_id)
);
INSERT INTO memberships_linked (group_id, employee_id)
    SELECT m.group_id, m.employee_id FROM memberships m
    WHERE EXISTS (SELECT 1 FROM employees e WHERE e.id = m.employee_id)
      AND EXISTS (SELECT 1 FROM groups g WHERE g.id = m.group_id);
DROP TABLE memberships;
ALTER TABLE memberships_linked RENAME TO memberships;
CREATE INDEX memberships_by_employee ON memberships (employee_id);
