-- Survey audience snapshots (issue 24, point 2), postgres flavour. Keep in step with
-- ../sqlite/0011_audience_snapshots.sql, which says what each table is for.
CREATE TABLE audience_snapshots (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id   BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    label        TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    member_count BIGINT NOT NULL
);
CREATE INDEX audience_snapshots_by_account ON audience_snapshots (account_id, id);

CREATE TABLE audience_snapshot_groups (
    snapshot_id  BIGINT NOT NULL REFERENCES audience_snapshots (id) ON DELETE CASCADE,
    group_id     BIGINT NOT NULL,
    kind         TEXT NOT NULL,
    name         TEXT,
    manager_name TEXT,
    member_count BIGINT NOT NULL,
    PRIMARY KEY (snapshot_id, group_id)
);

CREATE TABLE audience_snapshot_members (
    snapshot_id BIGINT NOT NULL REFERENCES audience_snapshots (id) ON DELETE CASCADE,
    position    BIGINT NOT NULL,
    account_id  BIGINT NOT NULL,
    personio_id BIGINT,
    group_ids   TEXT NOT NULL,
    PRIMARY KEY (snapshot_id, position)
);
CREATE INDEX audience_snapshot_members_by_person
    ON audience_snapshot_members (account_id, personio_id) WHERE personio_id IS NOT NULL;
