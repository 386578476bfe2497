-- The cooperation mechanism's records. Texts are stored as <field>_zh / <field>_en pairs;
-- partial dates ("2024", "2024-06", "2024-06-05") as TEXT, which sorts chronologically, and
-- full dates as DATE;
-- lists that are only ever read with their parent (agenda, attendees, evidence) as JSON text.
-- Derived statuses are never stored; tasks carry their latest progress so that roll-ups over
-- millions of reports never scan the reports table.

CREATE TABLE jurisdictions (
    code        TEXT PRIMARY KEY,
    parent      TEXT REFERENCES jurisdictions (code),
    name_zh     TEXT NOT NULL,
    name_en     TEXT NOT NULL,
    lat         DOUBLE PRECISION,
    lon         DOUBLE PRECISION,
    source      TEXT NOT NULL
);
CREATE INDEX jurisdictions_parent ON jurisdictions (parent, code);

CREATE TABLE zones (
    key             TEXT PRIMARY KEY,
    name_zh         TEXT NOT NULL,
    name_en         TEXT NOT NULL,
    description_zh  TEXT NOT NULL,
    description_en  TEXT NOT NULL,
    source          TEXT NOT NULL
);

CREATE TABLE zone_members (
    zone            TEXT NOT NULL REFERENCES zones (key) ON DELETE CASCADE,
    jurisdiction    TEXT NOT NULL REFERENCES jurisdictions (code),
    seq             BIGINT NOT NULL,
    PRIMARY KEY (zone, jurisdiction)
);
CREATE INDEX zone_members_jurisdiction ON zone_members (jurisdiction);

CREATE TABLE bodies (
    key             TEXT PRIMARY KEY,
    name_zh         TEXT NOT NULL,
    name_en         TEXT NOT NULL,
    tier            TEXT NOT NULL CHECK (tier IN ('decision', 'coordination', 'execution')),
    description_zh  TEXT NOT NULL,
    description_en  TEXT NOT NULL,
    source          TEXT NOT NULL
);

CREATE TABLE body_members (
    body            TEXT NOT NULL REFERENCES bodies (key) ON DELETE CASCADE,
    jurisdiction    TEXT NOT NULL REFERENCES jurisdictions (code),
    member_seq      BIGINT,
    rotation_seq    BIGINT,
    PRIMARY KEY (body, jurisdiction)
);

CREATE TABLE seats (
    key             TEXT PRIMARY KEY,
    body            TEXT NOT NULL REFERENCES bodies (key),
    jurisdiction    TEXT NOT NULL REFERENCES jurisdictions (code),
    role_zh         TEXT NOT NULL,
    role_en         TEXT NOT NULL,
    holder_zh       TEXT NOT NULL,
    holder_en       TEXT NOT NULL,
    term_start      TEXT NOT NULL,
    term_end        TEXT,
    source          TEXT NOT NULL
);
CREATE INDEX seats_body ON seats (body, jurisdiction);

CREATE TABLE plans (
    key             TEXT PRIMARY KEY,
    kind            TEXT NOT NULL CHECK (kind IN ('outline', 'action_plan', 'work_plan', 'matter_list', 'implementation_plan')),
    title_zh        TEXT NOT NULL,
    title_en        TEXT NOT NULL,
    parent          TEXT REFERENCES plans (key),
    period_start    BIGINT NOT NULL,
    period_end      BIGINT NOT NULL CHECK (period_end >= period_start),
    stage           TEXT NOT NULL CHECK (stage IN ('draft', 'adopted', 'in_force', 'superseded')),
    adopted_on      TEXT,
    issued_on       TEXT,
    issuer_zh       TEXT NOT NULL,
    issuer_en       TEXT NOT NULL,
    summary_zh      TEXT NOT NULL,
    summary_en      TEXT NOT NULL,
    source          TEXT NOT NULL
);
CREATE INDEX plans_parent ON plans (parent);

CREATE TABLE plan_areas (
    plan                TEXT NOT NULL REFERENCES plans (key) ON DELETE CASCADE,
    key                 TEXT NOT NULL,
    seq                 BIGINT NOT NULL,
    name_zh             TEXT NOT NULL,
    name_en             TEXT NOT NULL,
    stated_task_count   BIGINT,
    PRIMARY KEY (plan, key)
);

CREATE TABLE meetings (
    key             TEXT PRIMARY KEY,
    body            TEXT NOT NULL REFERENCES bodies (key),
    title_zh        TEXT NOT NULL,
    title_en        TEXT NOT NULL,
    start_date      TEXT NOT NULL,
    end_date        TEXT,
    host            TEXT REFERENCES jurisdictions (code),
    theme_zh        TEXT NOT NULL,
    theme_en        TEXT NOT NULL,
    attendees       TEXT NOT NULL,
    agenda          TEXT NOT NULL,
    outcomes        TEXT NOT NULL,
    source          TEXT NOT NULL
);
CREATE INDEX meetings_by_date ON meetings (start_date, key);
CREATE INDEX meetings_body ON meetings (body, start_date, key);

CREATE TABLE decisions (
    key             TEXT PRIMARY KEY,
    meeting         TEXT NOT NULL REFERENCES meetings (key),
    seq             BIGINT NOT NULL,
    title_zh        TEXT NOT NULL,
    title_en        TEXT NOT NULL,
    subject_kind    TEXT NOT NULL CHECK (subject_kind IN ('adopt_plan', 'next_host', 'other')),
    subject_plan    TEXT REFERENCES plans (key),
    subject_host    TEXT REFERENCES jurisdictions (code),
    source          TEXT NOT NULL,
    UNIQUE (meeting, seq)
);

CREATE TABLE positions (
    decision        TEXT NOT NULL REFERENCES decisions (key) ON DELETE CASCADE,
    jurisdiction    TEXT NOT NULL REFERENCES jurisdictions (code),
    seq             BIGINT NOT NULL,
    stance          TEXT NOT NULL CHECK (stance IN ('consent', 'consent_in_principle', 'object')),
    comment_zh      TEXT NOT NULL,
    comment_en      TEXT NOT NULL,
    PRIMARY KEY (decision, jurisdiction)
);

CREATE TABLE matters (
    key             TEXT PRIMARY KEY,
    plan            TEXT NOT NULL REFERENCES plans (key),
    area            TEXT,
    title_zh        TEXT NOT NULL,
    title_en        TEXT NOT NULL,
    objective_zh    TEXT NOT NULL,
    objective_en    TEXT NOT NULL,
    start_date      DATE,
    due_date        DATE,
    source          TEXT NOT NULL,
    FOREIGN KEY (plan, area) REFERENCES plan_areas (plan, key)
);
CREATE INDEX matters_plan ON matters (plan, key);
CREATE INDEX matters_plan_area ON matters (plan, area, key);

CREATE TABLE matter_members (
    matter          TEXT NOT NULL REFERENCES matters (key) ON DELETE CASCADE,
    jurisdiction    TEXT NOT NULL REFERENCES jurisdictions (code),
    role            TEXT NOT NULL CHECK (role IN ('lead', 'participant')),
    seq             BIGINT NOT NULL,
    PRIMARY KEY (matter, jurisdiction)
);
CREATE INDEX matter_members_jurisdiction ON matter_members (jurisdiction, matter);

CREATE TABLE milestones (
    matter          TEXT NOT NULL REFERENCES matters (key) ON DELETE CASCADE,
    seq             BIGINT NOT NULL,
    title_zh        TEXT NOT NULL,
    title_en        TEXT NOT NULL,
    due_date        DATE NOT NULL,
    done_on         DATE,
    PRIMARY KEY (matter, seq)
);

CREATE TABLE tasks (
    key                 TEXT PRIMARY KEY,
    matter              TEXT NOT NULL REFERENCES matters (key),
    jurisdiction        TEXT NOT NULL REFERENCES jurisdictions (code),
    unit_zh             TEXT NOT NULL,
    unit_en             TEXT NOT NULL,
    title_zh            TEXT NOT NULL,
    title_en            TEXT NOT NULL,
    start_date          DATE,
    due_date            DATE NOT NULL,
    source              TEXT NOT NULL,
    -- Latest self-reported and latest verified progress, maintained with the reports.
    reported_percent    BIGINT,
    reported_as_of      DATE,
    verified_percent    BIGINT,
    verified_as_of      DATE
);
CREATE INDEX tasks_matter ON tasks (matter, jurisdiction);
CREATE INDEX tasks_jurisdiction_due ON tasks (jurisdiction, due_date);

CREATE TABLE reports (
    key             TEXT PRIMARY KEY,
    task            TEXT NOT NULL REFERENCES tasks (key),
    as_of           DATE NOT NULL,
    percent         BIGINT NOT NULL CHECK (percent BETWEEN 0 AND 100),
    state           TEXT NOT NULL CHECK (state IN ('submitted', 'approved', 'verified', 'returned')),
    narrative_zh    TEXT NOT NULL,
    narrative_en    TEXT NOT NULL,
    evidence        TEXT NOT NULL,
    source          TEXT NOT NULL
);
CREATE INDEX reports_task ON reports (task, as_of, key);

CREATE TABLE problems (
    key             TEXT PRIMARY KEY,
    matter          TEXT NOT NULL REFERENCES matters (key),
    task            TEXT REFERENCES tasks (key),
    title_zh        TEXT NOT NULL,
    title_en        TEXT NOT NULL,
    tier            TEXT NOT NULL CHECK (tier IN ('decision', 'coordination', 'execution')),
    raised_on       DATE NOT NULL,
    due_date        DATE,
    resolved_on     DATE,
    resolution_zh   TEXT NOT NULL,
    resolution_en   TEXT NOT NULL,
    source          TEXT NOT NULL
);
CREATE INDEX problems_matter ON problems (matter);

CREATE TABLE agreements (
    key             TEXT PRIMARY KEY,
    title_zh        TEXT NOT NULL,
    title_en        TEXT NOT NULL,
    summary_zh      TEXT NOT NULL,
    summary_en      TEXT NOT NULL,
    meeting         TEXT REFERENCES meetings (key),
    signed_on       TEXT,
    in_force_on     TEXT,
    source          TEXT NOT NULL
);
CREATE INDEX agreements_meeting ON agreements (meeting);

CREATE TABLE agreement_parties (
    agreement       TEXT NOT NULL REFERENCES agreements (key) ON DELETE CASCADE,
    jurisdiction    TEXT NOT NULL REFERENCES jurisdictions (code),
    seq             BIGINT NOT NULL,
    signatory_zh    TEXT NOT NULL,
    signatory_en    TEXT NOT NULL,
    signed_on       TEXT,
    PRIMARY KEY (agreement, jurisdiction)
);
CREATE INDEX agreement_parties_jurisdiction ON agreement_parties (jurisdiction);

CREATE TABLE matter_agreements (
    matter          TEXT NOT NULL REFERENCES matters (key) ON DELETE CASCADE,
    agreement       TEXT NOT NULL REFERENCES agreements (key),
    PRIMARY KEY (matter, agreement)
);

CREATE TABLE indicators (
    key             TEXT PRIMARY KEY,
    name_zh         TEXT NOT NULL,
    name_en         TEXT NOT NULL,
    description_zh  TEXT NOT NULL,
    description_en  TEXT NOT NULL,
    unit_zh         TEXT NOT NULL,
    unit_en         TEXT NOT NULL,
    classes         TEXT NOT NULL,
    direction       TEXT NOT NULL CHECK (direction IN ('higher_is_better', 'lower_is_better', 'neutral')),
    scope_kind      TEXT NOT NULL CHECK (scope_kind IN ('jurisdiction', 'zone', 'site')),
    scope_id        TEXT NOT NULL,
    baseline        TEXT,
    targets         TEXT NOT NULL,
    source          TEXT NOT NULL
);

CREATE TABLE matter_indicators (
    matter          TEXT NOT NULL REFERENCES matters (key) ON DELETE CASCADE,
    indicator       TEXT NOT NULL REFERENCES indicators (key),
    PRIMARY KEY (matter, indicator)
);

CREATE TABLE observations (
    key             TEXT PRIMARY KEY,
    indicator       TEXT NOT NULL REFERENCES indicators (key),
    obs_date        TEXT NOT NULL,
    value_number    DOUBLE PRECISION,
    value_class     TEXT,
    jurisdiction    TEXT REFERENCES jurisdictions (code),
    site            TEXT,
    qualifier       TEXT NOT NULL CHECK (qualifier IN ('exact', 'about', 'more_than', 'less_than')),
    note_zh         TEXT NOT NULL,
    note_en         TEXT NOT NULL,
    source          TEXT NOT NULL CHECK (source <> ''),
    CHECK ((value_number IS NULL) <> (value_class IS NULL))
);
CREATE INDEX observations_indicator ON observations (indicator, obs_date, key);
