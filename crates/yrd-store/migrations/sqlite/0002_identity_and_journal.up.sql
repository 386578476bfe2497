-- Accounts, roles, sessions and API tokens; publication state of plans and matters; and the
-- hash-chained journal every change to a record is written to.
-- Times that code compares (expiry, throttling windows) are Unix seconds; journal times are
-- RFC 3339 text because they are hashed exactly as stored.

ALTER TABLE plans ADD COLUMN published INTEGER NOT NULL DEFAULT 1 CHECK (published IN (0, 1));
-- The body responsible for a matter (a thematic group, the office); its roles see the matter
-- before it is published.
ALTER TABLE matters ADD COLUMN body TEXT REFERENCES bodies (key);
ALTER TABLE matters ADD COLUMN published INTEGER NOT NULL DEFAULT 1 CHECK (published IN (0, 1));
CREATE INDEX matters_body ON matters (body, key);

CREATE TABLE users (
    username        TEXT PRIMARY KEY,
    display_name    TEXT NOT NULL,
    lang            TEXT NOT NULL CHECK (lang IN ('zh', 'en')),
    -- An argon2id PHC string; NULL for an account that signs in only with API tokens.
    password_hash   TEXT,
    disabled        INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at      INTEGER NOT NULL
) STRICT;

CREATE TABLE role_assignments (
    username    TEXT NOT NULL REFERENCES users (username) ON DELETE CASCADE,
    role        TEXT NOT NULL CHECK (role IN ('member_officer', 'member_coordinator', 'office_staff',
                                               'body_secretary', 'administrator', 'auditor')),
    scope_kind  TEXT NOT NULL CHECK (scope_kind IN ('region', 'jurisdiction', 'body')),
    -- The jurisdiction code or body key; '' for region-wide.
    scope_key   TEXT NOT NULL,
    PRIMARY KEY (username, role, scope_kind, scope_key)
) STRICT;

-- Sessions are looked up by the SHA-256 of their id, so the table never holds a usable secret.
CREATE TABLE sessions (
    id_hash     TEXT PRIMARY KEY,
    username    TEXT NOT NULL REFERENCES users (username) ON DELETE CASCADE,
    csrf_token  TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX sessions_user ON sessions (username);
CREATE INDEX sessions_expiry ON sessions (expires_at);

CREATE TABLE api_tokens (
    id          TEXT PRIMARY KEY,
    username    TEXT NOT NULL REFERENCES users (username) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    secret_hash TEXT NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
) STRICT;
CREATE INDEX api_tokens_user ON api_tokens (username, id);

-- Failed sign-ins per account and per client address, in a sliding window.
CREATE TABLE sign_in_failures (
    scope           TEXT NOT NULL CHECK (scope IN ('account', 'address')),
    key             TEXT NOT NULL,
    window_start    INTEGER NOT NULL,
    failures        INTEGER NOT NULL,
    PRIMARY KEY (scope, key)
) STRICT;

CREATE TABLE journal (
    seq         INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    record_kind TEXT NOT NULL,
    record_key  TEXT NOT NULL,
    action      TEXT NOT NULL,
    -- JSON objects of the changed fields, as hashed.
    before      TEXT,
    after       TEXT,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
) STRICT;
CREATE INDEX journal_record ON journal (record_kind, record_key, seq);

-- The chain's tip. Every journalled transaction updates this row first, which serialises
-- writers so that each entry links to the one committed before it.
CREATE TABLE journal_head (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    seq     INTEGER NOT NULL,
    hash    TEXT NOT NULL
) STRICT;
INSERT INTO journal_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- The journal is append-only: the application never updates or deletes an entry.
CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal
BEGIN
    SELECT RAISE(ABORT, 'the journal is append-only');
END;
CREATE TRIGGER journal_no_delete BEFORE DELETE ON journal
BEGIN
    SELECT RAISE(ABORT, 'the journal is append-only');
END;
