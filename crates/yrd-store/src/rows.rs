//! How each record kind is laid out in its table: the columns written when a record is stored
//! and the values of one record in that order. Import (one upsert per record) and bulk loading
//! (multi-row inserts) both write through these, so the two cannot disagree on a column.

use yrd_domain::*;

use crate::codec::{enum_name, json};
use crate::exec::Arg;

fn opt_text<T: ToString>(v: Option<T>) -> Arg {
    Arg::Text(v.map(|v| v.to_string()))
}

/// A 1-based position in a list.
pub(crate) fn seq(i: usize) -> Arg {
    Arg::Int(Some(i as i64 + 1))
}

pub(crate) const PLAN_COLUMNS: &str = "key, kind, title_zh, title_en, parent, period_start, period_end, stage, \
     adopted_on, issued_on, issuer_zh, issuer_en, summary_zh, summary_en, source, published";

pub(crate) fn plan(p: &Plan) -> Vec<Arg> {
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
    ]
}

pub(crate) const AREA_COLUMNS: &str = "plan, key, seq, name_zh, name_en, stated_task_count";

pub(crate) fn area(plan: &str, i: usize, a: &Area) -> Vec<Arg> {
    vec![
        plan.into(),
        a.key.clone().into(),
        seq(i),
        a.name.zh.clone().into(),
        a.name.en.clone().into(),
        a.stated_task_count.map(i64::from).into(),
    ]
}

pub(crate) const MEETING_COLUMNS: &str = "key, body, title_zh, title_en, start_date, end_date, host, theme_zh, theme_en, \
     attendees, agenda, outcomes, source, state, host_reason_zh, host_reason_en, documents, closed_on";

pub(crate) fn meeting(m: &Meeting) -> Vec<Arg> {
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
        enum_name(&m.state).into(),
        m.host_reason.zh.clone().into(),
        m.host_reason.en.clone().into(),
        json(&m.documents).into(),
        m.closed_on.into(),
    ]
}

pub(crate) const DECISION_COLUMNS: &str = "key, meeting, seq, title_zh, title_en, subject_kind, subject_plan, \
     subject_host, source, outcome, supersedes";

pub(crate) fn decision(d: &Decision) -> Vec<Arg> {
    let (kind, plan, host) = match &d.subject {
        DecisionSubject::AdoptPlan { plan } => ("adopt_plan", Some(plan.clone()), None),
        DecisionSubject::NextHost { host } => ("next_host", None, Some(host.to_string())),
        DecisionSubject::Other => ("other", None, None),
    };
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
        d.outcome.as_ref().map(enum_name).into(),
        d.supersedes.clone().into(),
    ]
}

pub(crate) const POSITION_COLUMNS: &str =
    "decision, jurisdiction, seq, stance, comment_zh, comment_en";

pub(crate) fn position(decision: &str, i: usize, p: &Position) -> Vec<Arg> {
    vec![
        decision.into(),
        p.jurisdiction.to_string().into(),
        seq(i),
        enum_name(&p.stance).into(),
        p.comment.zh.clone().into(),
        p.comment.en.clone().into(),
    ]
}

pub(crate) const INDICATOR_COLUMNS: &str = "key, name_zh, name_en, description_zh, description_en, unit_zh, unit_en, \
     classes, direction, scope_kind, scope_id, baseline, targets, source";

pub(crate) fn indicator(i: &Indicator) -> Vec<Arg> {
    let (scope_kind, scope_id) = match &i.scope {
        Scope::Jurisdiction(c) => ("jurisdiction", c.to_string()),
        Scope::Zone(z) => ("zone", z.clone()),
        Scope::Site(s) => ("site", s.clone()),
    };
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
    ]
}

pub(crate) const MATTER_COLUMNS: &str = "key, plan, area, title_zh, title_en, objective_zh, objective_en, start_date, \
     due_date, source, body, published, carried_from";

pub(crate) fn matter(m: &Matter) -> Vec<Arg> {
    vec![
        m.key.clone().into(),
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
        m.carried_from.clone().into(),
    ]
}

pub(crate) const MATTER_MEMBER_COLUMNS: &str = "matter, jurisdiction, role, seq";

/// The matter's members, leads first, each with its role.
pub(crate) fn matter_members(m: &Matter) -> Vec<Vec<Arg>> {
    m.leads
        .iter()
        .map(|c| (c, "lead"))
        .chain(m.participants.iter().map(|c| (c, "participant")))
        .enumerate()
        .map(|(i, (code, role))| {
            vec![
                m.key.clone().into(),
                code.to_string().into(),
                role.into(),
                seq(i),
            ]
        })
        .collect()
}

pub(crate) const MILESTONE_COLUMNS: &str = "matter, seq, title_zh, title_en, due_date, done_on";

pub(crate) fn milestone(matter: &str, i: usize, ms: &Milestone) -> Vec<Arg> {
    vec![
        matter.into(),
        seq(i),
        ms.title.zh.clone().into(),
        ms.title.en.clone().into(),
        ms.due.into(),
        ms.done_on.into(),
    ]
}

pub(crate) const TASK_COLUMNS: &str = "key, matter, jurisdiction, unit_zh, unit_en, title_zh, title_en, start_date, \
     due_date, source, parent";

pub(crate) fn task(t: &Task) -> Vec<Arg> {
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
        t.parent.clone().into(),
    ]
}

pub(crate) const REPORT_COLUMNS: &str = "key, task, as_of, percent, state, narrative_zh, narrative_en, evidence, source, \
     return_reason_zh, return_reason_en";

pub(crate) fn report(r: &ProgressReport) -> Vec<Arg> {
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
        r.return_reason.zh.clone().into(),
        r.return_reason.en.clone().into(),
    ]
}

pub(crate) const PROBLEM_COLUMNS: &str = "key, matter, task, title_zh, title_en, tier, raised_on, due_date, resolved_on, \
     resolution_zh, resolution_en, source, description_zh, description_en, escalated_on, resolved_tier";

pub(crate) fn problem(p: &Problem) -> Vec<Arg> {
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
        p.description.zh.clone().into(),
        p.description.en.clone().into(),
        p.escalated_on.into(),
        p.resolved_tier.as_ref().map(enum_name).into(),
    ]
}

pub(crate) const OBSERVATION_COLUMNS: &str = "key, indicator, obs_date, value_number, value_class, jurisdiction, site, \
     qualifier, note_zh, note_en, source";

pub(crate) fn observation(o: &Observation) -> Vec<Arg> {
    let (number, class) = match &o.value {
        Value::Number(n) => (Some(*n), None),
        Value::Class(c) => (None, Some(c.clone())),
    };
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
    ]
}
