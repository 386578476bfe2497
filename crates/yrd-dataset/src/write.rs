//! Writing a dataset directory in the format of `data/FORMAT.md`.
//!
//! Output is deterministic (records in canonical order, keys in the order FORMAT.md lists
//! them, one spelling for each value) so that an export can be diffed and reviewed. TOML is
//! written by hand rather than through a serializer, to keep the layout people edit: texts as
//! inline tables, nested records as arrays of tables, absent optionals left out.

use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::Serialize;
use yrd_domain::{
    AdminCode, AgreementState, Dataset, DecisionSubject, MeetingState, PartialDate, Scope, Target,
    Text, Value,
};

use crate::read::records::{
    JURISDICTION_COLUMNS, MEMBER_KEY_COLUMNS, OBSERVATION_COLUMNS, PROBLEM_COLUMNS, REPORT_COLUMNS,
    SEAT_COLUMNS, TASK_COLUMNS,
};
use crate::{canonicalize, validate};

/// Writes `dataset` into `dir` (created if needed), one file per kind, every file even when
/// it has no records so that stale files from an earlier export are replaced.
///
/// The dataset is validated first; an invalid one is refused with an `InvalidData` error
/// carrying the [`crate::DatasetErrors`], and nothing is written. Each file is written to a
/// hidden temporary name and renamed into place only once all are written, so a failure
/// midway leaves the previous files, not half-written ones.
pub fn write_dir(dataset: &Dataset, dir: &Path) -> io::Result<()> {
    validate(dataset).map_err(|errors| io::Error::new(io::ErrorKind::InvalidData, errors))?;
    let mut ds = dataset.clone();
    canonicalize(&mut ds);
    let files: [(&str, Vec<u8>); 14] = [
        ("jurisdictions.csv", jurisdictions(&ds)?),
        ("zones.toml", zones(&ds)),
        ("bodies.toml", bodies(&ds)),
        ("seats.csv", seats(&ds)?),
        ("meetings.toml", meetings(&ds)),
        ("plans.toml", plans(&ds)),
        ("matters.toml", matters(&ds)),
        ("tasks.csv", tasks(&ds)?),
        ("reports.csv", reports(&ds)?),
        ("problems.csv", problems(&ds)?),
        ("agreements.toml", agreements(&ds)),
        ("member_keys.csv", member_keys(&ds)?),
        ("indicators.toml", indicators(&ds)),
        ("observations.csv", observations(&ds)?),
    ];
    fs::create_dir_all(dir)?;
    let mut written: Vec<(PathBuf, PathBuf)> = Vec::with_capacity(files.len());
    for (name, bytes) in &files {
        let temporary = dir.join(format!(".{name}.tmp"));
        if let Err(e) = fs::write(&temporary, bytes) {
            let _ = fs::remove_file(&temporary);
            for (temporary, _) in &written {
                let _ = fs::remove_file(temporary);
            }
            return Err(e);
        }
        written.push((temporary, dir.join(name)));
    }
    for (temporary, path) in &written {
        fs::rename(temporary, path)?;
    }
    Ok(())
}

/// A TOML string: a basic string on one line, escaping what TOML requires.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A number as both TOML and CSV read it back exactly: whole numbers without a fraction
/// (`4150`), others in Rust's shortest round-trip form (`0.1`, `1e300`).
fn number(n: f64) -> String {
    // Beyond 2^53 not every integer is a float, and TOML integers stop at 2^63.
    if n.fract() == 0.0 && n.abs() < 9_007_199_254_740_992.0 {
        format!("{}", n as i64)
    } else {
        format!("{n:?}")
    }
}

/// The snake_case name of an enum value, as the domain's serde derive spells it.
fn name<T: Serialize>(value: &T) -> String {
    match toml::Value::try_from(value) {
        Ok(toml::Value::String(s)) => s,
        _ => String::new(),
    }
}

fn text(t: &Text) -> String {
    format!("{{ zh = {}, en = {} }}", quote(&t.zh), quote(&t.en))
}

fn date(d: time::Date) -> String {
    PartialDate::Day(d).to_string()
}

fn value(v: &Value) -> String {
    match v {
        Value::Number(n) => number(*n),
        Value::Class(class) => class.clone(),
    }
}

fn toml_value(v: &Value) -> String {
    match v {
        Value::Number(n) => number(*n),
        Value::Class(class) => quote(class),
    }
}

fn codes(codes: &[AdminCode]) -> Vec<String> {
    codes.iter().map(|c| quote(&c.to_string())).collect()
}

fn keys(keys: &[String]) -> Vec<String> {
    keys.iter().map(|k| quote(k)).collect()
}

/// The width that arrays of short items are filled to.
const WIDTH: usize = 100;

/// A TOML file being written: records as `[[table]]`s separated by blank lines.
#[derive(Default)]
struct Toml {
    out: String,
}

impl Toml {
    fn table(&mut self, name: &str) {
        if !self.out.is_empty() {
            self.out.push('\n');
        }
        let _ = writeln!(self.out, "[[{name}]]");
    }

    fn raw(&mut self, key: &str, repr: &str) {
        let _ = writeln!(self.out, "{key} = {repr}");
    }

    fn str(&mut self, key: &str, value: &str) {
        self.raw(key, &quote(value));
    }

    fn opt_str(&mut self, key: &str, value: Option<&str>) {
        if let Some(value) = value {
            self.str(key, value);
        }
    }

    fn opt_display(&mut self, key: &str, value: Option<impl ToString>) {
        if let Some(value) = value {
            self.str(key, &value.to_string());
        }
    }

    fn text(&mut self, key: &str, value: &Text) {
        self.raw(key, &text(value));
    }

    /// An optional text: left out when both languages are empty.
    fn opt_text(&mut self, key: &str, value: &Text) {
        if !(value.zh.is_empty() && value.en.is_empty()) {
            self.text(key, value);
        }
    }

    /// An array of short items (codes, keys): on one line when it fits, else filled into
    /// indented lines, as a person would lay out a long list of codes.
    fn list(&mut self, key: &str, items: &[String]) {
        let line = format!("[{}]", items.join(", "));
        if key.len() + line.len() + 3 <= WIDTH {
            self.raw(key, &line);
            return;
        }
        let _ = write!(self.out, "{key} = [");
        let mut column = WIDTH;
        for item in items {
            if column + item.len() + 2 > WIDTH {
                self.out.push_str("\n ");
                column = 1;
            }
            let _ = write!(self.out, " {item},");
            column += item.len() + 2;
        }
        self.out.push_str("\n]\n");
    }

    fn opt_list(&mut self, key: &str, items: &[String]) {
        if !items.is_empty() {
            self.list(key, items);
        }
    }

    /// An array with one item per line (texts and inline tables read better so).
    fn lines(&mut self, key: &str, items: &[String]) {
        if items.is_empty() {
            self.raw(key, "[]");
            return;
        }
        let _ = writeln!(self.out, "{key} = [");
        for item in items {
            let _ = writeln!(self.out, "  {item},");
        }
        self.out.push_str("]\n");
    }

    fn into_bytes(self) -> Vec<u8> {
        self.out.into_bytes()
    }
}

fn csv_file(columns: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> io::Result<Vec<u8>> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(columns)?;
    for row in rows {
        writer.write_record(&row)?;
    }
    writer.into_inner().map_err(|e| e.into_error())
}

fn opt_string(value: Option<impl ToString>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

fn jurisdictions(ds: &Dataset) -> io::Result<Vec<u8>> {
    csv_file(
        JURISDICTION_COLUMNS,
        ds.jurisdictions.iter().map(|j| {
            vec![
                j.code.to_string(),
                opt_string(j.parent),
                j.name.zh.clone(),
                j.name.en.clone(),
                opt_string(j.centroid.map(|c| c.lat)),
                opt_string(j.centroid.map(|c| c.lon)),
                j.source.clone(),
            ]
        }),
    )
}

fn zones(ds: &Dataset) -> Vec<u8> {
    let mut t = Toml::default();
    for z in &ds.zones {
        t.table("zone");
        t.str("key", &z.key);
        t.text("name", &z.name);
        t.opt_text("description", &z.description);
        t.list("members", &codes(&z.members));
        t.str("source", &z.source);
    }
    t.into_bytes()
}

fn bodies(ds: &Dataset) -> Vec<u8> {
    let mut t = Toml::default();
    for b in &ds.bodies {
        t.table("body");
        t.str("key", &b.key);
        t.text("name", &b.name);
        t.str("tier", &name(&b.tier));
        t.opt_text("description", &b.description);
        t.list("members", &codes(&b.members));
        t.opt_list("host_rotation", &codes(&b.host_rotation));
        t.str("source", &b.source);
    }
    t.into_bytes()
}

fn seats(ds: &Dataset) -> io::Result<Vec<u8>> {
    csv_file(
        SEAT_COLUMNS,
        ds.seats.iter().map(|s| {
            vec![
                s.key.clone(),
                s.body.clone(),
                s.jurisdiction.to_string(),
                s.role.zh.clone(),
                s.role.en.clone(),
                s.holder.zh.clone(),
                s.holder.en.clone(),
                s.term_start.to_string(),
                opt_string(s.term_end),
                s.source.clone(),
            ]
        }),
    )
}

fn meetings(ds: &Dataset) -> Vec<u8> {
    let mut t = Toml::default();
    for m in &ds.meetings {
        t.table("meeting");
        t.str("key", &m.key);
        t.str("body", &m.body);
        t.text("title", &m.title);
        t.str("start", &m.start.to_string());
        t.opt_display("end", m.end);
        t.opt_display("host", m.host);
        t.opt_text("host_reason", &m.host_reason);
        t.opt_text("theme", &m.theme);
        if !m.agenda.is_empty() {
            t.lines("agenda", &m.agenda.iter().map(text).collect::<Vec<_>>());
        }
        if !m.outcomes.is_empty() {
            t.lines("outcomes", &m.outcomes.iter().map(text).collect::<Vec<_>>());
        }
        // Closed is the default an absent state stands for: the public record's meetings
        // took place. Only meetings still being prepared say so.
        if m.state != MeetingState::Closed {
            t.str("state", &name(&m.state));
        }
        t.opt_display("closed_on", m.closed_on.map(date));
        t.str("source", &m.source);
        for a in &m.attendees {
            t.table("meeting.attendees");
            t.text("name", &a.name);
            t.text("role", &a.role);
            t.opt_display("jurisdiction", a.jurisdiction);
        }
        for d in &m.documents {
            t.table("meeting.documents");
            t.text("title", &d.title);
            t.str("url", &d.url);
        }
        // Decisions are in canonical order, so a meeting's come in seq order, which is what
        // the file's order means.
        for d in ds.decisions.iter().filter(|d| d.meeting == m.key) {
            t.table("meeting.decisions");
            t.str("key", &d.key);
            t.text("title", &d.title);
            let subject = match &d.subject {
                DecisionSubject::AdoptPlan { plan } => {
                    format!("{{ kind = \"adopt_plan\", plan = {} }}", quote(plan))
                }
                DecisionSubject::NextHost { host } => {
                    format!(
                        "{{ kind = \"next_host\", host = {} }}",
                        quote(&host.to_string())
                    )
                }
                DecisionSubject::Other => "{ kind = \"other\" }".to_owned(),
            };
            t.raw("subject", &subject);
            t.opt_str("supersedes", d.supersedes.as_deref());
            if let Some(outcome) = &d.outcome {
                t.str("outcome", &name(outcome));
            }
            if d.source != m.source {
                t.str("source", &d.source);
            }
            let positions: Vec<String> = d
                .positions
                .iter()
                .map(|p| {
                    let mut item = format!(
                        "{{ jurisdiction = {}, stance = {}",
                        quote(&p.jurisdiction.to_string()),
                        quote(&name(&p.stance))
                    );
                    if !(p.comment.zh.is_empty() && p.comment.en.is_empty()) {
                        let _ = write!(item, ", comment = {}", text(&p.comment));
                    }
                    item.push_str(" }");
                    item
                })
                .collect();
            t.lines("positions", &positions);
        }
    }
    t.into_bytes()
}

fn plans(ds: &Dataset) -> Vec<u8> {
    let mut t = Toml::default();
    for p in &ds.plans {
        t.table("plan");
        t.str("key", &p.key);
        t.str("kind", &name(&p.kind));
        t.text("title", &p.title);
        t.opt_str("parent", p.parent.as_deref());
        t.raw("period", &format!("[{}, {}]", p.period_start, p.period_end));
        t.str("stage", &name(&p.stage));
        t.opt_display("adopted_on", p.adopted_on);
        t.opt_display("issued_on", p.issued_on);
        t.opt_text("issuer", &p.issuer);
        t.opt_text("summary", &p.summary);
        // Published is the default an absent key stands for; only drafts say so.
        if !p.published {
            t.raw("published", "false");
        }
        t.str("source", &p.source);
        for a in &p.areas {
            t.table("plan.areas");
            t.str("key", &a.key);
            t.text("name", &a.name);
            if let Some(count) = a.stated_task_count {
                t.raw("stated_task_count", &count.to_string());
            }
        }
    }
    t.into_bytes()
}

fn matters(ds: &Dataset) -> Vec<u8> {
    let mut t = Toml::default();
    for m in &ds.matters {
        t.table("matter");
        t.str("key", &m.key);
        t.str("plan", &m.plan);
        t.opt_str("area", m.area.as_deref());
        t.text("title", &m.title);
        t.opt_text("objective", &m.objective);
        t.list("leads", &codes(&m.leads));
        t.list("participants", &codes(&m.participants));
        t.opt_display("start", m.start.map(date));
        t.opt_display("due", m.due.map(date));
        t.opt_list("indicators", &keys(&m.indicators));
        t.opt_list("agreements", &keys(&m.agreements));
        t.opt_str("body", m.body.as_deref());
        if !m.published {
            t.raw("published", "false");
        }
        t.opt_str("carried_from", m.carried_from.as_deref());
        t.str("source", &m.source);
        for milestone in &m.milestones {
            t.table("matter.milestones");
            t.text("title", &milestone.title);
            t.str("due", &date(milestone.due));
            t.opt_display("done_on", milestone.done_on.map(date));
        }
    }
    t.into_bytes()
}

fn tasks(ds: &Dataset) -> io::Result<Vec<u8>> {
    csv_file(
        TASK_COLUMNS,
        ds.tasks.iter().map(|k| {
            vec![
                k.key.clone(),
                k.matter.clone(),
                k.parent.clone().unwrap_or_default(),
                k.jurisdiction.to_string(),
                k.unit.zh.clone(),
                k.unit.en.clone(),
                k.title.zh.clone(),
                k.title.en.clone(),
                opt_string(k.start.map(date)),
                date(k.due),
                k.source.clone(),
            ]
        }),
    )
}

fn reports(ds: &Dataset) -> io::Result<Vec<u8>> {
    csv_file(
        REPORT_COLUMNS,
        ds.reports.iter().map(|p| {
            vec![
                p.key.clone(),
                p.task.clone(),
                date(p.as_of),
                p.percent.to_string(),
                name(&p.state),
                p.narrative.zh.clone(),
                p.narrative.en.clone(),
                p.evidence.join(" "),
                p.return_reason.zh.clone(),
                p.return_reason.en.clone(),
                p.source.clone(),
            ]
        }),
    )
}

fn problems(ds: &Dataset) -> io::Result<Vec<u8>> {
    csv_file(
        PROBLEM_COLUMNS,
        ds.problems.iter().map(|p| {
            vec![
                p.key.clone(),
                p.matter.clone(),
                p.task.clone().unwrap_or_default(),
                p.title.zh.clone(),
                p.title.en.clone(),
                p.description.zh.clone(),
                p.description.en.clone(),
                name(&p.tier),
                date(p.raised_on),
                opt_string(p.due.map(date)),
                opt_string(p.escalated_on.map(date)),
                opt_string(p.resolved_on.map(date)),
                p.resolved_tier.map(|tier| name(&tier)).unwrap_or_default(),
                p.resolution.zh.clone(),
                p.resolution.en.clone(),
                p.source.clone(),
            ]
        }),
    )
}

fn agreements(ds: &Dataset) -> Vec<u8> {
    let mut t = Toml::default();
    for a in &ds.agreements {
        t.table("agreement");
        t.str("key", &a.key);
        t.text("title", &a.title);
        t.opt_text("summary", &a.summary);
        // In force is the default an absent state stands for: the public record's agreements
        // were signed on paper.
        if a.state != AgreementState::InForce {
            t.str("state", &name(&a.state));
        }
        t.opt_str("meeting", a.meeting.as_deref());
        t.opt_display("signed_on", a.signed_on);
        t.opt_display("in_force_on", a.in_force_on);
        t.opt_display("expires_on", a.expires_on.map(date));
        t.opt_display("ended_on", a.ended_on.map(date));
        t.opt_text("ended_reason", &a.ended_reason);
        // On one line with escapes, never as a multi-line string, whose line breaks a TOML
        // reader may normalise: the hash binds the exact characters.
        t.opt_text("text", &a.text);
        t.opt_str("text_hash", a.text_hash.as_deref());
        t.str("source", &a.source);
        for p in &a.parties {
            t.table("agreement.parties");
            t.str("jurisdiction", &p.jurisdiction.to_string());
            t.opt_text("signatory", &p.signatory);
            t.opt_display("signed_on", p.signed_on);
        }
        for s in &a.signatures {
            t.table("agreement.signatures");
            t.str("jurisdiction", &s.jurisdiction.to_string());
            t.str("text_hash", &s.text_hash);
            t.str("key_id", &s.key_id);
            t.str("signature", &s.signature);
            t.str("signed_by", &s.signed_by);
            t.str("signed_at", &s.signed_at);
        }
    }
    t.into_bytes()
}

fn member_keys(ds: &Dataset) -> io::Result<Vec<u8>> {
    csv_file(
        MEMBER_KEY_COLUMNS,
        ds.member_keys.iter().map(|k| {
            vec![
                k.id.clone(),
                k.jurisdiction.to_string(),
                k.public_key.clone(),
                k.created_at.clone(),
                k.retired_at.clone().unwrap_or_default(),
            ]
        }),
    )
}

fn target(t: &Target) -> String {
    format!(
        "{{ date = {}, value = {}, source = {} }}",
        quote(&t.date.to_string()),
        toml_value(&t.value),
        quote(&t.source)
    )
}

fn indicators(ds: &Dataset) -> Vec<u8> {
    let mut t = Toml::default();
    for i in &ds.indicators {
        t.table("indicator");
        t.str("key", &i.key);
        t.text("name", &i.name);
        t.opt_text("description", &i.description);
        t.opt_text("unit", &i.unit);
        t.opt_list("classes", &keys(&i.classes));
        t.str("direction", &name(&i.direction));
        let (kind, id) = match &i.scope {
            Scope::Jurisdiction(code) => ("jurisdiction", code.to_string()),
            Scope::Zone(zone) => ("zone", zone.clone()),
            Scope::Site(site) => ("site", site.clone()),
        };
        t.raw(
            "scope",
            &format!("{{ kind = \"{kind}\", id = {} }}", quote(&id)),
        );
        t.str("source", &i.source);
        if let Some(baseline) = &i.baseline {
            t.raw("baseline", &target(baseline));
        }
        for target in &i.targets {
            t.table("indicator.targets");
            t.str("date", &target.date.to_string());
            t.raw("value", &toml_value(&target.value));
            t.str("source", &target.source);
        }
    }
    t.into_bytes()
}

fn observations(ds: &Dataset) -> io::Result<Vec<u8>> {
    csv_file(
        OBSERVATION_COLUMNS,
        ds.observations.iter().map(|o| {
            vec![
                o.key.clone(),
                o.indicator.clone(),
                o.date.to_string(),
                value(&o.value),
                // `exact` is the default an empty cell stands for; the other qualifiers stand out.
                match o.qualifier {
                    yrd_domain::Qualifier::Exact => String::new(),
                    q => name(&q),
                },
                opt_string(o.jurisdiction),
                o.site.clone().unwrap_or_default(),
                o.note.zh.clone(),
                o.note.en.clone(),
                o.source.clone(),
            ]
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_strings_read_back_unchanged() {
        let tricky: String = (0u32..0x80)
            .filter_map(char::from_u32)
            .chain("中文 \u{7f}\u{2028}'\"\\".chars())
            .collect();
        let parsed: toml::Table = toml::from_str(&format!("s = {}", quote(&tricky))).unwrap();
        assert_eq!(parsed["s"].as_str(), Some(tricky.as_str()));
    }

    #[test]
    fn numbers_read_back_unchanged() {
        for n in [
            0.0,
            4150.0,
            -3.0,
            0.1,
            8000.5,
            1e300,
            -2.5e-8,
            9_007_199_254_740_993.0,
            f64::MAX,
        ] {
            let written = number(n);
            let parsed: toml::Table = toml::from_str(&format!("n = {written}")).unwrap();
            let read = parsed["n"]
                .as_float()
                .or_else(|| parsed["n"].as_integer().map(|i| i as f64));
            assert_eq!(read, Some(n), "{written}");
            assert_eq!(written.parse::<f64>().ok(), Some(n), "{written}");
        }
    }
}
