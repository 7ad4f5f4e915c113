-- A person's groups from the index alone (issue 21), postgres flavour. Keep in step with
-- ../sqlite/0020_memberships_clustered.sql.
--
-- Every full run reads the stored directory, each person's group ids by the index by
-- employee. With the group id in that index, PostgreSQL answers it with an index-only
-- scan instead of visiting the table for each membership (SQLite gets the same by
-- dropping the rowid: its secondary index then carries the primary key).
DROP INDEX memberships_by_employee;
CREATE INDEX memberships_by_employee ON memberships (employee_id) INCLUDE (group_id);
