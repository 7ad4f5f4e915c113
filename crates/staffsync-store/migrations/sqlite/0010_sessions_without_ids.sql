-- Session rows kept the whole tower-sessions record as JSON, its "id" included, and the
-- cookie is that id in base64url: a copy of the database could rebuild a live login.
-- Rows now keep only the session's values (under the SHA-256 digest of the id, as
-- before). Existing rows cannot be rewritten safely in SQL on both backends, so they go:
-- everyone logs in again once after the upgrade.
DELETE FROM sessions;
