//! Importing a dataset: compare it with what is stored, then write only what differs, in one
//! transaction. Importing the same dataset twice therefore changes nothing the second time,
//! and a failure part-way (a constraint the validator did not foresee) leaves the database
//! exactly as it was.
//!
//! Import adds and updates; it never deletes a stored record that the dataset lacks, because
//! a dataset directory may hold only part of what a deployment has recorded since. A record it
//! changes is the dataset's as a whole, including what the mechanism records (a meeting's
//! state, sub-tasks, escalations, an agreement's signatures), and the versions that `If-Match`
//! is checked against move on, so that an edit read before the import is refused as stale.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;
use yrd_domain::*;

use crate::codec::enum_name;
use crate::exec::{Arg, Stmt};
use crate::journal::{Author, Change, JournalTx};
use crate::rows::{self, seq};
use crate::{Store, StoreError};

/// What an import did, per record kind.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    pub kinds: BTreeMap<&'static str, KindSummary>,
}

/// Counts for one record kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct KindSummary {
    pub inserted: usize,
    pub updated: usize,
    pub unchanged: usize,
}

impl ImportSummary {
    /// Records inserted or updated, over all kinds.
    pub fn changed(&self) -> usize {
        self.kinds.values().map(|k| k.inserted + k.updated).sum()
    }
}

/// What an import will do: the counts, and the journal's account of every change.
#[derive(Default)]
struct Diff {
    summary: ImportSummary,
    changes: Vec<Change>,
}

/// The journal's name for a record kind: the singular of the dataset's file name.
fn record_kind(kind: &'static str) -> &'static str {
    match kind {
        "bodies" => "body",
        other => other.strip_suffix('s').unwrap_or(other),
    }
}

/// Splits `incoming` into the records that are new or differ from `stored` (by key), and
/// notes each change for the journal.
fn diff<'a, T: PartialEq + Serialize>(
    acc: &mut Diff,
    kind: &'static str,
    stored: &[T],
    incoming: &'a [T],
    key: impl Fn(&T) -> String,
) -> Vec<&'a T> {
    let stored: HashMap<String, &T> = stored.iter().map(|r| (key(r), r)).collect();
    let counts = acc.summary.kinds.entry(kind).or_default();
    let mut changed = Vec::new();
    for record in incoming {
        let record_key = key(record);
        let old = stored.get(&record_key).copied();
        match old {
            None => counts.inserted += 1,
            Some(old) if old != record => counts.updated += 1,
            Some(_) => {
                counts.unchanged += 1;
                continue;
            }
        }
        changed.push(record);
        acc.changes.extend(Change::between(
            record_kind(kind),
            record_key,
            old,
            Some(record),
        ));
    }
    changed
}

fn stmt(sql: &'static str, args: Vec<Arg>) -> Stmt {
    Stmt { sql, args }
}

fn opt_text<T: ToString>(v: Option<T>) -> Arg {
    Arg::Text(v.map(|v| v.to_string()))
}

impl Store {
    /// Imports a validated dataset (see `yrd_dataset::read_dir`), writing only what differs.
    ///
    /// The import is journalled as `author`'s, one entry per changed record. It is computed
    /// against a snapshot and written under the journal's lock; if another write landed in
    /// between (the journal moved on), the snapshot is stale and the import is computed again.
    pub async fn import(
        &self,
        author: &Author,
        incoming: &Dataset,
    ) -> Result<ImportSummary, StoreError> {
        for _ in 0..IMPORT_ATTEMPTS {
            let (seen_seq, _) = self.journal_head().await?;
            let stored = self.export().await?;
            if let Some(conflict) = second_active_key(&stored, incoming) {
                return Err(StoreError::Conflict(conflict));
            }
            let (acc, statements) = plan_import(&stored, incoming);
            if statements.is_empty() {
                return Ok(acc.summary);
            }
            let mut tx = JournalTx::begin(self, author).await?;
            if tx.head_seq() != seen_seq {
                continue;
            }
            for stmt in statements {
                tx.execute(stmt.sql, stmt.args).await?;
            }
            for change in acc.changes {
                tx.record(change);
            }
            tx.commit().await?;
            return Ok(acc.summary);
        }
        Err(StoreError::Conflict(
            "the database kept changing while the import was computed; run it again".into(),
        ))
    }
}

/// How often an import is recomputed when concurrent writes make its snapshot stale.
const IMPORT_ATTEMPTS: usize = 5;

/// Why the keys the dataset brings would leave a member with two active keys (one stored that
/// the dataset does not retire, and another), if they would. A dataset checks this among its
/// own keys; only the database can say which other keys it holds.
fn second_active_key(stored: &Dataset, incoming: &Dataset) -> Option<String> {
    let mut keys: BTreeMap<&str, &MemberKey> = stored
        .member_keys
        .iter()
        .map(|k| (k.id.as_str(), k))
        .collect();
    keys.extend(incoming.member_keys.iter().map(|k| (k.id.as_str(), k)));
    let mut active: BTreeMap<AdminCode, Vec<&str>> = BTreeMap::new();
    for key in keys.values().filter(|k| k.retired_at.is_none()) {
        active.entry(key.jurisdiction).or_default().push(&key.id);
    }
    let (member, ids) = active.into_iter().find(|(_, ids)| ids.len() > 1)?;
    Some(format!(
        "{member} would have more than one active key ({}): retire all but one in the dataset's \
         member_keys.csv",
        ids.join(", ")
    ))
}

/// The statements that bring `stored` up to `incoming`, and the changes they make.
fn plan_import(stored: &Dataset, incoming: &Dataset) -> (Diff, Vec<Stmt>) {
    let mut diffs = Diff::default();
    let mut out: Vec<Stmt> = Vec::new();

    let mut jurisdictions = diff(
        &mut diffs,
        "jurisdictions",
        &stored.jurisdictions,
        &incoming.jurisdictions,
        |j| j.code.to_string(),
    );
    // Parents before children, so every foreign key points at a row already written.
    jurisdictions.sort_by_key(|j| (j.code.level(), j.code));
    for j in jurisdictions {
        out.push(stmt(
                "INSERT INTO jurisdictions (code, parent, name_zh, name_en, lat, lon, source) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (code) DO UPDATE SET parent = excluded.parent, \
                 name_zh = excluded.name_zh, name_en = excluded.name_en, lat = excluded.lat, lon = excluded.lon, \
                 source = excluded.source",
                vec![
                    j.code.to_string().into(),
                    opt_text(j.parent),
                    j.name.zh.clone().into(),
                    j.name.en.clone().into(),
                    j.centroid.map(|c| c.lat).into(),
                    j.centroid.map(|c| c.lon).into(),
                    j.source.clone().into(),
                ],
            ));
    }

    let mut keys = diff(
        &mut diffs,
        "member_keys",
        &stored.member_keys,
        &incoming.member_keys,
        |k| k.id.clone(),
    );
    // Retirements first: a member has one active key at a time, also between statements.
    keys.sort_by_key(|k| (k.retired_at.is_none(), k.id.clone()));
    for k in keys {
        out.push(stmt(
            "INSERT INTO member_keys (id, jurisdiction, public_key, created_at, retired_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO UPDATE SET jurisdiction = excluded.jurisdiction, \
             public_key = excluded.public_key, created_at = excluded.created_at, retired_at = excluded.retired_at",
            vec![
                k.id.clone().into(),
                k.jurisdiction.to_string().into(),
                k.public_key.clone().into(),
                k.created_at.clone().into(),
                k.retired_at.clone().into(),
            ],
        ));
    }

    for z in diff(&mut diffs, "zones", &stored.zones, &incoming.zones, |z| {
        z.key.clone()
    }) {
        out.push(stmt(
                "INSERT INTO zones (key, name_zh, name_en, description_zh, description_en, source) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (key) DO UPDATE SET name_zh = excluded.name_zh, \
                 name_en = excluded.name_en, description_zh = excluded.description_zh, \
                 description_en = excluded.description_en, source = excluded.source",
                vec![
                    z.key.clone().into(),
                    z.name.zh.clone().into(),
                    z.name.en.clone().into(),
                    z.description.zh.clone().into(),
                    z.description.en.clone().into(),
                    z.source.clone().into(),
                ],
            ));
        out.push(stmt(
            "DELETE FROM zone_members WHERE zone = $1",
            vec![z.key.clone().into()],
        ));
        for (i, member) in z.members.iter().enumerate() {
            out.push(stmt(
                "INSERT INTO zone_members (zone, jurisdiction, seq) VALUES ($1, $2, $3)",
                vec![z.key.clone().into(), member.to_string().into(), seq(i)],
            ));
        }
    }

    for b in diff(
        &mut diffs,
        "bodies",
        &stored.bodies,
        &incoming.bodies,
        |b| b.key.clone(),
    ) {
        out.push(stmt(
                "INSERT INTO bodies (key, name_zh, name_en, tier, description_zh, description_en, source) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (key) DO UPDATE SET name_zh = excluded.name_zh, \
                 name_en = excluded.name_en, tier = excluded.tier, description_zh = excluded.description_zh, \
                 description_en = excluded.description_en, source = excluded.source",
                vec![
                    b.key.clone().into(),
                    b.name.zh.clone().into(),
                    b.name.en.clone().into(),
                    enum_name(&b.tier).into(),
                    b.description.zh.clone().into(),
                    b.description.en.clone().into(),
                    b.source.clone().into(),
                ],
            ));
        out.push(stmt(
            "DELETE FROM body_members WHERE body = $1",
            vec![b.key.clone().into()],
        ));
        let listed: BTreeSet<AdminCode> =
            b.members.iter().chain(&b.host_rotation).copied().collect();
        for code in listed {
            let member_seq = b
                .members
                .iter()
                .position(|m| *m == code)
                .map(|i| i as i64 + 1);
            let rotation_seq = b
                .host_rotation
                .iter()
                .position(|m| *m == code)
                .map(|i| i as i64 + 1);
            out.push(stmt(
                    "INSERT INTO body_members (body, jurisdiction, member_seq, rotation_seq) VALUES ($1, $2, $3, $4)",
                    vec![b.key.clone().into(), code.to_string().into(), member_seq.into(), rotation_seq.into()],
                ));
        }
    }

    for s in diff(&mut diffs, "seats", &stored.seats, &incoming.seats, |s| {
        s.key.clone()
    }) {
        out.push(stmt(
                "INSERT INTO seats (key, body, jurisdiction, role_zh, role_en, holder_zh, holder_en, term_start, \
                 term_end, source) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (key) DO UPDATE SET \
                 body = excluded.body, jurisdiction = excluded.jurisdiction, role_zh = excluded.role_zh, \
                 role_en = excluded.role_en, holder_zh = excluded.holder_zh, holder_en = excluded.holder_en, \
                 term_start = excluded.term_start, term_end = excluded.term_end, source = excluded.source",
                vec![
                    s.key.clone().into(),
                    s.body.clone().into(),
                    s.jurisdiction.to_string().into(),
                    s.role.zh.clone().into(),
                    s.role.en.clone().into(),
                    s.holder.zh.clone().into(),
                    s.holder.en.clone().into(),
                    s.term_start.to_string().into(),
                    opt_text(s.term_end),
                    s.source.clone().into(),
                ],
            ));
    }

    let plans = diff(&mut diffs, "plans", &stored.plans, &incoming.plans, |p| {
        p.key.clone()
    });
    for p in referenced_first(plans, &incoming.plans, |p| &p.key, |p| p.parent.as_deref()) {
        out.push(stmt(
                "INSERT INTO plans (key, kind, title_zh, title_en, parent, period_start, period_end, stage, \
                 adopted_on, issued_on, issuer_zh, issuer_en, summary_zh, summary_en, source, published) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) \
                 ON CONFLICT (key) DO UPDATE SET kind = excluded.kind, title_zh = excluded.title_zh, \
                 title_en = excluded.title_en, parent = excluded.parent, period_start = excluded.period_start, \
                 period_end = excluded.period_end, stage = excluded.stage, adopted_on = excluded.adopted_on, \
                 issued_on = excluded.issued_on, issuer_zh = excluded.issuer_zh, issuer_en = excluded.issuer_en, \
                 summary_zh = excluded.summary_zh, summary_en = excluded.summary_en, source = excluded.source, \
                 published = excluded.published",
                rows::plan(p),
            ));
        // Areas are upserted rather than replaced: matters reference them.
        for (i, a) in p.areas.iter().enumerate() {
            out.push(stmt(
                    "INSERT INTO plan_areas (plan, key, seq, name_zh, name_en, stated_task_count) \
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (plan, key) DO UPDATE SET seq = excluded.seq, \
                     name_zh = excluded.name_zh, name_en = excluded.name_en, \
                     stated_task_count = excluded.stated_task_count",
                    rows::area(&p.key, i, a),
                ));
        }
    }

    let meetings = diff(
        &mut diffs,
        "meetings",
        &stored.meetings,
        &incoming.meetings,
        |m| m.key.clone(),
    );
    let written_meetings: BTreeSet<&str> = meetings.iter().map(|m| m.key.as_str()).collect();
    for m in meetings {
        out.push(stmt(
                "INSERT INTO meetings (key, body, title_zh, title_en, start_date, end_date, host, theme_zh, theme_en, \
                 attendees, agenda, outcomes, source, state, host_reason_zh, host_reason_en, documents, closed_on) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) \
                 ON CONFLICT (key) DO UPDATE SET body = excluded.body, title_zh = excluded.title_zh, \
                 title_en = excluded.title_en, start_date = excluded.start_date, end_date = excluded.end_date, \
                 host = excluded.host, theme_zh = excluded.theme_zh, theme_en = excluded.theme_en, \
                 attendees = excluded.attendees, agenda = excluded.agenda, outcomes = excluded.outcomes, \
                 source = excluded.source, state = excluded.state, host_reason_zh = excluded.host_reason_zh, \
                 host_reason_en = excluded.host_reason_en, documents = excluded.documents, \
                 closed_on = excluded.closed_on, version = meetings.version + 1",
                rows::meeting(m),
            ));
    }

    let decisions = diff(
        &mut diffs,
        "decisions",
        &stored.decisions,
        &incoming.decisions,
        |d| d.key.clone(),
    );
    // A decision's positions count in its meeting's version, so a changed decision moves on
    // the version of its meeting (and of the one it left), once, unless that is written anyway.
    let stored_meeting_of: HashMap<&str, &str> = stored
        .decisions
        .iter()
        .map(|d| (d.key.as_str(), d.meeting.as_str()))
        .collect();
    let mut touched_meetings = BTreeSet::new();
    for d in &decisions {
        touched_meetings.insert(d.meeting.as_str());
        touched_meetings.extend(stored_meeting_of.get(d.key.as_str()));
    }
    let decisions = referenced_first(
        decisions,
        &incoming.decisions,
        |d| &d.key,
        |d| d.supersedes.as_deref(),
    );
    for d in decisions {
        out.push(stmt(
                "INSERT INTO decisions (key, meeting, seq, title_zh, title_en, subject_kind, subject_plan, \
                 subject_host, source, outcome, supersedes) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
                 ON CONFLICT (key) DO UPDATE SET \
                 meeting = excluded.meeting, seq = excluded.seq, title_zh = excluded.title_zh, \
                 title_en = excluded.title_en, subject_kind = excluded.subject_kind, \
                 subject_plan = excluded.subject_plan, subject_host = excluded.subject_host, source = excluded.source, \
                 outcome = excluded.outcome, supersedes = excluded.supersedes",
                rows::decision(d),
            ));
        out.push(stmt(
            "DELETE FROM positions WHERE decision = $1",
            vec![d.key.clone().into()],
        ));
        for (i, p) in d.positions.iter().enumerate() {
            out.push(stmt(
                    "INSERT INTO positions (decision, jurisdiction, seq, stance, comment_zh, comment_en) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                    rows::position(&d.key, i, p),
                ));
        }
    }
    for meeting in touched_meetings.difference(&written_meetings) {
        out.push(stmt(
            "UPDATE meetings SET version = version + 1 WHERE key = $1",
            vec![(*meeting).into()],
        ));
    }

    for i in diff(
        &mut diffs,
        "indicators",
        &stored.indicators,
        &incoming.indicators,
        |i| i.key.clone(),
    ) {
        out.push(stmt(
                "INSERT INTO indicators (key, name_zh, name_en, description_zh, description_en, unit_zh, unit_en, \
                 classes, direction, scope_kind, scope_id, baseline, targets, source) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) ON CONFLICT (key) DO UPDATE SET \
                 name_zh = excluded.name_zh, name_en = excluded.name_en, description_zh = excluded.description_zh, \
                 description_en = excluded.description_en, unit_zh = excluded.unit_zh, unit_en = excluded.unit_en, \
                 classes = excluded.classes, direction = excluded.direction, scope_kind = excluded.scope_kind, \
                 scope_id = excluded.scope_id, baseline = excluded.baseline, targets = excluded.targets, \
                 source = excluded.source",
                rows::indicator(i),
            ));
    }

    // Signatures have no order of their own: compared in the order the store lists them.
    let incoming_agreements: Vec<Agreement> = incoming
        .agreements
        .iter()
        .map(|a| {
            let mut a = a.clone();
            a.signatures.sort_by(|x, y| x.order().cmp(&y.order()));
            a
        })
        .collect();
    for a in diff(
        &mut diffs,
        "agreements",
        &stored.agreements,
        &incoming_agreements,
        |a| a.key.clone(),
    ) {
        out.push(stmt(
                "INSERT INTO agreements (key, title_zh, title_en, summary_zh, summary_en, meeting, signed_on, \
                 in_force_on, source, state, text_zh, text_en, text_hash, expires_on, ended_on, ended_reason_zh, \
                 ended_reason_en) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) \
                 ON CONFLICT (key) DO UPDATE SET \
                 title_zh = excluded.title_zh, title_en = excluded.title_en, summary_zh = excluded.summary_zh, \
                 summary_en = excluded.summary_en, meeting = excluded.meeting, signed_on = excluded.signed_on, \
                 in_force_on = excluded.in_force_on, source = excluded.source, state = excluded.state, \
                 text_zh = excluded.text_zh, text_en = excluded.text_en, text_hash = excluded.text_hash, \
                 expires_on = excluded.expires_on, ended_on = excluded.ended_on, \
                 ended_reason_zh = excluded.ended_reason_zh, ended_reason_en = excluded.ended_reason_en, \
                 version = agreements.version + 1",
                vec![
                    a.key.clone().into(),
                    a.title.zh.clone().into(),
                    a.title.en.clone().into(),
                    a.summary.zh.clone().into(),
                    a.summary.en.clone().into(),
                    a.meeting.clone().into(),
                    opt_text(a.signed_on),
                    opt_text(a.in_force_on),
                    a.source.clone().into(),
                    enum_name(&a.state).into(),
                    a.text.zh.clone().into(),
                    a.text.en.clone().into(),
                    a.text_hash.clone().into(),
                    a.expires_on.into(),
                    a.ended_on.into(),
                    a.ended_reason.zh.clone().into(),
                    a.ended_reason.en.clone().into(),
                ],
            ));
        for table in [
            "DELETE FROM agreement_parties WHERE agreement = $1",
            "DELETE FROM agreement_signatures WHERE agreement = $1",
        ] {
            out.push(stmt(table, vec![a.key.clone().into()]));
        }
        for (i, p) in a.parties.iter().enumerate() {
            out.push(stmt(
                    "INSERT INTO agreement_parties (agreement, jurisdiction, seq, signatory_zh, signatory_en, signed_on) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                    vec![
                        a.key.clone().into(),
                        p.jurisdiction.to_string().into(),
                        seq(i),
                        p.signatory.zh.clone().into(),
                        p.signatory.en.clone().into(),
                        opt_text(p.signed_on),
                    ],
                ));
        }
        for s in &a.signatures {
            out.push(stmt(
                "INSERT INTO agreement_signatures (agreement, jurisdiction, text_hash, key_id, signature, \
                 signed_by, signed_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                vec![
                    a.key.clone().into(),
                    s.jurisdiction.to_string().into(),
                    s.text_hash.clone().into(),
                    s.key_id.clone().into(),
                    s.signature.clone().into(),
                    s.signed_by.clone().into(),
                    s.signed_at.clone().into(),
                ],
            ));
        }
    }

    let matters = diff(
        &mut diffs,
        "matters",
        &stored.matters,
        &incoming.matters,
        |m| m.key.clone(),
    );
    for m in referenced_first(
        matters,
        &incoming.matters,
        |m| &m.key,
        |m| m.carried_from.as_deref(),
    ) {
        let key: Arg = m.key.clone().into();
        out.push(stmt(
                "INSERT INTO matters (key, plan, area, title_zh, title_en, objective_zh, objective_en, start_date, \
                 due_date, source, body, published, carried_from) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
                 ON CONFLICT (key) DO UPDATE SET \
                 plan = excluded.plan, area = excluded.area, title_zh = excluded.title_zh, \
                 title_en = excluded.title_en, objective_zh = excluded.objective_zh, \
                 objective_en = excluded.objective_en, start_date = excluded.start_date, \
                 due_date = excluded.due_date, source = excluded.source, body = excluded.body, \
                 published = excluded.published, carried_from = excluded.carried_from",
                rows::matter(m),
            ));
        for table in [
            "DELETE FROM matter_members WHERE matter = $1",
            "DELETE FROM milestones WHERE matter = $1",
            "DELETE FROM matter_indicators WHERE matter = $1",
            "DELETE FROM matter_agreements WHERE matter = $1",
        ] {
            out.push(stmt(table, vec![key.clone()]));
        }
        for args in rows::matter_members(m) {
            out.push(stmt(
                "INSERT INTO matter_members (matter, jurisdiction, role, seq) VALUES ($1, $2, $3, $4)",
                args,
            ));
        }
        for (i, ms) in m.milestones.iter().enumerate() {
            out.push(stmt(
                "INSERT INTO milestones (matter, seq, title_zh, title_en, due_date, done_on) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                rows::milestone(&m.key, i, ms),
            ));
        }
        for indicator in &m.indicators {
            out.push(stmt(
                "INSERT INTO matter_indicators (matter, indicator) VALUES ($1, $2)",
                vec![key.clone(), indicator.clone().into()],
            ));
        }
        for agreement in &m.agreements {
            out.push(stmt(
                "INSERT INTO matter_agreements (matter, agreement) VALUES ($1, $2)",
                vec![key.clone(), agreement.clone().into()],
            ));
        }
    }

    let tasks = diff(&mut diffs, "tasks", &stored.tasks, &incoming.tasks, |t| {
        t.key.clone()
    });
    for t in referenced_first(tasks, &incoming.tasks, |t| &t.key, |t| t.parent.as_deref()) {
        out.push(stmt(
                "INSERT INTO tasks (key, matter, jurisdiction, unit_zh, unit_en, title_zh, title_en, start_date, \
                 due_date, source, parent) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
                 ON CONFLICT (key) DO UPDATE SET \
                 matter = excluded.matter, jurisdiction = excluded.jurisdiction, unit_zh = excluded.unit_zh, \
                 unit_en = excluded.unit_en, title_zh = excluded.title_zh, title_en = excluded.title_en, \
                 start_date = excluded.start_date, due_date = excluded.due_date, source = excluded.source, \
                 parent = excluded.parent, version = tasks.version + 1",
                rows::task(t),
            ));
    }

    // A report moved between tasks changes its old task's progress too.
    let stored_task_of: HashMap<&str, &str> = stored
        .reports
        .iter()
        .map(|r| (r.key.as_str(), r.task.as_str()))
        .collect();
    let mut refreshed_tasks = BTreeSet::new();
    for r in diff(
        &mut diffs,
        "reports",
        &stored.reports,
        &incoming.reports,
        |r| r.key.clone(),
    ) {
        refreshed_tasks.insert(r.task.clone());
        if let Some(old_task) = stored_task_of.get(r.key.as_str()) {
            refreshed_tasks.insert((*old_task).to_owned());
        }
        out.push(stmt(
                "INSERT INTO reports (key, task, as_of, percent, state, narrative_zh, narrative_en, evidence, source, \
                 return_reason_zh, return_reason_en) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
                 ON CONFLICT (key) DO UPDATE SET task = excluded.task, \
                 as_of = excluded.as_of, percent = excluded.percent, state = excluded.state, \
                 narrative_zh = excluded.narrative_zh, narrative_en = excluded.narrative_en, \
                 evidence = excluded.evidence, source = excluded.source, \
                 return_reason_zh = excluded.return_reason_zh, return_reason_en = excluded.return_reason_en",
                rows::report(r),
            ));
    }
    for task in refreshed_tasks {
        out.push(stmt(REFRESH_TASK_PROGRESS, vec![task.into()]));
    }

    for p in diff(
        &mut diffs,
        "problems",
        &stored.problems,
        &incoming.problems,
        |p| p.key.clone(),
    ) {
        out.push(stmt(
                "INSERT INTO problems (key, matter, task, title_zh, title_en, tier, raised_on, due_date, resolved_on, \
                 resolution_zh, resolution_en, source, description_zh, description_en, escalated_on, resolved_tier) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) \
                 ON CONFLICT (key) DO UPDATE SET matter = excluded.matter, task = excluded.task, \
                 title_zh = excluded.title_zh, title_en = excluded.title_en, tier = excluded.tier, \
                 raised_on = excluded.raised_on, due_date = excluded.due_date, resolved_on = excluded.resolved_on, \
                 resolution_zh = excluded.resolution_zh, resolution_en = excluded.resolution_en, \
                 source = excluded.source, description_zh = excluded.description_zh, \
                 description_en = excluded.description_en, escalated_on = excluded.escalated_on, \
                 resolved_tier = excluded.resolved_tier, version = problems.version + 1",
                rows::problem(p),
            ));
    }

    for o in diff(
        &mut diffs,
        "observations",
        &stored.observations,
        &incoming.observations,
        |o| o.key.clone(),
    ) {
        out.push(stmt(
                "INSERT INTO observations (key, indicator, obs_date, value_number, value_class, jurisdiction, site, \
                 qualifier, note_zh, note_en, source) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
                 ON CONFLICT (key) DO UPDATE SET indicator = excluded.indicator, obs_date = excluded.obs_date, \
                 value_number = excluded.value_number, value_class = excluded.value_class, \
                 jurisdiction = excluded.jurisdiction, site = excluded.site, qualifier = excluded.qualifier, \
                 note_zh = excluded.note_zh, note_en = excluded.note_en, source = excluded.source",
                rows::observation(o),
            ));
    }

    (diffs, out)
}

/// The assignments that set a task's latest reported figures (any report not returned), for
/// both refresh statements below.
macro_rules! set_reported_figures {
    () => {
        "reported_percent = (SELECT r.percent FROM reports r WHERE r.task = tasks.key AND r.state <> 'returned' \
            ORDER BY r.as_of DESC, r.key DESC LIMIT 1), \
         reported_as_of = (SELECT r.as_of FROM reports r WHERE r.task = tasks.key AND r.state <> 'returned' \
            ORDER BY r.as_of DESC, r.key DESC LIMIT 1)"
    };
}

/// Recomputes a task's latest reported (any report not returned) and latest verified progress.
pub(crate) const REFRESH_TASK_PROGRESS: &str = concat!(
    "UPDATE tasks SET ",
    set_reported_figures!(),
    ", verified_percent = (SELECT r.percent FROM reports r WHERE r.task = tasks.key AND r.state = 'verified' \
        ORDER BY r.as_of DESC, r.key DESC LIMIT 1), \
     verified_as_of = (SELECT r.as_of FROM reports r WHERE r.task = tasks.key AND r.state = 'verified' \
        ORDER BY r.as_of DESC, r.key DESC LIMIT 1) \
     WHERE key = $1"
);

/// [`REFRESH_TASK_PROGRESS`] for a task that has just been given a submitted report: only its
/// reported figures can change. Its verified ones cannot, and finding them can mean walking
/// back over every report submitted since the last verification.
pub(crate) const REFRESH_REPORTED_PROGRESS: &str = concat!(
    "UPDATE tasks SET ",
    set_reported_figures!(),
    " WHERE key = $1"
);

/// Orders changed records so that a record another refers to (a plan's parent, the decision a
/// decision supersedes, the matter a matter carries over, a sub-task's task) is written before
/// it, so every foreign key points at a row already written.
fn referenced_first<'a, T>(
    mut changed: Vec<&'a T>,
    all: &[T],
    key: impl Fn(&T) -> &str,
    reference: impl Fn(&T) -> Option<&str>,
) -> Vec<&'a T> {
    let referenced: HashMap<&str, &str> = all
        .iter()
        .filter_map(|r| Some((key(r), reference(r)?)))
        .collect();
    let depth = |start: &str| {
        let mut current = start;
        let mut depth = 0;
        // Bounded by the number of records, so a cycle (rejected by validation) cannot hang.
        while let Some(next) = referenced.get(current) {
            depth += 1;
            current = next;
            if depth > all.len() {
                break;
            }
        }
        depth
    };
    changed.sort_by_cached_key(|r| (depth(key(r)), key(r).to_owned()));
    changed
}
