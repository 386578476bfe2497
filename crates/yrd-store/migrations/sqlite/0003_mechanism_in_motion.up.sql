-- The cooperation cycle as users run it: meetings that are scheduled and closed with frozen
-- outcomes, matters split into tasks and sub-tasks and carried over, reports returned with a
-- reason, problems that climb the tiers, agreements signed with members' Ed25519 keys.
-- Records of the public dataset describe what already happened, so their new states default
-- to the finished ones (closed meetings, agreements in force).

ALTER TABLE meetings ADD COLUMN state TEXT NOT NULL DEFAULT 'closed' CHECK (state IN ('scheduled', 'closed'));
-- Why the host differs from the one the rotation proposed; empty when it does not.
ALTER TABLE meetings ADD COLUMN host_reason_zh TEXT NOT NULL DEFAULT '';
ALTER TABLE meetings ADD COLUMN host_reason_en TEXT NOT NULL DEFAULT '';
-- Draft documents attached to the meeting: a JSON list of {title: {zh, en}, url}.
ALTER TABLE meetings ADD COLUMN documents TEXT NOT NULL DEFAULT '[]';
-- Versions, incremented by every change, which If-Match is checked against.
ALTER TABLE meetings ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE meetings ADD COLUMN closed_on TEXT;
CREATE INDEX meetings_state ON meetings (state, body, start_date);

-- The outcome frozen when the meeting closed; NULL while it is open (and for the dataset's
-- decisions, whose outcome follows from their recorded positions).
ALTER TABLE decisions ADD COLUMN outcome TEXT CHECK (outcome IN ('pending', 'adopted', 'adopted_in_principle', 'blocked'));
ALTER TABLE decisions ADD COLUMN supersedes TEXT REFERENCES decisions (key);

ALTER TABLE matters ADD COLUMN carried_from TEXT REFERENCES matters (key);
CREATE INDEX matters_carried_from ON matters (carried_from);

-- Sub-tasks a member's coordinator adds under the member's task; and a version that every
-- edit increments, so that concurrent edits are detected.
ALTER TABLE tasks ADD COLUMN parent TEXT REFERENCES tasks (key);
ALTER TABLE tasks ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
CREATE INDEX tasks_parent ON tasks (parent);

ALTER TABLE reports ADD COLUMN return_reason_zh TEXT NOT NULL DEFAULT '';
ALTER TABLE reports ADD COLUMN return_reason_en TEXT NOT NULL DEFAULT '';

ALTER TABLE problems ADD COLUMN description_zh TEXT NOT NULL DEFAULT '';
ALTER TABLE problems ADD COLUMN description_en TEXT NOT NULL DEFAULT '';
ALTER TABLE problems ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE problems ADD COLUMN escalated_on TEXT;
-- The tier whose decision resolved it.
ALTER TABLE problems ADD COLUMN resolved_tier TEXT CHECK (resolved_tier IN ('decision', 'coordination', 'execution'));
CREATE INDEX problems_open ON problems (tier, raised_on) WHERE resolved_on IS NULL;

ALTER TABLE agreements ADD COLUMN state TEXT NOT NULL DEFAULT 'in_force' CHECK (state IN ('draft', 'open', 'in_force', 'expired', 'terminated'));
-- The exact text the parties sign, and the SHA-256 (hex) their signatures bind.
ALTER TABLE agreements ADD COLUMN text_zh TEXT NOT NULL DEFAULT '';
ALTER TABLE agreements ADD COLUMN text_en TEXT NOT NULL DEFAULT '';
ALTER TABLE agreements ADD COLUMN text_hash TEXT;
ALTER TABLE agreements ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE agreements ADD COLUMN expires_on TEXT;
ALTER TABLE agreements ADD COLUMN ended_on TEXT;
-- Why the office terminated it; empty when it gave no reason.
ALTER TABLE agreements ADD COLUMN ended_reason_zh TEXT NOT NULL DEFAULT '';
ALTER TABLE agreements ADD COLUMN ended_reason_en TEXT NOT NULL DEFAULT '';

-- Each member's Ed25519 public keys; at most one active (not retired) per member.
CREATE TABLE member_keys (
    id              TEXT PRIMARY KEY,
    jurisdiction    TEXT NOT NULL REFERENCES jurisdictions (code),
    public_key      TEXT NOT NULL UNIQUE,
    created_at      TEXT NOT NULL,
    retired_at      TEXT
) STRICT;
CREATE UNIQUE INDEX member_keys_active ON member_keys (jurisdiction) WHERE retired_at IS NULL;

-- A party's signature over one version of an agreement's text. A changed text leaves earlier
-- signatures in place, visibly bound to a hash that is no longer the text's.
CREATE TABLE agreement_signatures (
    agreement       TEXT NOT NULL REFERENCES agreements (key),
    jurisdiction    TEXT NOT NULL REFERENCES jurisdictions (code),
    text_hash       TEXT NOT NULL,
    key_id          TEXT NOT NULL REFERENCES member_keys (id),
    signature       TEXT NOT NULL,
    signed_by       TEXT NOT NULL,
    signed_at       TEXT NOT NULL,
    PRIMARY KEY (agreement, jurisdiction, text_hash)
) STRICT;
