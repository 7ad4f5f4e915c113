-- Password resets (issue 22, point 9): a one-time link's token, stored only as its
-- SHA-256 hex digest, valid until expires_at and used at most once.
CREATE TABLE password_resets (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    admin_id      INTEGER NOT NULL REFERENCES admins (id) ON DELETE CASCADE,
    token_sha256  TEXT NOT NULL UNIQUE,
    created_at    TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    used_at       TEXT
);
CREATE INDEX password_resets_by_admin ON password_resets (admin_id);

-- Raised when an admin's password is reset: sessions started under an older value end.
ALTER TABLE admins ADD COLUMN session_epoch INTEGER NOT NULL DEFAULT 0;
