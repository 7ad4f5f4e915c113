-- The change feed and outgoing webhooks (issue 13, part 2), postgres flavour. Keep in step
-- with ../sqlite/0008_change_feed.sql.
--
-- One row per change an applied run made, written by `Store::apply_plan` in the run's
-- transaction. Rows are small on purpose (a first sync of 100,000 people writes about
-- 700,000): the kind is a number, the time is the run's `finished_at` (joined on read),
-- memberships carry only the two ids, and only employee rows carry a JSON `data` (their
-- fields). No foreign keys: like memberships, they are derived rows one statement writes.
-- An identity column never reuses an id, even after pruning emptied the table, so cursors
-- stay stable.
CREATE TABLE change_feed (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id  BIGINT NOT NULL,
    run_id      BIGINT NOT NULL,
    kind        BIGINT NOT NULL,
    personio_id BIGINT,
    group_id    BIGINT,
    data        TEXT
);
CREATE INDEX change_feed_by_account ON change_feed (account_id, id);
-- Erasure scrubs a removed person's earlier rows that name them (those with data).
CREATE INDEX change_feed_personal ON change_feed (account_id, personio_id) WHERE data IS NOT NULL;

-- The newest feed id an applied run wrote (NULL: it wrote none): retention deletes the
-- rows of runs finished before its cut-off by id range, without scanning the feed.
ALTER TABLE sync_runs ADD COLUMN feed_through BIGINT;

-- Per account, the newest feed id that retention has deleted: a cursor before it has
-- missed changes (410).
CREATE TABLE change_feed_horizon (
    account_id     BIGINT PRIMARY KEY,
    pruned_through BIGINT NOT NULL
);

-- Where an account's changes are POSTed. The secret (`whsec_…`) is sealed like the
-- Personio secret. `delivered_after`: the feed id after which the next delivery starts.
CREATE TABLE webhook_endpoints (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id        BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    url               TEXT NOT NULL,
    secret_ciphertext BYTEA NOT NULL,
    created_at        TEXT NOT NULL,
    delivered_after   BIGINT NOT NULL
);
CREATE INDEX webhook_endpoints_by_account ON webhook_endpoints (account_id, id);

-- One POST (with its retries) of the feed rows (after_id, through_id] of one run.
-- At most one is open per endpoint: the next is made when it is delivered or given up.
CREATE TABLE webhook_deliveries (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    endpoint_id     BIGINT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    account_id      BIGINT NOT NULL,
    message_id      TEXT NOT NULL,
    run_id          BIGINT NOT NULL,
    after_id        BIGINT NOT NULL,
    through_id      BIGINT NOT NULL,
    change_count    BIGINT NOT NULL,
    status          TEXT NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    created_at      TEXT NOT NULL,
    next_attempt_at TEXT,
    last_attempt_at TEXT,
    last_status     BIGINT,
    last_error      TEXT,
    leased_until    TEXT,
    UNIQUE (endpoint_id, after_id)
);
CREATE INDEX webhook_deliveries_open ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id, id);
