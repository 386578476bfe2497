//! Importing a dataset: compare it with what is stored, then write only what differs, in one
//! transaction. Importing the same dataset twice therefore changes nothing the second time,
//! and a failure part-way (a constraint the validator did not foresee) leaves the database
//! exactly as it was.
//!
//! Import adds and updates; it never deletes a stored record that the dataset lacks, because
//! a dataset directory may hold only part of what a deployment has recorded since.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;
use yrd_domain::*;

use crate::codec::{enum_name, json};
use crate::exec::{Arg, Stmt};
use crate::journal::{Author, Change, JournalTx};
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

fn seq(i: usize) -> Arg {
    Arg::Int(Some(i as i64 + 1))
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
    for p in parents_first(plans, &incoming.plans) {
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
                vec![
                    p.key.clone().into(),
                    enum_name(&p.kind).into(),
                    p.title.zh.clone().into(),
                    p.title.en.clone().into(),
                    p.parent.clone().into(),
                    i64::from(p.period_start).into(),
                    i64::from(p.period_end).into(),
                    enum_name(&p.stage).into(),
                    opt_text(p.adopted_on),
                    opt_text(p.issued_on),
                    p.issuer.zh.clone().into(),
                    p.issuer.en.clone().into(),
                    p.summary.zh.clone().into(),
                    p.summary.en.clone().into(),
                    p.source.clone().into(),
                    p.published.into(),
                ],
            ));
        // Areas are upserted rather than replaced: matters reference them.
        for (i, a) in p.areas.iter().enumerate() {
            out.push(stmt(
                    "INSERT INTO plan_areas (plan, key, seq, name_zh, name_en, stated_task_count) \
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (plan, key) DO UPDATE SET seq = excluded.seq, \
                     name_zh = excluded.name_zh, name_en = excluded.name_en, \
                     stated_task_count = excluded.stated_task_count",
                    vec![
                        p.key.clone().into(),
                        a.key.clone().into(),
                        seq(i),
                        a.name.zh.clone().into(),
                        a.name.en.clone().into(),
                        a.stated_task_count.map(i64::from).into(),
                    ],
                ));
        }
    }

    for m in diff(
        &mut diffs,
        "meetings",
        &stored.meetings,
        &incoming.meetings,
        |m| m.key.clone(),
    ) {
        out.push(stmt(
                "INSERT INTO meetings (key, body, title_zh, title_en, start_date, end_date, host, theme_zh, theme_en, \
                 attendees, agenda, outcomes, source) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
                 ON CONFLICT (key) DO UPDATE SET body = excluded.body, title_zh = excluded.title_zh, \
                 title_en = excluded.title_en, start_date = excluded.start_date, end_date = excluded.end_date, \
                 host = excluded.host, theme_zh = excluded.theme_zh, theme_en = excluded.theme_en, \
                 attendees = excluded.attendees, agenda = excluded.agenda, outcomes = excluded.outcomes, \
                 source = excluded.source",
                vec![
                    m.key.clone().into(),
                    m.body.clone().into(),
                    m.title.zh.clone().into(),
                    m.title.en.clone().into(),
                    m.start.to_string().into(),
                    opt_text(m.end),
                    opt_text(m.host),
                    m.theme.zh.clone().into(),
                    m.theme.en.clone().into(),
                    json(&m.attendees).into(),
                    json(&m.agenda).into(),
                    json(&m.outcomes).into(),
                    m.source.clone().into(),
                ],
            ));
    }

    for d in diff(
        &mut diffs,
        "decisions",
        &stored.decisions,
        &incoming.decisions,
        |d| d.key.clone(),
    ) {
        let (kind, plan, host) = match &d.subject {
            DecisionSubject::AdoptPlan { plan } => ("adopt_plan", Some(plan.clone()), None),
            DecisionSubject::NextHost { host } => ("next_host", None, Some(host.to_string())),
            DecisionSubject::Other => ("other", None, None),
        };
        out.push(stmt(
                "INSERT INTO decisions (key, meeting, seq, title_zh, title_en, subject_kind, subject_plan, \
                 subject_host, source) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (key) DO UPDATE SET \
                 meeting = excluded.meeting, seq = excluded.seq, title_zh = excluded.title_zh, \
                 title_en = excluded.title_en, subject_kind = excluded.subject_kind, \
                 subject_plan = excluded.subject_plan, subject_host = excluded.subject_host, source = excluded.source",
                vec![
                    d.key.clone().into(),
                    d.meeting.clone().into(),
                    i64::from(d.seq).into(),
                    d.title.zh.clone().into(),
                    d.title.en.clone().into(),
                    kind.into(),
                    plan.into(),
                    host.into(),
                    d.source.clone().into(),
                ],
            ));
        out.push(stmt(
            "DELETE FROM positions WHERE decision = $1",
            vec![d.key.clone().into()],
        ));
        for (i, p) in d.positions.iter().enumerate() {
            out.push(stmt(
                    "INSERT INTO positions (decision, jurisdiction, seq, stance, comment_zh, comment_en) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                    vec![
                        d.key.clone().into(),
                        p.jurisdiction.to_string().into(),
                        seq(i),
                        enum_name(&p.stance).into(),
                        p.comment.zh.clone().into(),
                        p.comment.en.clone().into(),
                    ],
                ));
        }
    }

    for i in diff(
        &mut diffs,
        "indicators",
        &stored.indicators,
        &incoming.indicators,
        |i| i.key.clone(),
    ) {
        let (scope_kind, scope_id) = match &i.scope {
            Scope::Jurisdiction(c) => ("jurisdiction", c.to_string()),
            Scope::Zone(z) => ("zone", z.clone()),
            Scope::Site(s) => ("site", s.clone()),
        };
        out.push(stmt(
                "INSERT INTO indicators (key, name_zh, name_en, description_zh, description_en, unit_zh, unit_en, \
                 classes, direction, scope_kind, scope_id, baseline, targets, source) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) ON CONFLICT (key) DO UPDATE SET \
                 name_zh = excluded.name_zh, name_en = excluded.name_en, description_zh = excluded.description_zh, \
                 description_en = excluded.description_en, unit_zh = excluded.unit_zh, unit_en = excluded.unit_en, \
                 classes = excluded.classes, direction = excluded.direction, scope_kind = excluded.scope_kind, \
                 scope_id = excluded.scope_id, baseline = excluded.baseline, targets = excluded.targets, \
                 source = excluded.source",
                vec![
                    i.key.clone().into(),
                    i.name.zh.clone().into(),
                    i.name.en.clone().into(),
                    i.description.zh.clone().into(),
                    i.description.en.clone().into(),
                    i.unit.zh.clone().into(),
                    i.unit.en.clone().into(),
                    json(&i.classes).into(),
                    enum_name(&i.direction).into(),
                    scope_kind.into(),
                    scope_id.into(),
                    i.baseline.as_ref().map(json).into(),
                    json(&i.targets).into(),
                    i.source.clone().into(),
                ],
            ));
    }

    for a in diff(
        &mut diffs,
        "agreements",
        &stored.agreements,
        &incoming.agreements,
        |a| a.key.clone(),
    ) {
        out.push(stmt(
                "INSERT INTO agreements (key, title_zh, title_en, summary_zh, summary_en, meeting, signed_on, \
                 in_force_on, source) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (key) DO UPDATE SET \
                 title_zh = excluded.title_zh, title_en = excluded.title_en, summary_zh = excluded.summary_zh, \
                 summary_en = excluded.summary_en, meeting = excluded.meeting, signed_on = excluded.signed_on, \
                 in_force_on = excluded.in_force_on, source = excluded.source",
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
                ],
            ));
        out.push(stmt(
            "DELETE FROM agreement_parties WHERE agreement = $1",
            vec![a.key.clone().into()],
        ));
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
    }

    for m in diff(
        &mut diffs,
        "matters",
        &stored.matters,
        &incoming.matters,
        |m| m.key.clone(),
    ) {
        let key: Arg = m.key.clone().into();
        out.push(stmt(
                "INSERT INTO matters (key, plan, area, title_zh, title_en, objective_zh, objective_en, start_date, \
                 due_date, source, body, published) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
                 ON CONFLICT (key) DO UPDATE SET \
                 plan = excluded.plan, area = excluded.area, title_zh = excluded.title_zh, \
                 title_en = excluded.title_en, objective_zh = excluded.objective_zh, \
                 objective_en = excluded.objective_en, start_date = excluded.start_date, \
                 due_date = excluded.due_date, source = excluded.source, body = excluded.body, \
                 published = excluded.published",
                vec![
                    key.clone(),
                    m.plan.clone().into(),
                    m.area.clone().into(),
                    m.title.zh.clone().into(),
                    m.title.en.clone().into(),
                    m.objective.zh.clone().into(),
                    m.objective.en.clone().into(),
                    m.start.into(),
                    m.due.into(),
                    m.source.clone().into(),
                    m.body.clone().into(),
                    m.published.into(),
                ],
            ));
        for table in [
            "DELETE FROM matter_members WHERE matter = $1",
            "DELETE FROM milestones WHERE matter = $1",
            "DELETE FROM matter_indicators WHERE matter = $1",
            "DELETE FROM matter_agreements WHERE matter = $1",
        ] {
            out.push(stmt(table, vec![key.clone()]));
        }
        let members = m
            .leads
            .iter()
            .map(|c| (c, "lead"))
            .chain(m.participants.iter().map(|c| (c, "participant")));
        for (i, (code, role)) in members.enumerate() {
            out.push(stmt(
                    "INSERT INTO matter_members (matter, jurisdiction, role, seq) VALUES ($1, $2, $3, $4)",
                    vec![key.clone(), code.to_string().into(), role.into(), seq(i)],
                ));
        }
        for (i, ms) in m.milestones.iter().enumerate() {
            out.push(stmt(
                "INSERT INTO milestones (matter, seq, title_zh, title_en, due_date, done_on) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                vec![
                    key.clone(),
                    seq(i),
                    ms.title.zh.clone().into(),
                    ms.title.en.clone().into(),
                    ms.due.into(),
                    ms.done_on.into(),
                ],
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

    for t in diff(&mut diffs, "tasks", &stored.tasks, &incoming.tasks, |t| {
        t.key.clone()
    }) {
        out.push(stmt(
                "INSERT INTO tasks (key, matter, jurisdiction, unit_zh, unit_en, title_zh, title_en, start_date, \
                 due_date, source) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (key) DO UPDATE SET \
                 matter = excluded.matter, jurisdiction = excluded.jurisdiction, unit_zh = excluded.unit_zh, \
                 unit_en = excluded.unit_en, title_zh = excluded.title_zh, title_en = excluded.title_en, \
                 start_date = excluded.start_date, due_date = excluded.due_date, source = excluded.source",
                vec![
                    t.key.clone().into(),
                    t.matter.clone().into(),
                    t.jurisdiction.to_string().into(),
                    t.unit.zh.clone().into(),
                    t.unit.en.clone().into(),
                    t.title.zh.clone().into(),
                    t.title.en.clone().into(),
                    t.start.into(),
                    t.due.into(),
                    t.source.clone().into(),
                ],
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
                "INSERT INTO reports (key, task, as_of, percent, state, narrative_zh, narrative_en, evidence, source) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (key) DO UPDATE SET task = excluded.task, \
                 as_of = excluded.as_of, percent = excluded.percent, state = excluded.state, \
                 narrative_zh = excluded.narrative_zh, narrative_en = excluded.narrative_en, \
                 evidence = excluded.evidence, source = excluded.source",
                vec![
                    r.key.clone().into(),
                    r.task.clone().into(),
                    r.as_of.into(),
                    i64::from(r.percent).into(),
                    enum_name(&r.state).into(),
                    r.narrative.zh.clone().into(),
                    r.narrative.en.clone().into(),
                    json(&r.evidence).into(),
                    r.source.clone().into(),
                ],
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
                 resolution_zh, resolution_en, source) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
                 ON CONFLICT (key) DO UPDATE SET matter = excluded.matter, task = excluded.task, \
                 title_zh = excluded.title_zh, title_en = excluded.title_en, tier = excluded.tier, \
                 raised_on = excluded.raised_on, due_date = excluded.due_date, resolved_on = excluded.resolved_on, \
                 resolution_zh = excluded.resolution_zh, resolution_en = excluded.resolution_en, \
                 source = excluded.source",
                vec![
                    p.key.clone().into(),
                    p.matter.clone().into(),
                    p.task.clone().into(),
                    p.title.zh.clone().into(),
                    p.title.en.clone().into(),
                    enum_name(&p.tier).into(),
                    p.raised_on.into(),
                    p.due.into(),
                    p.resolved_on.into(),
                    p.resolution.zh.clone().into(),
                    p.resolution.en.clone().into(),
                    p.source.clone().into(),
                ],
            ));
    }

    for o in diff(
        &mut diffs,
        "observations",
        &stored.observations,
        &incoming.observations,
        |o| o.key.clone(),
    ) {
        let (number, class) = match &o.value {
            Value::Number(n) => (Some(*n), None),
            Value::Class(c) => (None, Some(c.clone())),
        };
        out.push(stmt(
                "INSERT INTO observations (key, indicator, obs_date, value_number, value_class, jurisdiction, site, \
                 qualifier, note_zh, note_en, source) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
                 ON CONFLICT (key) DO UPDATE SET indicator = excluded.indicator, obs_date = excluded.obs_date, \
                 value_number = excluded.value_number, value_class = excluded.value_class, \
                 jurisdiction = excluded.jurisdiction, site = excluded.site, qualifier = excluded.qualifier, \
                 note_zh = excluded.note_zh, note_en = excluded.note_en, source = excluded.source",
                vec![
                    o.key.clone().into(),
                    o.indicator.clone().into(),
                    o.date.to_string().into(),
                    number.into(),
                    class.into(),
                    opt_text(o.jurisdiction),
                    o.site.clone().into(),
                    enum_name(&o.qualifier).into(),
                    o.note.zh.clone().into(),
                    o.note.en.clone().into(),
                    o.source.clone().into(),
                ],
            ));
    }

    (diffs, out)
}

/// Recomputes a task's latest reported (any report not returned) and latest verified progress.
pub(crate) const REFRESH_TASK_PROGRESS: &str = "UPDATE tasks SET \
    reported_percent = (SELECT r.percent FROM reports r WHERE r.task = tasks.key AND r.state <> 'returned' \
        ORDER BY r.as_of DESC, r.key DESC LIMIT 1), \
    reported_as_of = (SELECT r.as_of FROM reports r WHERE r.task = tasks.key AND r.state <> 'returned' \
        ORDER BY r.as_of DESC, r.key DESC LIMIT 1), \
    verified_percent = (SELECT r.percent FROM reports r WHERE r.task = tasks.key AND r.state = 'verified' \
        ORDER BY r.as_of DESC, r.key DESC LIMIT 1), \
    verified_as_of = (SELECT r.as_of FROM reports r WHERE r.task = tasks.key AND r.state = 'verified' \
        ORDER BY r.as_of DESC, r.key DESC LIMIT 1) \
    WHERE key = $1";

/// Orders changed plans so that a plan's parent is written before it.
fn parents_first<'a>(mut changed: Vec<&'a Plan>, all: &[Plan]) -> Vec<&'a Plan> {
    let parent_of: HashMap<&str, &str> = all
        .iter()
        .filter_map(|p| Some((p.key.as_str(), p.parent.as_deref()?)))
        .collect();
    let depth = |key: &str| {
        let mut key = key;
        let mut depth = 0;
        // Bounded by the number of plans, so a cycle (rejected by validation) cannot hang.
        while let Some(parent) = parent_of.get(key) {
            depth += 1;
            key = parent;
            if depth > all.len() {
                break;
            }
        }
        depth
    };
    changed.sort_by_key(|p| (depth(&p.key), p.key.clone()));
    changed
}
