//! The rules a dataset must satisfy as a whole: valid and unique keys, required texts and
//! sources, ranges, dates in order, every reference resolving within the dataset, and the
//! mechanism's states consistent the way the store keeps them (a decision has an outcome only
//! once its meeting closed, a sub-task hangs under a task of its own matter and member, a
//! signature binds a known key of its party, an agreement's hash is its text's). Those rules
//! check only what the store guarantees, so that they refuse no state it can reach: `yrd
//! export` validates what it writes.
//!
//! The rules look only at the domain records, so that they apply alike to a dataset read from
//! files (where [`crate::read_dir`] places each finding on its line) and to one built in code
//! ([`validate`]). They also guarantee what writing needs to round-trip: a dataset that passes
//! is written and read back unchanged, up to the canonical order.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use yrd_domain::{
    AdminCode, AgreementState, Dataset, DecisionSubject, Indicator, Jurisdiction, MeetingState,
    MemberKey, PartialDate, ReportState, Scope, Text, Tier, Value, agreement_text_hash,
    is_valid_key,
};

use crate::kind::Kind;
use crate::{DatasetErrors, RowError};

/// One rule a record breaks: the record (its kind and index in the dataset), the path of the
/// field at fault (`members[2]`, `name.zh`) and why.
#[derive(Debug)]
pub(crate) struct Issue {
    pub kind: Kind,
    pub index: usize,
    pub field: String,
    pub reason: String,
}

impl Issue {
    /// `field: reason`, with the field as the record's file spells it.
    pub fn reason_in_file(&self) -> String {
        if self.field.is_empty() {
            self.reason.clone()
        } else {
            format!("{}: {}", self.kind.display_field(&self.field), self.reason)
        }
    }
}

/// Records that were in the files but could not be parsed, by kind and key; references to
/// them are not reported as unknown, since the record itself already is.
#[derive(Debug, Default)]
pub(crate) struct Broken {
    all: HashSet<Kind>,
    keys: HashSet<(Kind, String)>,
}

impl Broken {
    /// No record of this kind could be read (a syntax error, a missing column).
    pub fn all(&mut self, kind: Kind) {
        self.all.insert(kind);
    }

    pub fn key(&mut self, kind: Kind, key: String) {
        self.keys.insert((kind, key));
    }

    fn covers(&self, kind: Kind, key: &str) -> bool {
        self.all.contains(&kind) || self.keys.contains(&(kind, key.to_owned()))
    }
}

/// Checks a dataset built in code against the rules `read_dir` applies after parsing.
/// Each error names the file the record belongs in and the record's key; its line is `0`.
pub fn validate(dataset: &Dataset) -> Result<(), DatasetErrors> {
    let issues = check(dataset, &Broken::default());
    if issues.is_empty() {
        return Ok(());
    }
    let errors = issues
        .iter()
        .map(|issue| RowError {
            file: issue.kind.file().to_owned(),
            line: 0,
            reason: format!(
                "{}: {}",
                record_name(dataset, issue.kind, issue.index),
                issue.reason_in_file()
            ),
        })
        .collect();
    Err(DatasetErrors::sorted(errors))
}

/// How a record is named in an error without a line: its key, or its position.
fn record_name(ds: &Dataset, kind: Kind, index: usize) -> String {
    let key = match kind {
        Kind::Jurisdiction => ds.jurisdictions[index].code.to_string(),
        Kind::Zone => ds.zones[index].key.clone(),
        Kind::Body => ds.bodies[index].key.clone(),
        Kind::Seat => ds.seats[index].key.clone(),
        Kind::Meeting => ds.meetings[index].key.clone(),
        Kind::Decision => ds.decisions[index].key.clone(),
        Kind::Plan => ds.plans[index].key.clone(),
        Kind::Matter => ds.matters[index].key.clone(),
        Kind::Task => ds.tasks[index].key.clone(),
        Kind::Report => ds.reports[index].key.clone(),
        Kind::Problem => ds.problems[index].key.clone(),
        Kind::Agreement => ds.agreements[index].key.clone(),
        Kind::MemberKey => ds.member_keys[index].id.clone(),
        Kind::Indicator => ds.indicators[index].key.clone(),
        Kind::Observation => ds.observations[index].key.clone(),
    };
    if key.is_empty() {
        format!("record #{}", index + 1)
    } else {
        key
    }
}

/// The records by key (the first of each key, when a key is used twice).
#[derive(Default)]
struct Index<'a> {
    jurisdictions: HashMap<AdminCode, &'a Jurisdiction>,
    zones: HashMap<&'a str, &'a yrd_domain::Zone>,
    bodies: HashMap<&'a str, &'a yrd_domain::Body>,
    meetings: HashMap<&'a str, &'a yrd_domain::Meeting>,
    decisions: HashMap<&'a str, &'a yrd_domain::Decision>,
    plans: HashMap<&'a str, &'a yrd_domain::Plan>,
    matters: HashMap<&'a str, &'a yrd_domain::Matter>,
    tasks: HashMap<&'a str, &'a yrd_domain::Task>,
    agreements: HashMap<&'a str, &'a yrd_domain::Agreement>,
    member_keys: HashMap<&'a str, &'a MemberKey>,
    indicators: HashMap<&'a str, &'a Indicator>,
}

/// A record being checked.
#[derive(Clone, Copy)]
struct At(Kind, usize);

struct Report<'a> {
    broken: &'a Broken,
    issues: Vec<Issue>,
}

impl Report<'_> {
    fn add(&mut self, at: At, field: impl Into<String>, reason: impl Into<String>) {
        self.issues.push(Issue {
            kind: at.0,
            index: at.1,
            field: field.into(),
            reason: reason.into(),
        });
    }

    fn key(&mut self, at: At, key: &str) {
        if key.is_empty() {
            self.add(at, "key", "required, but empty");
        } else if !is_valid_key(key) {
            self.add(
                at,
                "key",
                format!(
                    "{key:?} is not a valid key (lowercase ASCII letters, digits, '-', '_' and '.', \
                     starting with a letter or digit, at most 100 characters)"
                ),
            );
        }
    }

    /// A required text: in at least one language. The public record gives Chinese; a record
    /// entered in yrd may have been written in English only, and readers then see that.
    fn text(&mut self, at: At, field: &str, text: &Text) {
        if text.zh.trim().is_empty() && text.en.trim().is_empty() {
            self.add(
                at,
                format!("{field}.zh"),
                "required (or its English), but both are empty",
            );
        }
    }

    fn source(&mut self, at: At, field: &str, source: &str) {
        if source.trim().is_empty() {
            self.add(at, field, "required, but empty");
            return;
        }
        for part in source.split(" ; ") {
            let rest = ["https://", "http://", "seed:", "yrd:"]
                .iter()
                .find_map(|prefix| part.strip_prefix(prefix));
            if !rest.is_some_and(|rest| !rest.is_empty() && !rest.contains(char::is_whitespace)) {
                self.add(
                    at,
                    field,
                    format!("{part:?} is neither a URL (http:// or https://), seed:<file name> nor yrd:<who entered it>; separate several with \" ; \""),
                );
            }
        }
    }

    /// A reference to a keyed record of kind `target`.
    fn resolve<'x, T>(
        &mut self,
        at: At,
        field: &str,
        map: &HashMap<&str, &'x T>,
        target: Kind,
        key: &str,
    ) -> Option<&'x T> {
        if let Some(&found) = map.get(key) {
            return Some(found);
        }
        if key.is_empty() {
            self.add(at, field, "required, but empty");
        } else if !self.broken.covers(target, key) {
            self.add(at, field, format!("unknown {} {key:?}", noun(target)));
        }
        None
    }

    fn jurisdiction<'x>(
        &mut self,
        at: At,
        field: &str,
        idx: &Index<'x>,
        code: AdminCode,
    ) -> Option<&'x Jurisdiction> {
        let found = idx.jurisdictions.get(&code).copied();
        if found.is_none() && !self.broken.covers(Kind::Jurisdiction, &code.to_string()) {
            self.add(at, field, format!("unknown jurisdiction code {code}"));
        }
        found
    }

    /// A list of jurisdictions: each known, none twice.
    fn jurisdictions(&mut self, at: At, field: &str, idx: &Index<'_>, codes: &[AdminCode]) {
        for (i, &code) in codes.iter().enumerate() {
            let path = format!("{field}[{i}]");
            self.jurisdiction(at, &path, idx, code);
            if codes[..i].contains(&code) {
                self.add(at, path, format!("{code} is listed twice"));
            }
        }
    }

    /// A URL a person can follow: http(s), without spaces.
    fn url(&mut self, at: At, field: &str, url: &str) {
        let rest = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"));
        if !rest.is_some_and(|rest| !rest.is_empty() && !rest.contains(char::is_whitespace)) {
            self.add(
                at,
                field,
                format!("{url:?} is not a URL (http:// or https://)"),
            );
        }
    }

    /// `digits` lowercase hex digits, as yrd writes hashes, keys and signatures.
    fn hex(&mut self, at: At, field: &str, value: &str, digits: usize) {
        let hex = value.len() == digits
            && value
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !hex {
            self.add(
                at,
                field,
                format!("{value:?} is not {digits} lowercase hex digits"),
            );
        }
    }

    /// A moment as yrd records one: RFC 3339 (`2025-06-05T08:30:00Z`).
    fn moment(&mut self, at: At, field: &str, value: &str) {
        if OffsetDateTime::parse(value, &Rfc3339).is_err() {
            self.add(
                at,
                field,
                format!("{value:?} is not an RFC 3339 time such as \"2025-06-05T08:30:00Z\""),
            );
        }
    }

    /// A list of references to records of kind `target`: each known, none twice.
    fn references<T>(
        &mut self,
        at: At,
        field: &str,
        map: &HashMap<&str, &T>,
        target: Kind,
        keys: &[String],
    ) {
        for (i, key) in keys.iter().enumerate() {
            let path = format!("{field}[{i}]");
            self.resolve(at, &path, map, target, key);
            if keys[..i].contains(key) {
                self.add(at, path, format!("{key:?} is listed twice"));
            }
        }
    }

    /// `later` must not be wholly before `earlier` (partial dates compare by the days they span).
    fn not_before(
        &mut self,
        at: At,
        field: &str,
        later: PartialDate,
        earlier_field: &str,
        earlier: PartialDate,
    ) {
        if later.last_day() < earlier.first_day() {
            self.add(
                at,
                field,
                format!("{later} is before {earlier_field} {earlier}"),
            );
        }
    }

    /// A value of an indicator: a number for a numeric one, one of its classes for a
    /// categorical one.
    fn value(&mut self, at: At, field: &str, indicator: &Indicator, value: &Value) {
        let reason = match (indicator.classes.is_empty(), value) {
            (true, Value::Number(n)) if !n.is_finite() => {
                Some(format!("{n} is not a finite number"))
            }
            (true, Value::Number(_)) => None,
            (true, Value::Class(class)) => Some(format!(
                "{class:?} is not a number, and indicator {:?} is numeric",
                indicator.key
            )),
            (false, Value::Class(class)) if indicator.classes.contains(class) => None,
            (false, value) => Some(format!(
                "{} is not a class of indicator {:?} (one of {})",
                match value {
                    Value::Number(n) => n.to_string(),
                    Value::Class(class) => format!("{class:?}"),
                },
                indicator.key,
                indicator.classes.join(", ")
            )),
        };
        if let Some(reason) = reason {
            self.add(at, field, reason);
        }
    }
}

fn noun(kind: Kind) -> &'static str {
    match kind {
        Kind::Jurisdiction => "jurisdiction",
        Kind::Zone => "zone",
        Kind::Body => "body",
        Kind::Seat => "seat",
        Kind::Meeting => "meeting",
        Kind::Decision => "decision",
        Kind::Plan => "plan",
        Kind::Matter => "matter",
        Kind::Task => "task",
        Kind::Report => "report",
        Kind::Problem => "problem",
        Kind::Agreement => "agreement",
        Kind::MemberKey => "member key",
        Kind::Indicator => "indicator",
        Kind::Observation => "observation",
    }
}

/// Indexes records by key, reporting invalid and repeated keys.
fn index<'a, T>(
    r: &mut Report<'_>,
    kind: Kind,
    records: &'a [T],
    key: impl Fn(&T) -> &str,
) -> HashMap<&'a str, &'a T> {
    let mut map = HashMap::with_capacity(records.len());
    for (i, record) in records.iter().enumerate() {
        let k = key(record);
        r.key(At(kind, i), k);
        match map.entry(k) {
            Entry::Occupied(_) => r.add(At(kind, i), "key", format!("duplicate key {k:?}")),
            Entry::Vacant(slot) => {
                slot.insert(record);
            }
        }
    }
    map
}

/// Whether `code` is `ancestor` or lies below it in the tree.
fn within(idx: &Index<'_>, code: AdminCode, ancestor: AdminCode) -> bool {
    let mut current = Some(code);
    // Bounded, since a broken dataset may have a cycle of parents.
    for _ in 0..=idx.jurisdictions.len() {
        match current {
            Some(c) if c == ancestor => return true,
            Some(c) => current = idx.jurisdictions.get(&c).and_then(|j| j.parent),
            None => return false,
        }
    }
    false
}

/// Checks every rule; `broken` lists records that were present but could not be parsed.
pub(crate) fn check(ds: &Dataset, broken: &Broken) -> Vec<Issue> {
    let mut r = Report {
        broken,
        issues: Vec::new(),
    };
    let mut idx = Index::default();
    for (i, j) in ds.jurisdictions.iter().enumerate() {
        match idx.jurisdictions.entry(j.code) {
            Entry::Occupied(_) => r.add(
                At(Kind::Jurisdiction, i),
                "code",
                format!("duplicate code {}", j.code),
            ),
            Entry::Vacant(slot) => {
                slot.insert(j);
            }
        }
    }
    idx.zones = index(&mut r, Kind::Zone, &ds.zones, |z| &z.key);
    idx.bodies = index(&mut r, Kind::Body, &ds.bodies, |b| &b.key);
    index(&mut r, Kind::Seat, &ds.seats, |s| &s.key);
    idx.meetings = index(&mut r, Kind::Meeting, &ds.meetings, |m| &m.key);
    idx.decisions = index(&mut r, Kind::Decision, &ds.decisions, |d| &d.key);
    idx.plans = index(&mut r, Kind::Plan, &ds.plans, |p| &p.key);
    idx.matters = index(&mut r, Kind::Matter, &ds.matters, |m| &m.key);
    idx.tasks = index(&mut r, Kind::Task, &ds.tasks, |t| &t.key);
    index(&mut r, Kind::Report, &ds.reports, |p| &p.key);
    index(&mut r, Kind::Problem, &ds.problems, |p| &p.key);
    idx.agreements = index(&mut r, Kind::Agreement, &ds.agreements, |a| &a.key);
    idx.member_keys = member_key_index(&mut r, &ds.member_keys);
    idx.indicators = index(&mut r, Kind::Indicator, &ds.indicators, |i| &i.key);
    index(&mut r, Kind::Observation, &ds.observations, |o| &o.key);

    jurisdictions(&mut r, &idx, ds);
    organs(&mut r, &idx, ds);
    meetings(&mut r, &idx, ds);
    plans(&mut r, &idx, ds);
    work(&mut r, &idx, ds);
    agreements(&mut r, &idx, ds);
    member_keys(&mut r, &idx, ds);
    indicators(&mut r, &idx, ds);
    r.issues
}

/// Indexes member keys by id, reporting ids that are not key ids and ids used twice.
fn member_key_index<'a>(
    r: &mut Report<'_>,
    keys: &'a [MemberKey],
) -> HashMap<&'a str, &'a MemberKey> {
    let mut map = HashMap::with_capacity(keys.len());
    for (i, key) in keys.iter().enumerate() {
        let at = At(Kind::MemberKey, i);
        r.hex(at, "id", &key.id, 16);
        match map.entry(key.id.as_str()) {
            Entry::Occupied(_) => r.add(at, "id", format!("duplicate id {:?}", key.id)),
            Entry::Vacant(slot) => {
                slot.insert(key);
            }
        }
    }
    map
}

fn jurisdictions(r: &mut Report<'_>, idx: &Index<'_>, ds: &Dataset) {
    for (i, j) in ds.jurisdictions.iter().enumerate() {
        let at = At(Kind::Jurisdiction, i);
        if let Some(parent) = j.parent {
            if parent == j.code {
                r.add(at, "parent", "a jurisdiction cannot be its own parent");
            } else if r.jurisdiction(at, "parent", idx, parent).is_some()
                && within(idx, parent, j.code)
            {
                r.add(
                    at,
                    "parent",
                    format!(
                        "{parent} lies below {} itself: the parents form a cycle",
                        j.code
                    ),
                );
            }
        }
        r.text(at, "name", &j.name);
        if let Some(c) = j.centroid {
            if !(-90.0..=90.0).contains(&c.lat) {
                r.add(at, "lat", format!("{} is outside -90–90", c.lat));
            }
            if !(-180.0..=180.0).contains(&c.lon) {
                r.add(at, "lon", format!("{} is outside -180–180", c.lon));
            }
        }
        r.source(at, "source", &j.source);
    }
}

/// Zones, bodies and seats.
fn organs(r: &mut Report<'_>, idx: &Index<'_>, ds: &Dataset) {
    for (i, z) in ds.zones.iter().enumerate() {
        let at = At(Kind::Zone, i);
        r.text(at, "name", &z.name);
        if z.members.is_empty() {
            r.add(at, "members", "a zone needs at least one member");
        }
        r.jurisdictions(at, "members", idx, &z.members);
        r.source(at, "source", &z.source);
    }
    for (i, b) in ds.bodies.iter().enumerate() {
        let at = At(Kind::Body, i);
        r.text(at, "name", &b.name);
        r.jurisdictions(at, "members", idx, &b.members);
        r.jurisdictions(at, "host_rotation", idx, &b.host_rotation);
        r.source(at, "source", &b.source);
    }
    for (i, s) in ds.seats.iter().enumerate() {
        let at = At(Kind::Seat, i);
        r.resolve(at, "body", &idx.bodies, Kind::Body, &s.body);
        r.jurisdiction(at, "jurisdiction", idx, s.jurisdiction);
        r.text(at, "role", &s.role);
        r.text(at, "holder", &s.holder);
        if let Some(end) = s.term_end {
            r.not_before(at, "term_end", end, "term_start", s.term_start);
        }
        r.source(at, "source", &s.source);
    }
}

fn meetings(r: &mut Report<'_>, idx: &Index<'_>, ds: &Dataset) {
    for (i, m) in ds.meetings.iter().enumerate() {
        let at = At(Kind::Meeting, i);
        r.resolve(at, "body", &idx.bodies, Kind::Body, &m.body);
        r.text(at, "title", &m.title);
        if let Some(end) = m.end {
            r.not_before(at, "end", end, "start", m.start);
        }
        if let Some(host) = m.host {
            r.jurisdiction(at, "host", idx, host);
        }
        if let Some(closed_on) = m.closed_on {
            if m.state == MeetingState::Scheduled {
                r.add(
                    at,
                    "closed_on",
                    "a scheduled meeting has not closed: leave closed_on out, or make it closed",
                );
            }
            r.not_before(
                at,
                "closed_on",
                PartialDate::Day(closed_on),
                "start",
                m.start,
            );
        }
        for (k, d) in m.documents.iter().enumerate() {
            // As the store accepts a document: titled in either language.
            if d.title.is_empty() {
                r.add(
                    at,
                    format!("documents[{k}].title"),
                    "required in at least one language",
                );
            }
            r.url(at, &format!("documents[{k}].url"), &d.url);
        }
        for (k, a) in m.attendees.iter().enumerate() {
            r.text(at, &format!("attendees[{k}].name"), &a.name);
            r.text(at, &format!("attendees[{k}].role"), &a.role);
            if let Some(j) = a.jurisdiction {
                r.jurisdiction(at, &format!("attendees[{k}].jurisdiction"), idx, j);
            }
        }
        for (k, item) in m.agenda.iter().enumerate() {
            r.text(at, &format!("agenda[{k}]"), item);
        }
        for (k, item) in m.outcomes.iter().enumerate() {
            r.text(at, &format!("outcomes[{k}]"), item);
        }
        r.source(at, "source", &m.source);
    }

    // A decision's seq is its place among its meeting's decisions, which is all the files
    // can say: the seqs of a meeting must be 1, 2, … n, or they would not survive a round trip.
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for d in &ds.decisions {
        *counts.entry(&d.meeting).or_default() += 1;
    }
    let mut seen: HashSet<(&str, u32)> = HashSet::new();
    for (i, d) in ds.decisions.iter().enumerate() {
        let at = At(Kind::Decision, i);
        r.resolve(at, "meeting", &idx.meetings, Kind::Meeting, &d.meeting);
        let count = counts[d.meeting.as_str()];
        if d.seq == 0 || d.seq as usize > count {
            r.add(
                at,
                "seq",
                format!(
                    "{} is outside 1–{count}: a meeting's decisions are numbered 1, 2, … in order",
                    d.seq
                ),
            );
        } else if !seen.insert((&d.meeting, d.seq)) {
            r.add(
                at,
                "seq",
                format!("{} is used twice in meeting {:?}", d.seq, d.meeting),
            );
        }
        r.text(at, "title", &d.title);
        match &d.subject {
            DecisionSubject::AdoptPlan { plan } => {
                r.resolve(at, "subject.plan", &idx.plans, Kind::Plan, plan);
            }
            DecisionSubject::NextHost { host } => {
                r.jurisdiction(at, "subject.host", idx, *host);
            }
            DecisionSubject::Other => {}
        }
        let meeting = idx.meetings.get(d.meeting.as_str()).copied();
        if d.outcome.is_some() && meeting.is_some_and(|m| m.state == MeetingState::Scheduled) {
            r.add(
                at,
                "outcome",
                format!(
                    "meeting {:?} is scheduled: an outcome is frozen only when it closes",
                    d.meeting
                ),
            );
        }
        if let Some(superseded) = &d.supersedes {
            if *superseded == d.key {
                r.add(at, "supersedes", "a decision cannot supersede itself");
            } else if let Some(old) =
                r.resolve(at, "supersedes", &idx.decisions, Kind::Decision, superseded)
                && let Some(meeting) = meeting
                && let Some(old_meeting) = idx.meetings.get(old.meeting.as_str())
            {
                // As the store allows it: a decision of an earlier meeting, closed, of the
                // same body.
                if old.meeting == d.meeting {
                    r.add(
                        at,
                        "supersedes",
                        format!("{superseded:?} is a decision of the same meeting"),
                    );
                } else if old_meeting.body != meeting.body {
                    r.add(
                        at,
                        "supersedes",
                        format!(
                            "{superseded:?} is a decision of body {:?}, not {:?}",
                            old_meeting.body, meeting.body
                        ),
                    );
                } else if old_meeting.state != MeetingState::Closed {
                    r.add(
                        at,
                        "supersedes",
                        format!(
                            "{superseded:?} belongs to meeting {:?}, which is not closed",
                            old.meeting
                        ),
                    );
                }
            }
        }
        for (k, p) in d.positions.iter().enumerate() {
            let field = format!("positions[{k}].jurisdiction");
            r.jurisdiction(at, &field, idx, p.jurisdiction);
            if d.positions[..k]
                .iter()
                .any(|q| q.jurisdiction == p.jurisdiction)
            {
                r.add(
                    at,
                    field,
                    format!("{} has two positions on this decision", p.jurisdiction),
                );
            }
        }
        r.source(at, "source", &d.source);
    }
}

fn plans(r: &mut Report<'_>, idx: &Index<'_>, ds: &Dataset) {
    for (i, p) in ds.plans.iter().enumerate() {
        let at = At(Kind::Plan, i);
        r.text(at, "title", &p.title);
        if let Some(parent) = &p.parent {
            if *parent == p.key {
                r.add(at, "parent", "a plan cannot be its own parent");
            } else if r
                .resolve(at, "parent", &idx.plans, Kind::Plan, parent)
                .is_some()
            {
                // Follow the parents; bounded, since a cycle that does not include this plan
                // would otherwise never end here.
                let mut current = idx
                    .plans
                    .get(parent.as_str())
                    .and_then(|q| q.parent.as_deref());
                for _ in 0..ds.plans.len() {
                    match current {
                        Some(key) if key == p.key => {
                            r.add(at, "parent", format!("{parent:?} descends from {:?} itself: the parents form a cycle", p.key));
                            break;
                        }
                        Some(key) => current = idx.plans.get(key).and_then(|q| q.parent.as_deref()),
                        None => break,
                    }
                }
            }
        }
        if p.period_start > p.period_end {
            r.add(
                at,
                "period",
                format!(
                    "the first year {} is after the last year {}",
                    p.period_start, p.period_end
                ),
            );
        }
        for (k, a) in p.areas.iter().enumerate() {
            let field = format!("areas[{k}].key");
            if a.key.is_empty() || !is_valid_key(&a.key) {
                r.add(at, &field, format!("{:?} is not a valid key", a.key));
            } else if p.areas[..k].iter().any(|b| b.key == a.key) {
                r.add(
                    at,
                    &field,
                    format!("duplicate area key {:?} in this plan", a.key),
                );
            }
            if a.seq as usize != k + 1 {
                r.add(
                    at,
                    format!("areas[{k}].seq"),
                    format!(
                        "{} should be {}: areas are numbered 1, 2, … in order",
                        a.seq,
                        k + 1
                    ),
                );
            }
            r.text(at, &format!("areas[{k}].name"), &a.name);
        }
        r.source(at, "source", &p.source);
    }
}

/// Matters, tasks, reports, problems and agreements.
fn work(r: &mut Report<'_>, idx: &Index<'_>, ds: &Dataset) {
    for (i, m) in ds.matters.iter().enumerate() {
        let at = At(Kind::Matter, i);
        let plan = r.resolve(at, "plan", &idx.plans, Kind::Plan, &m.plan);
        if let (Some(plan), Some(area)) = (plan, &m.area)
            && !plan.areas.iter().any(|a| a.key == *area)
        {
            r.add(
                at,
                "area",
                format!("plan {:?} has no area {area:?}", plan.key),
            );
        }
        r.text(at, "title", &m.title);
        if m.leads.is_empty() {
            r.add(at, "leads", "at least one lead is required");
        }
        r.jurisdictions(at, "leads", idx, &m.leads);
        r.jurisdictions(at, "participants", idx, &m.participants);
        for (k, p) in m.participants.iter().enumerate() {
            if m.leads.contains(p) {
                r.add(
                    at,
                    format!("participants[{k}]"),
                    format!("{p} is already a lead"),
                );
            }
        }
        if let (Some(start), Some(due)) = (m.start, m.due) {
            r.not_before(
                at,
                "due",
                PartialDate::Day(due),
                "start",
                PartialDate::Day(start),
            );
        }
        for (k, milestone) in m.milestones.iter().enumerate() {
            r.text(at, &format!("milestones[{k}].title"), &milestone.title);
        }
        r.references(
            at,
            "indicators",
            &idx.indicators,
            Kind::Indicator,
            &m.indicators,
        );
        r.references(
            at,
            "agreements",
            &idx.agreements,
            Kind::Agreement,
            &m.agreements,
        );
        if let Some(body) = &m.body {
            if body.is_empty() {
                r.add(at, "body", "empty; leave it out instead");
            } else {
                r.resolve(at, "body", &idx.bodies, Kind::Body, body);
            }
        }
        if let Some(earlier) = &m.carried_from {
            if *earlier == m.key {
                r.add(at, "carried_from", "a matter cannot carry itself over");
            } else {
                r.resolve(at, "carried_from", &idx.matters, Kind::Matter, earlier);
            }
        }
        r.source(at, "source", &m.source);
    }
    for (i, t) in ds.tasks.iter().enumerate() {
        let at = At(Kind::Task, i);
        let matter = r.resolve(at, "matter", &idx.matters, Kind::Matter, &t.matter);
        if r.jurisdiction(at, "jurisdiction", idx, t.jurisdiction)
            .is_some()
            && let Some(matter) = matter
            && !matter.leads.contains(&t.jurisdiction)
            && !matter.participants.contains(&t.jurisdiction)
        {
            r.add(
                at,
                "jurisdiction",
                format!(
                    "{} is neither a lead nor a participant of matter {:?}",
                    t.jurisdiction, matter.key
                ),
            );
        }
        if let Some(parent) = &t.parent {
            if *parent == t.key {
                r.add(at, "parent", "a task cannot be its own sub-task");
            } else if let Some(task) = r.resolve(at, "parent", &idx.tasks, Kind::Task, parent) {
                // As the store splits a task: under a task of the same matter and member, and
                // one level deep.
                if task.matter != t.matter {
                    r.add(
                        at,
                        "parent",
                        format!(
                            "task {parent:?} belongs to matter {:?}, not {:?}",
                            task.matter, t.matter
                        ),
                    );
                } else if task.jurisdiction != t.jurisdiction {
                    r.add(
                        at,
                        "parent",
                        format!(
                            "task {parent:?} is {}'s, not {}'s",
                            task.jurisdiction, t.jurisdiction
                        ),
                    );
                }
                if let Some(grandparent) = &task.parent {
                    r.add(
                        at,
                        "parent",
                        format!(
                            "task {parent:?} is itself a sub-task (of {grandparent:?}): sub-tasks are not split further"
                        ),
                    );
                }
            }
        }
        r.text(at, "unit", &t.unit);
        r.text(at, "title", &t.title);
        if let Some(start) = t.start {
            r.not_before(
                at,
                "due",
                PartialDate::Day(t.due),
                "start",
                PartialDate::Day(start),
            );
        }
        r.source(at, "source", &t.source);
    }
    for (i, p) in ds.reports.iter().enumerate() {
        let at = At(Kind::Report, i);
        r.resolve(at, "task", &idx.tasks, Kind::Task, &p.task);
        if p.percent > 100 {
            r.add(at, "percent", format!("{} is outside 0–100", p.percent));
        }
        r.text(at, "narrative", &p.narrative);
        for url in &p.evidence {
            r.url(at, "evidence", url);
        }
        if !p.return_reason.is_empty() && p.state != ReportState::Returned {
            r.add(
                at,
                "return_reason",
                "only a returned report has the reason it was returned for",
            );
        }
        r.source(at, "source", &p.source);
    }
    for (i, p) in ds.problems.iter().enumerate() {
        let at = At(Kind::Problem, i);
        let matter = r.resolve(at, "matter", &idx.matters, Kind::Matter, &p.matter);
        if let Some(task) = &p.task
            && let Some(task) = r.resolve(at, "task", &idx.tasks, Kind::Task, task)
            && matter.is_some()
            && task.matter != p.matter
        {
            r.add(
                at,
                "task",
                format!(
                    "task {:?} belongs to matter {:?}, not {:?}",
                    task.key, task.matter, p.matter
                ),
            );
        }
        r.text(at, "title", &p.title);
        let raised_on = PartialDate::Day(p.raised_on);
        if let Some(due) = p.due {
            r.not_before(at, "due", PartialDate::Day(due), "raised_on", raised_on);
        }
        if let Some(escalated_on) = p.escalated_on {
            if p.tier == Tier::Execution {
                r.add(
                    at,
                    "escalated_on",
                    "a problem at the execution tier, where problems are raised, was never escalated",
                );
            }
            r.not_before(
                at,
                "escalated_on",
                PartialDate::Day(escalated_on),
                "raised_on",
                raised_on,
            );
        }
        if let Some(resolved_on) = p.resolved_on {
            r.not_before(
                at,
                "resolved_on",
                PartialDate::Day(resolved_on),
                "raised_on",
                raised_on,
            );
            if let Some(escalated_on) = p.escalated_on {
                r.not_before(
                    at,
                    "resolved_on",
                    PartialDate::Day(resolved_on),
                    "escalated_on",
                    PartialDate::Day(escalated_on),
                );
            }
        }
        match (p.resolved_tier, p.resolved_on) {
            (Some(_), None) => r.add(
                at,
                "resolved_tier",
                "only a resolved problem has the tier that resolved it",
            ),
            // The tier that holds a problem resolves it, and a resolved problem climbs no more.
            (Some(resolved), Some(_)) if resolved != p.tier => r.add(
                at,
                "resolved_tier",
                format!(
                    "{} is not the tier that holds the problem ({})",
                    tier_name(resolved),
                    tier_name(p.tier)
                ),
            ),
            _ => {}
        }
        r.source(at, "source", &p.source);
    }
}

fn tier_name(tier: Tier) -> &'static str {
    match tier {
        Tier::Decision => "decision",
        Tier::Coordination => "coordination",
        Tier::Execution => "execution",
    }
}

/// Agreements, their texts and the parties' signatures.
fn agreements(r: &mut Report<'_>, idx: &Index<'_>, ds: &Dataset) {
    for (i, a) in ds.agreements.iter().enumerate() {
        let at = At(Kind::Agreement, i);
        r.text(at, "title", &a.title);
        if let Some(meeting) = &a.meeting {
            r.resolve(at, "meeting", &idx.meetings, Kind::Meeting, meeting);
        }
        if a.parties.is_empty() {
            r.add(at, "parties", "at least one party is required");
        }
        for (k, p) in a.parties.iter().enumerate() {
            let field = format!("parties[{k}].jurisdiction");
            r.jurisdiction(at, &field, idx, p.jurisdiction);
            if a.parties[..k]
                .iter()
                .any(|q| q.jurisdiction == p.jurisdiction)
            {
                r.add(at, field, format!("{} is a party twice", p.jurisdiction));
            }
        }
        let terminated = a.state == AgreementState::Terminated;
        if terminated && a.ended_on.is_none() {
            r.add(at, "ended_on", "required for a terminated agreement");
        }
        if !terminated && a.ended_on.is_some() {
            r.add(at, "ended_on", "only a terminated agreement has ended");
        }
        if !terminated && !a.ended_reason.is_empty() {
            r.add(at, "ended_reason", "only a terminated agreement has ended");
        }
        // A signature binds the text's hash: a hash that is not the text's would show
        // signatures over another text as current.
        match &a.text_hash {
            None if !a.text.is_empty() => {
                r.add(
                    at,
                    "text_hash",
                    "required with a text: what its signatures bind",
                );
            }
            Some(_) if a.text.is_empty() => {
                r.add(
                    at,
                    "text_hash",
                    "only an agreement with a text has its hash",
                );
            }
            Some(hash) => {
                r.hex(at, "text_hash", hash, 64);
                let expected = agreement_text_hash(&a.text);
                if *hash != expected && hash.len() == 64 {
                    r.add(
                        at,
                        "text_hash",
                        format!("{hash} is not the hash of the text, which is {expected}"),
                    );
                }
            }
            None => {}
        }
        if matches!(a.state, AgreementState::Draft | AgreementState::Open) && a.text.is_empty() {
            r.add(
                at,
                "text",
                "a draft or an agreement open for signature has the text its parties sign",
            );
        }
        if a.state == AgreementState::Draft && !a.signatures.is_empty() {
            r.add(
                at,
                "signatures",
                "a draft is not signed: it is opened first",
            );
        }
        for (k, s) in a.signatures.iter().enumerate() {
            let field = |name: &str| format!("signatures[{k}].{name}");
            if !a.parties.iter().any(|p| p.jurisdiction == s.jurisdiction) {
                r.add(
                    at,
                    field("jurisdiction"),
                    format!("{} is not a party to the agreement", s.jurisdiction),
                );
            }
            r.hex(at, &field("text_hash"), &s.text_hash, 64);
            if let Some(key) = r.resolve(
                at,
                &field("key_id"),
                &idx.member_keys,
                Kind::MemberKey,
                &s.key_id,
            ) && key.jurisdiction != s.jurisdiction
            {
                r.add(
                    at,
                    field("key_id"),
                    format!(
                        "key {:?} is {}'s, not {}'s",
                        s.key_id, key.jurisdiction, s.jurisdiction
                    ),
                );
            }
            r.hex(at, &field("signature"), &s.signature, 128);
            if s.signed_by.trim().is_empty() {
                r.add(at, field("signed_by"), "required, but empty");
            }
            r.moment(at, &field("signed_at"), &s.signed_at);
            if a.signatures[..k]
                .iter()
                .any(|o| o.jurisdiction == s.jurisdiction && o.text_hash == s.text_hash)
            {
                r.add(
                    at,
                    field("text_hash"),
                    format!("{} signed this text twice", s.jurisdiction),
                );
            }
        }
        r.source(at, "source", &a.source);
    }
}

/// Members' public keys: each of a known member, distinct, and one active per member.
fn member_keys(r: &mut Report<'_>, idx: &Index<'_>, ds: &Dataset) {
    let mut public_keys: HashMap<&str, &str> = HashMap::new();
    let mut active: HashMap<AdminCode, &str> = HashMap::new();
    for (i, k) in ds.member_keys.iter().enumerate() {
        let at = At(Kind::MemberKey, i);
        r.jurisdiction(at, "jurisdiction", idx, k.jurisdiction);
        r.hex(at, "public_key", &k.public_key, 64);
        if let Some(other) = public_keys.insert(&k.public_key, &k.id) {
            r.add(
                at,
                "public_key",
                format!("the same public key as key {other:?}"),
            );
        }
        r.moment(at, "created_at", &k.created_at);
        match &k.retired_at {
            Some(retired_at) => r.moment(at, "retired_at", retired_at),
            None => {
                if let Some(other) = active.insert(k.jurisdiction, &k.id) {
                    r.add(
                        at,
                        "retired_at",
                        format!(
                            "{} has another active key, {other:?}: a member signs with one key at a time",
                            k.jurisdiction
                        ),
                    );
                }
            }
        }
    }
}

fn indicators(r: &mut Report<'_>, idx: &Index<'_>, ds: &Dataset) {
    for (i, ind) in ds.indicators.iter().enumerate() {
        let at = At(Kind::Indicator, i);
        r.text(at, "name", &ind.name);
        if !ind.classes.is_empty() && !ind.unit.is_empty() {
            r.add(
                at,
                "classes",
                "an indicator has a unit (numeric) or classes (categorical), not both",
            );
        }
        for (k, class) in ind.classes.iter().enumerate() {
            if class.trim().is_empty() {
                r.add(at, format!("classes[{k}]"), "a class label cannot be empty");
            } else if ind.classes[..k].contains(class) {
                r.add(
                    at,
                    format!("classes[{k}]"),
                    format!("{class:?} is listed twice"),
                );
            }
        }
        match &ind.scope {
            Scope::Jurisdiction(code) => {
                r.jurisdiction(at, "scope.id", idx, *code);
            }
            Scope::Zone(zone) => {
                r.resolve(at, "scope.id", &idx.zones, Kind::Zone, zone);
            }
            Scope::Site(site) => {
                if site.trim().is_empty() {
                    r.add(at, "scope.id", "required, but empty");
                }
            }
        }
        let targets = ind.baseline.iter().map(|t| ("baseline".to_owned(), t));
        let targets = targets.chain(
            ind.targets
                .iter()
                .enumerate()
                .map(|(k, t)| (format!("targets[{k}]"), t)),
        );
        for (field, target) in targets {
            r.value(at, &format!("{field}.value"), ind, &target.value);
            r.source(at, &format!("{field}.source"), &target.source);
        }
        r.source(at, "source", &ind.source);
    }
    for (i, o) in ds.observations.iter().enumerate() {
        let at = At(Kind::Observation, i);
        let indicator = r.resolve(
            at,
            "indicator",
            &idx.indicators,
            Kind::Indicator,
            &o.indicator,
        );
        if let Some(indicator) = indicator {
            r.value(at, "value", indicator, &o.value);
        }
        if let Some(code) = o.jurisdiction
            && r.jurisdiction(at, "jurisdiction", idx, code).is_some()
            && let Some(indicator) = indicator
        {
            // The jurisdiction narrows the indicator's scope, so it must lie within it.
            let inside = match &indicator.scope {
                Scope::Jurisdiction(scope) => Some(within(idx, code, *scope)),
                Scope::Zone(zone) => idx
                    .zones
                    .get(zone.as_str())
                    .map(|z| z.members.iter().any(|&m| within(idx, code, m))),
                Scope::Site(_) => None,
            };
            if inside == Some(false) {
                let scope = match &indicator.scope {
                    Scope::Jurisdiction(scope) => format!("jurisdiction {scope}"),
                    Scope::Zone(zone) => format!("zone {zone:?}"),
                    Scope::Site(site) => format!("site {site:?}"),
                };
                r.add(
                    at,
                    "jurisdiction",
                    format!(
                        "{code} is not within the scope of indicator {:?} ({scope})",
                        indicator.key
                    ),
                );
            }
        }
        if o.site.as_ref().is_some_and(|s| s.is_empty()) {
            r.add(at, "site", "empty; leave it out instead");
        }
        r.source(at, "source", &o.source);
    }
}
