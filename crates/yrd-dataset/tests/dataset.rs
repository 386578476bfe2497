//! Reading, writing and validating dataset directories: a round trip through files, each kind
//! of error placed on its exact `file:line`, and the built-in YRD dataset.

use std::fs;
use std::path::Path;

use yrd_dataset::{DatasetErrors, canonicalize, read_dir, validate, write_dir};
use yrd_domain::date::parse_date;
use yrd_domain::rules::DecisionStatus;
use yrd_domain::{
    AdminCode, Agreement, AgreementState, Area, Attendee, Body, Dataset, Decision, DecisionSubject,
    Direction, Document, Indicator, Jurisdiction, LatLon, Matter, Meeting, MeetingState, Milestone,
    Observation, Party, Plan, PlanKind, PlanStage, Position, Problem, ProgressReport, Qualifier,
    ReportState, Scope, Seat, Stance, Target, Task, Text, Tier, Value, Zone, agreement_text_hash,
};

// ---------------------------------------------------------------------------------------------
// A small valid dataset as files, with every line number the error tests rely on.

const JURISDICTIONS: &str = "\
code,parent,name_zh,name_en,lat,lon,source
310000,,上海市,Shanghai,31.23,121.47,https://example.org/sh
320000,,江苏省,Jiangsu,,,seed:001.txt
330000,,浙江省,Zhejiang,,,seed:001.txt
330300,330000,温州市,Wenzhou,,,seed:001.txt
";

const ZONES: &str = r#"[[zone]]
key = "yrd"
name = { zh = "长三角", en = "Yangtze River Delta" }
members = ["310000", "320000", "330000"]
source = "seed:001.txt"
"#;

const BODIES: &str = r#"[[body]]
key = "symposium"
name = { zh = "主要领导座谈会", en = "Main Leaders' Symposium" }
tier = "decision"
members = ["310000", "320000", "330000"]
host_rotation = ["330000", "320000", "310000"]
source = "seed:001.txt"
"#;

const SEATS: &str = "\
key,body,jurisdiction,role_zh,role_en,holder_zh,holder_en,term_start,term_end,source
sh-secretary,symposium,310000,市委书记,Party Secretary,陈吉宁,Chen Jining,2022-10,,seed:001.txt
";

const MEETINGS: &str = r#"[[meeting]]
key = "symposium-2024"
body = "symposium"
title = { zh = "2024年座谈会", en = "2024 Symposium" }
start = "2024-06-05"
host = "330300"
source = "seed:001.txt"

[[meeting.decisions]]
key = "symposium-2024.plan"
title = { zh = "审议行动方案", en = "Action plan" }
subject = { kind = "adopt_plan", plan = "action-plan" }
positions = [
  { jurisdiction = "310000", stance = "consent" },
  { jurisdiction = "320000", stance = "consent_in_principle" },
]
"#;

const PLANS: &str = r#"[[plan]]
key = "action-plan"
kind = "action_plan"
title = { zh = "三年行动计划", en = "Three-year action plan" }
period = [2024, 2026]
stage = "in_force"
source = "seed:001.txt"

[[plan.areas]]
key = "sci-tech"
name = { zh = "科技创新", en = "Science and technology" }
"#;

const MATTERS: &str = r#"[[matter]]
key = "rail"
plan = "action-plan"
area = "sci-tech"
title = { zh = "轨道交通", en = "Rail transit" }
leads = ["310000"]
participants = ["320000"]
due = "2026-12-31"
indicators = ["rail-km"]
source = "seed:001.txt"

[[matter]]
key = "bridge"
plan = "action-plan"
title = { zh = "跨界桥梁", en = "Cross-border bridge" }
leads = ["330000"]
participants = []
source = "seed:001.txt"
"#;

const TASKS: &str = "\
key,matter,jurisdiction,unit_zh,unit_en,title_zh,title_en,start,due,source
rail.sh,rail,310000,上海市发展改革委,Shanghai DRC,建设,Build,2024-06-06,2025-12-31,seed:001.txt
rail.js,rail,320000,江苏省发展改革委,Jiangsu DRC,建设,Build,,2026-06-30,seed:001.txt
";

const REPORTS: &str = "\
key,task,as_of,percent,state,narrative_zh,narrative_en,evidence,source
rail.sh.2024,rail.sh,2024-12-31,40,verified,进展顺利,On track,https://example.org/e1,seed:001.txt
";

const PROBLEMS: &str = "\
key,matter,task,title_zh,title_en,tier,raised_on,due,resolved_on,resolution_zh,resolution_en,source
land,rail,rail.js,用地指标,Land quota,execution,2025-01-10,,,,,seed:001.txt
";

const AGREEMENTS: &str = r#"[[agreement]]
key = "rail-framework"
title = { zh = "轨道交通合作框架协议", en = "Rail framework agreement" }
meeting = "symposium-2024"
signed_on = "2024-06-06"
source = "seed:001.txt"

[[agreement.parties]]
jurisdiction = "310000"

[[agreement.parties]]
jurisdiction = "320000"
"#;

const INDICATORS: &str = r#"[[indicator]]
key = "rail-km"
name = { zh = "铁路营业里程", en = "Railway mileage" }
unit = { zh = "公里", en = "km" }
direction = "higher_is_better"
scope = { kind = "zone", id = "yrd" }
source = "seed:001.txt"
baseline = { date = "2018", value = 4150, source = "seed:001.txt" }

[[indicator]]
key = "taipu"
name = { zh = "太浦河水质", en = "Taipu River water quality" }
classes = ["I", "II", "III", "IV", "V"]
direction = "higher_is_better"
scope = { kind = "site", id = "taipu-river" }
source = "seed:001.txt"

[[indicator.targets]]
date = "2025"
value = "II"
source = "seed:001.txt"
"#;

const OBSERVATIONS: &str = "\
key,indicator,date,value,qualifier,jurisdiction,site,note_zh,note_en,source
rail-km.2023,rail-km,2023,6300,more_than,,,,,seed:001.txt
rail-km.2023.sh,rail-km,2023,500,,310000,,,,seed:001.txt
taipu.2024,taipu,2024-06,II,,,,,,seed:001.txt
";

const FIXTURE: [(&str, &str); 13] = [
    ("jurisdictions.csv", JURISDICTIONS),
    ("zones.toml", ZONES),
    ("bodies.toml", BODIES),
    ("seats.csv", SEATS),
    ("meetings.toml", MEETINGS),
    ("plans.toml", PLANS),
    ("matters.toml", MATTERS),
    ("tasks.csv", TASKS),
    ("reports.csv", REPORTS),
    ("problems.csv", PROBLEMS),
    ("agreements.toml", AGREEMENTS),
    ("indicators.toml", INDICATORS),
    ("observations.csv", OBSERVATIONS),
];

/// Writes the fixture with each `(file, from, to)` edit applied (`from` must occur once) and
/// reads it back.
fn read_edited(edits: &[(&str, &str, &str)]) -> Result<Dataset, DatasetErrors> {
    let dir = tempfile::tempdir().unwrap();
    for (file, content) in FIXTURE {
        let mut content = content.to_owned();
        for &(_, from, to) in edits.iter().filter(|(f, _, _)| *f == file) {
            assert_eq!(
                content.matches(from).count(),
                1,
                "{from:?} must occur once in {file}"
            );
            content = content.replacen(from, to, 1);
        }
        fs::write(dir.path().join(file), content).unwrap();
    }
    read_dir(dir.path())
}

/// The errors of the edited fixture, one string each.
fn errors(edits: &[(&str, &str, &str)]) -> Vec<String> {
    match read_edited(edits) {
        Ok(_) => panic!("the edits {edits:?} should make the dataset invalid"),
        Err(e) => e.errors.iter().map(ToString::to_string).collect(),
    }
}

fn code(s: &str) -> AdminCode {
    s.parse().unwrap()
}

#[test]
fn the_fixture_is_valid_and_read_in_canonical_order() {
    let ds = read_edited(&[]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ds.jurisdictions.len(), 4);
    assert_eq!(ds.decisions[0].seq, 1);
    // A decision without a source takes its meeting's.
    assert_eq!(ds.decisions[0].source, "seed:001.txt");
    assert_eq!(ds.plans[0].areas[0].seq, 1);
    assert_eq!(ds.observations[1].qualifier, Qualifier::Exact);
    assert_eq!(ds.observations[0].qualifier, Qualifier::MoreThan);
    assert_eq!(ds.observations[2].value, Value::Class("II".into()));
    assert_eq!(
        ds.indicators[0].baseline.as_ref().unwrap().value,
        Value::Number(4150.0)
    );
    let keys: Vec<&str> = ds.tasks.iter().map(|t| t.key.as_str()).collect();
    assert_eq!(keys, ["rail.js", "rail.sh"]);
}

#[test]
fn unknown_jurisdiction_code() {
    assert_eq!(
        errors(&[("meetings.toml", r#"host = "330300""#, r#"host = "330399""#)]),
        ["meetings.toml:6: host: unknown jurisdiction code 330399"]
    );
}

#[test]
fn a_date_that_does_not_exist() {
    assert_eq!(
        errors(&[("tasks.csv", "2025-12-31", "2023-02-30")]),
        [r#"tasks.csv:2: due: "2023-02-30" is not a date: 2023-02 has no day 30"#]
    );
    assert_eq!(
        errors(&[(
            "meetings.toml",
            r#"start = "2024-06-05""#,
            r#"start = "2024-02-30""#
        )]),
        [r#"meetings.toml:5: start: "2024-02-30" is not a date: 2024-02 has no day 30"#]
    );
}

#[test]
fn a_partial_date_where_a_full_date_is_required() {
    assert_eq!(
        errors(&[(
            "matters.toml",
            r#"due = "2026-12-31""#,
            r#"due = "2026-12""#
        )]),
        [r#"matters.toml:8: due: "2026-12" is not a full date: YYYY-MM-DD is required here"#]
    );
}

#[test]
fn a_name_in_neither_language() {
    assert_eq!(
        errors(&[("jurisdictions.csv", "温州市,Wenzhou", ",")]),
        ["jurisdictions.csv:5: name_zh: required (or its English), but both are empty"]
    );
    assert_eq!(
        errors(&[(
            "zones.toml",
            r#"{ zh = "长三角", en = "Yangtze River Delta" }"#,
            r#"{ zh = "", en = "" }"#
        )]),
        ["zones.toml:3: name.zh: required (or its English), but both are empty"]
    );
}

#[test]
fn a_name_in_english_only_is_enough() {
    let dataset = read_edited(&[("jurisdictions.csv", "温州市,Wenzhou", ",Wenzhou")])
        .expect("a text in English only is valid");
    let wenzhou = dataset
        .jurisdictions
        .iter()
        .find(|j| j.code == code("330300"))
        .expect("Wenzhou is read");
    assert_eq!(
        (wenzhou.name.zh.as_str(), wenzhou.name.en.as_str()),
        ("", "Wenzhou")
    );
}

#[test]
fn a_duplicate_key() {
    let second = "\n[[zone]]\nkey = \"yrd\"\nname = { zh = \"又一个\", en = \"\" }\nmembers = [\"310000\"]\nsource = \"seed:001.txt\"\n";
    let edited = format!("source = \"seed:001.txt\"\n{second}");
    assert_eq!(
        errors(&[("zones.toml", "source = \"seed:001.txt\"\n", &edited)]),
        [r#"zones.toml:8: key: duplicate key "yrd""#]
    );
}

#[test]
fn dangling_references() {
    assert_eq!(
        errors(&[(
            "matters.toml",
            "\"rail\"\nplan = \"action-plan\"",
            "\"rail\"\nplan = \"action-plan-x\""
        )]),
        [r#"matters.toml:3: plan: unknown plan "action-plan-x""#]
    );
    assert_eq!(
        errors(&[(
            "matters.toml",
            r#"area = "sci-tech""#,
            r#"area = "transport""#
        )]),
        [r#"matters.toml:4: area: plan "action-plan" has no area "transport""#]
    );
    assert_eq!(
        errors(&[(
            "meetings.toml",
            r#"plan = "action-plan""#,
            r#"plan = "outline""#
        )]),
        [r#"meetings.toml:12: decisions.subject.plan: unknown plan "outline""#]
    );
    assert_eq!(
        errors(&[("reports.csv", ",rail.sh,", ",rail.xx,")]),
        [r#"reports.csv:2: task: unknown task "rail.xx""#]
    );
    assert_eq!(
        errors(&[(
            "agreements.toml",
            r#"jurisdiction = "320000""#,
            r#"jurisdiction = "340000""#
        )]),
        ["agreements.toml:12: parties.jurisdiction: unknown jurisdiction code 340000"]
    );
    assert_eq!(
        errors(&[("jurisdictions.csv", "330300,330000", "330300,340000")]),
        ["jurisdictions.csv:5: parent: unknown jurisdiction code 340000"]
    );
}

#[test]
fn a_matter_of_an_unknown_body() {
    assert_eq!(
        errors(&[(
            "matters.toml",
            "indicators = [\"rail-km\"]\n",
            "indicators = [\"rail-km\"]\nbody = \"no-such-body\"\n"
        )]),
        [r#"matters.toml:10: body: unknown body "no-such-body""#]
    );
    assert_eq!(
        errors(&[(
            "matters.toml",
            "indicators = [\"rail-km\"]\n",
            "indicators = [\"rail-km\"]\nbody = \"\"\n"
        )]),
        ["matters.toml:10: body: empty; leave it out instead"]
    );
}

#[test]
fn published_and_body_are_optional() {
    let ds = read_edited(&[(
        "matters.toml",
        "indicators = [\"rail-km\"]\n",
        "indicators = [\"rail-km\"]\nbody = \"symposium\"\npublished = false\n",
    )])
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(ds.plans.iter().all(|p| p.published), "published by default");
    let rail = ds.matters.iter().find(|m| m.key == "rail").unwrap();
    assert_eq!(rail.body.as_deref(), Some("symposium"));
    assert!(!rail.published);
    let bridge = ds.matters.iter().find(|m| m.key == "bridge").unwrap();
    assert_eq!((bridge.body.as_deref(), bridge.published), (None, true));
    assert_eq!(
        errors(&[(
            "plans.toml",
            "stage = \"in_force\"\n",
            "stage = \"in_force\"\npublished = \"no\"\n"
        )])
        .len(),
        1
    );
}

#[test]
fn a_problem_on_a_task_of_another_matter() {
    assert_eq!(
        errors(&[("problems.csv", "land,rail,rail.js", "land,bridge,rail.js")]),
        [r#"problems.csv:2: task: task "rail.js" belongs to matter "rail", not "bridge""#]
    );
}

#[test]
fn an_indicator_scoped_to_an_unknown_zone() {
    assert_eq!(
        errors(&[("indicators.toml", r#"id = "yrd""#, r#"id = "nowhere""#)]),
        [r#"indicators.toml:6: scope.id: unknown zone "nowhere""#]
    );
}

#[test]
fn a_row_of_the_wrong_width_is_reported_once() {
    // The task cannot be read, and the problem that refers to it is not reported as well.
    assert_eq!(
        errors(&[("tasks.csv", "Build,,2026-06-30", "Build,,2026-06-30,extra")]),
        ["tasks.csv:3: the row has 11 fields, but the header has 10"]
    );
}

#[test]
fn a_task_of_a_member_outside_its_matter() {
    assert_eq!(
        errors(&[("tasks.csv", "rail.js,rail,320000", "rail.js,rail,330000")]),
        [
            r#"tasks.csv:3: jurisdiction: 330000 is neither a lead nor a participant of matter "rail""#
        ]
    );
}

#[test]
fn a_lead_repeated_as_participant() {
    assert_eq!(
        errors(&[(
            "matters.toml",
            r#"participants = ["320000"]"#,
            r#"participants = ["320000", "310000"]"#
        )]),
        ["matters.toml:7: participants: 310000 is already a lead"]
    );
}

#[test]
fn bad_values() {
    assert_eq!(
        errors(&[("reports.csv", ",40,", ",140,")]),
        ["reports.csv:2: percent: 140 is outside 0–100"]
    );
    assert_eq!(
        errors(&[("reports.csv", ",verified,", ",checked,")]),
        [
            "reports.csv:2: state: unknown value `checked`, expected one of `submitted`, `approved`, `verified`, `returned`"
        ]
    );
    assert_eq!(
        errors(&[("observations.csv", "2024-06,II,", "2024-06,VI,")]),
        [
            r#"observations.csv:4: value: "VI" is not a class of indicator "taipu" (one of I, II, III, IV, V)"#
        ]
    );
    assert_eq!(
        errors(&[("observations.csv", ",6300,", ",lots,")]),
        [r#"observations.csv:2: value: "lots" is not a number"#]
    );
    assert_eq!(
        errors(&[("jurisdictions.csv", "330300,330000", "330300,33000")]),
        [
            r#"jurisdictions.csv:5: parent: an administrative division code has exactly six digits, got "33000""#
        ]
    );
    assert_eq!(
        errors(&[("jurisdictions.csv", "31.23,121.47", "31.23,")]),
        ["jurisdictions.csv:2: lon: required when lat is given (give both or neither)"]
    );
    assert_eq!(
        errors(&[(
            "meetings.toml",
            r#"start = "2024-06-05""#,
            "start = 2024-06-05"
        )]),
        [r#"meetings.toml:5: start: write the date as a quoted string, "2024-06-05""#]
    );
    assert_eq!(
        errors(&[(
            "zones.toml",
            r#"en = "Yangtze River Delta" }"#,
            r#"fr = "Delta du Yangtsé" }"#
        )]),
        ["zones.toml:3: name.fr: unknown field (expected `zh` or `en`)"]
    );
    assert_eq!(
        errors(&[(
            "meetings.toml",
            r#"stance = "consent" }"#,
            r#"stance = "agree" }"#
        )]),
        [
            "meetings.toml:14: decisions.positions.stance: unknown value `agree`, expected one of `consent`, \
             `consent_in_principle`, `object`"
        ]
    );
}

#[test]
fn unknown_and_missing_toml_keys() {
    assert_eq!(
        errors(&[(
            "bodies.toml",
            "tier = \"decision\"\n",
            "tier = \"decision\"\ncolour = \"red\"\n"
        )]),
        [
            "bodies.toml:5: colour: unknown field (expected one of `key`, `name`, `tier`, `description`, `members`, \
          `host_rotation`, `source`)"
        ]
    );
    assert_eq!(
        errors(&[("bodies.toml", "tier = \"decision\"\n", "")]),
        ["bodies.toml:1: tier: required, but missing"]
    );
    assert_eq!(
        errors(&[(
            "meetings.toml",
            "title = { zh = \"审议行动方案\", en = \"Action plan\" }\n",
            ""
        )]),
        ["meetings.toml:9: decisions.title: required, but missing"]
    );
}

#[test]
fn a_bad_csv_header() {
    let found = errors(&[("observations.csv", "note_en,source", "note_english,source")]);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(
        found[0].starts_with(r#"observations.csv:1: "note_english": unknown column"#),
        "{found:?}"
    );
    assert_eq!(
        found[1],
        "observations.csv:1: note_en: missing column(s) in the header"
    );
}

#[test]
fn a_toml_syntax_error() {
    let found = errors(&[(
        "plans.toml",
        r#"stage = "in_force""#,
        r#"stage = "in_force"#,
    )]);
    // The plan cannot be read, but references to it are not reported as unknown.
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("plans.toml:6: TOML syntax error: "),
        "{found:?}"
    );
}

#[test]
fn several_bad_rows_are_reported_together() {
    let found = errors(&[
        ("tasks.csv", "2025-12-31", "2023-02-30"),
        ("tasks.csv", "rail.js,rail,320000", "rail.js,rail,330000"),
        ("jurisdictions.csv", "江苏省,Jiangsu", ","),
        ("meetings.toml", r#"host = "330300""#, r#"host = "330399""#),
        ("observations.csv", ",6300,", ",lots,"),
        ("observations.csv", "2024-06,II,", "2024-06,VI,"),
    ]);
    assert_eq!(
        found,
        [
            "jurisdictions.csv:3: name_zh: required (or its English), but both are empty",
            "meetings.toml:6: host: unknown jurisdiction code 330399",
            r#"observations.csv:2: value: "lots" is not a number"#,
            r#"observations.csv:4: value: "VI" is not a class of indicator "taipu" (one of I, II, III, IV, V)"#,
            r#"tasks.csv:2: due: "2023-02-30" is not a date: 2023-02 has no day 30"#,
            r#"tasks.csv:3: jurisdiction: 330000 is neither a lead nor a participant of matter "rail""#,
        ]
    );
}

#[test]
fn a_misspelt_file_is_not_silently_ignored() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("meeting.toml"), MEETINGS).unwrap();
    let found: Vec<String> = read_dir(dir.path())
        .unwrap_err()
        .errors
        .iter()
        .map(|e| e.to_string())
        .collect();
    assert_eq!(found.len(), 1);
    assert!(
        found[0].starts_with("meeting.toml: not a file of the dataset format"),
        "{found:?}"
    );
}

#[test]
fn absent_and_empty_files_mean_no_records() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(read_dir(dir.path()).unwrap(), Dataset::default());
    fs::write(dir.path().join("zones.toml"), "").unwrap();
    fs::write(dir.path().join("tasks.csv"), "").unwrap();
    fs::write(
        dir.path().join("seats.csv"),
        "key,body,jurisdiction,role_zh,role_en,holder_zh,holder_en,term_start,term_end,source\n",
    )
    .unwrap();
    assert_eq!(read_dir(dir.path()).unwrap(), Dataset::default());
}

// ---------------------------------------------------------------------------------------------
// Round trip.

fn date(s: &str) -> time::Date {
    parse_date(s).unwrap()
}

fn t(zh: &str, en: &str) -> Text {
    Text::new(zh, en)
}

/// A dataset that exercises every field, optional values both present and absent, and
/// values that are awkward to write: quotes, commas, newlines, unicode, fractions.
fn sample() -> Dataset {
    let src = "seed:001.txt".to_owned();
    let jurisdiction =
        |c: &str, parent: Option<&str>, zh: &str, en: &str, centroid: Option<(f64, f64)>| {
            Jurisdiction {
                code: code(c),
                parent: parent.map(code),
                name: t(zh, en),
                centroid: centroid.map(|(lat, lon)| LatLon { lat, lon }),
                source: src.clone(),
            }
        };
    Dataset {
        // Deliberately out of canonical order.
        jurisdictions: vec![
            jurisdiction(
                "330300",
                Some("330000"),
                "温州市",
                "Wenzhou",
                Some((27.994267, 120.699366)),
            ),
            jurisdiction(
                "310000",
                None,
                "上海市",
                "Shanghai",
                Some((31.2304, 121.4737)),
            ),
            jurisdiction("320000", None, "江苏省", "", None),
            jurisdiction("330000", None, "浙江省", "Zhejiang", None),
            jurisdiction("310118", Some("310000"), "青浦区", "Qingpu, \"west\"", None),
        ],
        zones: vec![Zone {
            key: "yrd".into(),
            name: t("长三角", "Yangtze River Delta"),
            description: t(
                "三省一市\n第二行",
                "Three provinces and one city; \"quoted\" \\ backslash\ttab",
            ),
            members: vec![code("310000"), code("320000"), code("330000")],
            source: "https://example.org/a?b=1&c=2 ; seed:002.txt".into(),
        }],
        bodies: vec![Body {
            key: "symposium".into(),
            name: t("主要领导座谈会", "Main Leaders' Symposium"),
            tier: Tier::Decision,
            description: Text::default(),
            members: vec![code("310000"), code("320000"), code("330000")],
            host_rotation: vec![code("330000"), code("320000"), code("310000")],
            source: src.clone(),
        }],
        seats: vec![Seat {
            key: "sh-secretary".into(),
            body: "symposium".into(),
            jurisdiction: code("310000"),
            role: t("市委书记", "Party Secretary, Shanghai"),
            holder: t("陈吉宁", "Chen Jining"),
            term_start: "2022-10".parse().unwrap(),
            term_end: Some("2027".parse().unwrap()),
            source: src.clone(),
        }],
        meetings: vec![
            Meeting {
                key: "symposium-2024".into(),
                body: "symposium".into(),
                title: t("2024年座谈会", "2024 Symposium"),
                start: "2024-06-05".parse().unwrap(),
                end: Some("2024-06-06".parse().unwrap()),
                host: Some(code("330300")),
                theme: t("主题", ""),
                attendees: vec![
                    Attendee {
                        name: t("陈吉宁", "Chen Jining"),
                        role: t("市委书记", ""),
                        jurisdiction: Some(code("310000")),
                    },
                    Attendee {
                        name: t("嘉宾", "Guest"),
                        role: t("嘉宾", "Guest"),
                        jurisdiction: None,
                    },
                ],
                agenda: vec![t("议程一", "Item one"), t("议程二", "")],
                outcomes: vec![t("成果", "Outcome")],
                host_reason: Text::default(),
                documents: vec![],
                state: MeetingState::Closed,
                closed_on: None,
                source: src.clone(),
            },
            Meeting {
                key: "symposium-2023".into(),
                body: "symposium".into(),
                title: t("2023年座谈会", ""),
                start: "2023-06".parse().unwrap(),
                end: None,
                host: None,
                theme: Text::default(),
                attendees: vec![],
                agenda: vec![],
                outcomes: vec![],
                host_reason: Text::default(),
                documents: vec![],
                state: MeetingState::Closed,
                closed_on: None,
                source: "https://example.org/2023".into(),
            },
        ],
        decisions: vec![
            Decision {
                key: "symposium-2024.next-host".into(),
                meeting: "symposium-2024".into(),
                seq: 2,
                title: t("下一届承办", "Next host"),
                subject: DecisionSubject::NextHost {
                    host: code("320000"),
                },
                positions: vec![],
                outcome: None,
                supersedes: None,
                source: "https://example.org/other-source".into(),
            },
            Decision {
                key: "symposium-2024.plan".into(),
                meeting: "symposium-2024".into(),
                seq: 1,
                title: t("审议行动方案", "Action plan"),
                subject: DecisionSubject::AdoptPlan {
                    plan: "action-plan".into(),
                },
                positions: vec![
                    Position {
                        jurisdiction: code("310000"),
                        stance: Stance::Consent,
                        comment: Text::default(),
                    },
                    Position {
                        jurisdiction: code("320000"),
                        stance: Stance::ConsentInPrinciple,
                        comment: t("原则同意", "In principle"),
                    },
                    Position {
                        jurisdiction: code("330000"),
                        stance: Stance::Object,
                        comment: t("", "en only"),
                    },
                ],
                outcome: None,
                supersedes: None,
                source: src.clone(),
            },
            Decision {
                key: "symposium-2023.other".into(),
                meeting: "symposium-2023".into(),
                seq: 1,
                title: t("其他", "Other"),
                subject: DecisionSubject::Other,
                positions: vec![],
                outcome: None,
                supersedes: None,
                source: "https://example.org/2023".into(),
            },
        ],
        plans: vec![
            Plan {
                key: "outline".into(),
                kind: PlanKind::Outline,
                title: t("纲要", "Outline"),
                parent: None,
                period_start: 2019,
                period_end: 2035,
                stage: PlanStage::InForce,
                adopted_on: None,
                issued_on: Some("2019-12".parse().unwrap()),
                issuer: t("中共中央、国务院", "CPC Central Committee, State Council"),
                summary: Text::default(),
                areas: vec![],
                published: true,
                source: src.clone(),
            },
            Plan {
                key: "action-plan".into(),
                kind: PlanKind::ActionPlan,
                title: t("三年行动计划", "Action plan"),
                parent: Some("outline".into()),
                period_start: 2024,
                period_end: 2026,
                stage: PlanStage::Adopted,
                adopted_on: Some("2024-06-06".parse().unwrap()),
                issued_on: None,
                issuer: Text::default(),
                summary: t("摘要", "Summary"),
                areas: vec![
                    Area {
                        key: "sci-tech".into(),
                        seq: 1,
                        name: t("科技创新", "Sci-tech"),
                        stated_task_count: Some(20),
                    },
                    Area {
                        key: "transport".into(),
                        seq: 2,
                        name: t("交通", ""),
                        stated_task_count: None,
                    },
                ],
                published: true,
                source: src.clone(),
            },
        ],
        matters: vec![Matter {
            key: "rail".into(),
            plan: "action-plan".into(),
            area: Some("transport".into()),
            title: t("轨道交通", "Rail"),
            objective: t("目标", "Objective"),
            leads: vec![code("310000")],
            participants: vec![code("320000"), code("330000")],
            start: Some(date("2024-06-06")),
            due: Some(date("2026-12-31")),
            milestones: vec![
                Milestone {
                    title: t("开工", "Start"),
                    due: date("2025-06-30"),
                    done_on: Some(date("2025-05-01")),
                },
                Milestone {
                    title: t("完工", "Finish"),
                    due: date("2026-12-31"),
                    done_on: None,
                },
            ],
            indicators: vec!["rail-km".into()],
            agreements: vec!["rail-framework".into()],
            body: None,
            published: true,
            carried_from: None,
            source: src.clone(),
        }],
        tasks: vec![Task {
            key: "rail.sh".into(),
            matter: "rail".into(),
            parent: None,
            jurisdiction: code("310000"),
            unit: t("发展改革委", "DRC, \"Shanghai\""),
            title: t("建设", "Build,\nthen operate"),
            start: None,
            due: date("2025-12-31"),
            source: src.clone(),
        }],
        reports: vec![ProgressReport {
            key: "rail.sh.2024".into(),
            task: "rail.sh".into(),
            as_of: date("2024-12-31"),
            percent: 100,
            narrative: t("完成", "Done"),
            evidence: vec![
                "https://example.org/e1".into(),
                "https://example.org/e2".into(),
            ],
            state: ReportState::Returned,
            return_reason: Text::default(),
            source: src.clone(),
        }],
        problems: vec![Problem {
            key: "land".into(),
            matter: "rail".into(),
            task: Some("rail.sh".into()),
            title: t("用地", "Land"),
            description: Text::default(),
            tier: Tier::Coordination,
            raised_on: date("2025-01-10"),
            due: Some(date("2025-03-31")),
            escalated_on: None,
            resolved_on: Some(date("2025-03-01")),
            resolved_tier: None,
            resolution: t("已解决", "Resolved"),
            source: src.clone(),
        }],
        agreements: vec![Agreement {
            key: "rail-framework".into(),
            title: t("框架协议", "Framework"),
            summary: Text::default(),
            state: AgreementState::InForce,
            meeting: Some("symposium-2024".into()),
            signed_on: Some("2024-06-06".parse().unwrap()),
            in_force_on: None,
            expires_on: None,
            ended_on: None,
            ended_reason: Text::default(),
            text: Text::default(),
            text_hash: None,
            signatures: vec![],
            parties: vec![
                Party {
                    jurisdiction: code("310000"),
                    signatory: t("上海市交通委", ""),
                    signed_on: Some("2024-06".parse().unwrap()),
                },
                Party {
                    jurisdiction: code("320000"),
                    signatory: Text::default(),
                    signed_on: None,
                },
            ],
            source: src.clone(),
        }],
        member_keys: vec![],
        indicators: vec![
            Indicator {
                key: "rail-km".into(),
                name: t("铁路营业里程", "Railway mileage"),
                description: Text::default(),
                unit: t("公里", "km"),
                classes: vec![],
                direction: Direction::HigherIsBetter,
                scope: Scope::Zone("yrd".into()),
                baseline: Some(Target {
                    date: "2018".parse().unwrap(),
                    value: Value::Number(4150.0),
                    source: src.clone(),
                }),
                targets: vec![
                    Target {
                        date: "2025".parse().unwrap(),
                        value: Value::Number(8000.5),
                        source: src.clone(),
                    },
                    Target {
                        date: "2035".parse().unwrap(),
                        value: Value::Number(1e300),
                        source: src.clone(),
                    },
                ],
                source: src.clone(),
            },
            Indicator {
                key: "taipu".into(),
                name: t("太浦河水质", "Taipu River"),
                description: t("描述", "Description"),
                unit: Text::default(),
                classes: vec![
                    "I".into(),
                    "II".into(),
                    "III".into(),
                    "IV".into(),
                    "V".into(),
                ],
                direction: Direction::Neutral,
                scope: Scope::Site("taipu-river".into()),
                baseline: Some(Target {
                    date: "2018".parse().unwrap(),
                    value: Value::Class("IV".into()),
                    source: src.clone(),
                }),
                targets: vec![],
                source: src.clone(),
            },
            Indicator {
                key: "sh-share".into(),
                name: t("占比", "Share"),
                description: Text::default(),
                unit: t("%", "%"),
                classes: vec![],
                direction: Direction::LowerIsBetter,
                scope: Scope::Jurisdiction(code("310000")),
                baseline: None,
                targets: vec![],
                source: src.clone(),
            },
        ],
        observations: vec![
            Observation {
                key: "taipu.2024".into(),
                indicator: "taipu".into(),
                date: "2024-06".parse().unwrap(),
                value: Value::Class("II".into()),
                jurisdiction: None,
                site: Some("jinze".into()),
                qualifier: Qualifier::Exact,
                note: t("注", "Note, with comma"),
                source: src.clone(),
            },
            Observation {
                key: "rail-km.2023.b".into(),
                indicator: "rail-km".into(),
                date: "2023".parse().unwrap(),
                value: Value::Number(0.1),
                jurisdiction: Some(code("330300")),
                site: None,
                qualifier: Qualifier::About,
                note: Text::default(),
                source: src.clone(),
            },
            Observation {
                key: "rail-km.2023.a".into(),
                indicator: "rail-km".into(),
                date: "2023".parse().unwrap(),
                value: Value::Number(-2.5e-8),
                jurisdiction: None,
                site: None,
                qualifier: Qualifier::LessThan,
                note: Text::default(),
                source: src.clone(),
            },
            Observation {
                key: "sh-share.2022".into(),
                indicator: "sh-share".into(),
                date: "2022-12-31".parse().unwrap(),
                value: Value::Number(3.7),
                jurisdiction: Some(code("310118")),
                site: None,
                qualifier: Qualifier::MoreThan,
                note: Text::default(),
                source: src,
            },
        ],
    }
}

#[test]
fn a_dataset_round_trips_through_files() {
    let ds = sample();
    validate(&ds).unwrap_or_else(|e| panic!("{e}"));
    let dir = tempfile::tempdir().unwrap();
    write_dir(&ds, dir.path()).unwrap();
    let read = read_dir(dir.path()).unwrap_or_else(|e| panic!("{e}"));
    let mut expected = ds.clone();
    canonicalize(&mut expected);
    assert_eq!(read, expected);

    // Writing is deterministic: the records read back are written to the same bytes.
    let again = tempfile::tempdir().unwrap();
    write_dir(&read, again.path()).unwrap();
    for file in fs::read_dir(dir.path()).unwrap() {
        let file = file.unwrap();
        let name = file.file_name();
        assert_eq!(
            fs::read(file.path()).unwrap(),
            fs::read(again.path().join(&name)).unwrap(),
            "{name:?}"
        );
    }
}

#[test]
fn drafts_and_responsible_bodies_round_trip() {
    let mut ds = sample();
    ds.plans[0].published = false;
    ds.matters[0].published = false;
    ds.matters[0].body = Some("symposium".into());
    let dir = tempfile::tempdir().unwrap();
    write_dir(&ds, dir.path()).unwrap();
    let plans = fs::read_to_string(dir.path().join("plans.toml")).unwrap();
    assert_eq!(plans.matches("published = false\n").count(), 1, "{plans}");
    let matters = fs::read_to_string(dir.path().join("matters.toml")).unwrap();
    assert!(
        matters.contains("body = \"symposium\"\npublished = false\nsource = "),
        "{matters}"
    );
    let read = read_dir(dir.path()).unwrap_or_else(|e| panic!("{e}"));
    canonicalize(&mut ds);
    assert_eq!(read, ds);

    // Published records and matters without a body say nothing of either.
    let dir = tempfile::tempdir().unwrap();
    write_dir(&sample(), dir.path()).unwrap();
    for file in ["plans.toml", "matters.toml"] {
        let written = fs::read_to_string(dir.path().join(file)).unwrap();
        assert!(!written.contains("published"), "{written}");
        assert!(!written.contains("body"), "{written}");
    }
}

#[test]
fn written_toml_keeps_the_reviewable_layout() {
    let dir = tempfile::tempdir().unwrap();
    write_dir(&sample(), dir.path()).unwrap();
    let meetings = fs::read_to_string(dir.path().join("meetings.toml")).unwrap();
    assert!(
        meetings.contains("title = { zh = \"2024年座谈会\", en = \"2024 Symposium\" }\n"),
        "{meetings}"
    );
    assert!(meetings.contains("\n[[meeting.attendees]]\n"), "{meetings}");
    assert!(
        meetings.contains("subject = { kind = \"adopt_plan\", plan = \"action-plan\" }\n"),
        "{meetings}"
    );
    // The 2023 meeting comes first, its decision carries no source of its own, and absent
    // optionals are left out.
    assert!(
        meetings.starts_with("[[meeting]]\nkey = \"symposium-2023\"\n"),
        "{meetings}"
    );
    assert!(!meetings.contains("theme = { zh = \"\""), "{meetings}");
    let plan_decision = meetings.find("key = \"symposium-2024.plan\"").unwrap();
    let next_host = meetings.find("key = \"symposium-2024.next-host\"").unwrap();
    assert!(plan_decision < next_host, "decisions in seq order");
    // Only the next-host decision has a source of its own.
    assert_eq!(
        meetings
            .matches("source = \"https://example.org/other-source\"")
            .count(),
        1
    );
    let observations = fs::read_to_string(dir.path().join("observations.csv")).unwrap();
    let lines: Vec<&str> = observations.lines().collect();
    assert_eq!(
        lines[0],
        "key,indicator,date,value,qualifier,jurisdiction,site,note_zh,note_en,source"
    );
    assert!(
        lines[1].starts_with("rail-km.2023.a,rail-km,2023,-2.5e-8,less_than,"),
        "{observations}"
    );
}

#[test]
fn an_invalid_dataset_is_refused_and_nothing_written() {
    let mut ds = sample();
    ds.meetings[0].host = Some(code("330399"));
    ds.tasks[0].title.zh.clear();
    ds.tasks[0].title.en.clear();
    let errors = validate(&ds).unwrap_err();
    let shown: Vec<String> = errors.errors.iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        [
            "meetings.toml: symposium-2024: host: unknown jurisdiction code 330399",
            "tasks.csv: rail.sh: title_zh: required (or its English), but both are empty",
        ]
    );
    let dir = tempfile::tempdir().unwrap();
    let e = write_dir(&ds, &dir.path().join("out")).unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::InvalidData);
    assert!(!dir.path().join("out").exists());
}

// ---------------------------------------------------------------------------------------------
// The built-in dataset.

#[test]
fn builtin_yrd_dataset_is_valid() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/yrd");
    let ds = read_dir(&dir).unwrap_or_else(|e| panic!("data/yrd is invalid:\n{e}"));

    let by_code = |c: &str| ds.jurisdictions.iter().find(|j| j.code == code(c));
    let members = ["310000", "320000", "330000", "340000"];
    for m in members {
        let j = by_code(m).unwrap_or_else(|| panic!("member {m} is missing"));
        assert_eq!(j.parent, None, "{m} is a provincial-level member");
    }
    let prefectures = ds
        .jurisdictions
        .iter()
        .filter(|j| j.code.level() == yrd_domain::code::Level::Prefecture)
        .filter(|j| {
            j.parent
                .is_some_and(|p| members.contains(&p.to_string().as_str()))
        })
        .count();
    // Shanghai is itself a prefecture-level city of the 41, listed as a member.
    assert_eq!(
        prefectures + 1,
        41,
        "prefecture-level cities besides Shanghai"
    );
    for (c, zh) in [
        ("310118", "青浦区"),
        ("320509", "吴江区"),
        ("330421", "嘉善县"),
    ] {
        assert_eq!(by_code(c).map(|j| j.name.zh.as_str()), Some(zh), "{c}");
    }
    let wenzhou = by_code("330300").expect("330300");
    assert_eq!(wenzhou.name.zh, "温州市");
    assert_eq!(wenzhou.parent, Some(code("330000")));

    assert!(
        ds.zones.iter().any(|z| z.members.len() == 27
            && z.members
                .iter()
                .all(|m| m.level() == yrd_domain::code::Level::Prefecture
                    || members.contains(&m.to_string().as_str()))),
        "a zone of the 27 central-area cities"
    );

    let hosted_by_wenzhou_in_2024: Vec<&str> = ds
        .meetings
        .iter()
        .filter(|m| m.host == Some(code("330300")) && m.start.year() == 2024)
        .map(|m| m.key.as_str())
        .collect();
    assert!(
        !hosted_by_wenzhou_in_2024.is_empty(),
        "a meeting hosted by Wenzhou in 2024"
    );
    assert!(
        ds.decisions
            .iter()
            .any(|d| hosted_by_wenzhou_in_2024.contains(&d.meeting.as_str())),
        "a meeting hosted by Wenzhou in 2024 has decisions: {hosted_by_wenzhou_in_2024:?}"
    );

    assert!(
        ds.plans
            .iter()
            .any(|p| p.areas.len() == 9 && p.period_start == 2024 && p.period_end == 2026),
        "the 2024–2026 action plan with nine areas"
    );

    assert!(!ds.observations.is_empty());
    for o in &ds.observations {
        assert!(
            !o.source.trim().is_empty(),
            "observation {} has no source",
            o.key
        );
    }

    // `yrd export` of the built-in data imports back unchanged.
    let out = tempfile::tempdir().unwrap();
    write_dir(&ds, out.path()).unwrap();
    assert_eq!(read_dir(out.path()).unwrap_or_else(|e| panic!("{e}")), ds);
}

// ---------------------------------------------------------------------------------------------
// What the mechanism records: the fixture with a closed and a scheduled meeting of yrd, a
// carried-over matter, a sub-task, a returned report, escalated and resolved problems, signed
// and terminated agreements and the members' keys. `{…}` stand for hashes and keys.

const PLANS_ADDED: &str = r#"
[[plan]]
key = "work-plan-2027"
kind = "work_plan"
title = { zh = "2027年工作计划", en = "2027 work plan" }
parent = "action-plan"
period = [2027, 2027]
stage = "draft"
source = "yrd:user:office"
"#;

const MEETINGS_ADDED: &str = r#"
[[meeting]]
key = "symposium-2025"
body = "symposium"
title = { zh = "2025年座谈会", en = "2025 Symposium" }
start = "2025-06-05"
closed_on = "2025-06-06"
source = "yrd:user:office"

[[meeting.decisions]]
key = "symposium-2025.1"
title = { zh = "修订行动方案", en = "Revise the action plan" }
subject = { kind = "other" }
supersedes = "symposium-2024.plan"
outcome = "adopted"
positions = [
  { jurisdiction = "310000", stance = "consent" },
  { jurisdiction = "320000", stance = "consent" },
  { jurisdiction = "330000", stance = "consent" },
]

[[meeting]]
key = "symposium-2026"
body = "symposium"
title = { zh = "2026年座谈会", en = "2026 Symposium" }
start = "2026-06-05"
host = "320000"
host_reason = { zh = "配合重大活动", en = "To coincide with a major event" }
state = "scheduled"
source = "yrd:user:office"

[[meeting.documents]]
title = { zh = "会议方案", en = "Programme" }
url = "https://example.org/programme.pdf"

[[meeting.decisions]]
key = "symposium-2026.1"
title = { zh = "议题", en = "Item" }
subject = { kind = "other" }
positions = []
"#;

const MATTERS_ADDED: &str = r#"
[[matter]]
key = "bridge-2027"
plan = "work-plan-2027"
title = { zh = "跨界桥梁（续）", en = "Cross-border bridge (continued)" }
leads = ["330000"]
participants = []
carried_from = "bridge"
source = "yrd:user:office"
"#;

const MECHANISM_TASKS: &str = "\
key,matter,parent,jurisdiction,unit_zh,unit_en,title_zh,title_en,start,due,source
rail.sh,rail,,310000,上海市发展改革委,Shanghai DRC,建设,Build,2024-06-06,2025-12-31,seed:001.txt
rail.js,rail,,320000,江苏省发展改革委,Jiangsu DRC,建设,Build,,2026-06-30,seed:001.txt
rail.sh.1,rail,rail.sh,310000,上海市交通委,Shanghai Transport,线路规划,Route planning,,2025-06-30,yrd:user:sh-coordinator
bridge-2027.330000,bridge-2027,,330000,浙江省交通厅,Zhejiang Transport,建设,Build,,2027-12-31,yrd:user:office
";

const MECHANISM_REPORTS: &str = "\
key,task,as_of,percent,state,narrative_zh,narrative_en,evidence,return_reason_zh,return_reason_en,source
rail.sh.2024,rail.sh,2024-12-31,40,verified,进展顺利,On track,https://example.org/e1,,,seed:001.txt
rail.js.2025,rail.js,2025-06-30,30,returned,进展,Progress,,缺少佐证材料,Evidence missing,yrd:user:js-officer
";

const MECHANISM_PROBLEMS: &str = "\
key,matter,task,title_zh,title_en,description_zh,description_en,tier,raised_on,due,escalated_on,resolved_on,resolved_tier,resolution_zh,resolution_en,source
land,rail,rail.js,用地指标,Land quota,,,execution,2025-01-10,,,,,,,seed:001.txt
approvals,rail,,审批时限,Approval deadlines,跨省审批时限不一,Deadlines differ,coordination,2025-07-01,2025-11-30,2025-10-01,,,,,yrd:user:js-officer
data,rail,,数据共享,Data sharing,,,coordination,2025-07-01,2025-11-30,2025-10-01,2025-11-15,coordination,商定共享目录,A shared catalogue,yrd:user:js-officer
";

const AGREEMENTS_ADDED: &str = r#"
[[agreement]]
key = "data-pact"
title = { zh = "数据互认协议", en = "Data recognition agreement" }
meeting = "symposium-2025"
signed_on = "2026-03-02"
in_force_on = "2026-03-02"
expires_on = "2030-12-31"
text = { zh = "定稿", en = "Final text" }
text_hash = "{HASH}"
source = "yrd:user:office"

[[agreement.parties]]
jurisdiction = "310000"
signed_on = "2026-03-02"

[[agreement.parties]]
jurisdiction = "320000"
signed_on = "2026-03-02"

[[agreement.signatures]]
jurisdiction = "310000"
text_hash = "{OLD}"
key_id = "00000000000000a1"
signature = "{SIGNATURE}"
signed_by = "sh-coordinator"
signed_at = "2026-02-01T09:00:00Z"

[[agreement.signatures]]
jurisdiction = "310000"
text_hash = "{HASH}"
key_id = "00000000000000a1"
signature = "{SIGNATURE}"
signed_by = "sh-coordinator"
signed_at = "2026-03-01T09:00:00Z"

[[agreement.signatures]]
jurisdiction = "320000"
text_hash = "{HASH}"
key_id = "00000000000000b1"
signature = "{SIGNATURE}"
signed_by = "js-coordinator"
signed_at = "2026-03-02T10:00:00.5+08:00"

[[agreement]]
key = "old-pact"
title = { zh = "旧协议", en = "Old agreement" }
state = "terminated"
ended_on = "2026-02-28"
ended_reason = { zh = "被取代", en = "Replaced" }
text = { zh = "旧文本", en = "Old text" }
text_hash = "{OLD}"
source = "yrd:user:office"

[[agreement.parties]]
jurisdiction = "310000"

[[agreement.parties]]
jurisdiction = "320000"
"#;

const MEMBER_KEYS: &str = "\
id,jurisdiction,public_key,created_at,retired_at
00000000000000a0,310000,{KEY_A0},2025-01-01T00:00:00Z,2026-01-15T00:00:00Z
00000000000000a1,310000,{KEY_A1},2026-01-15T00:00:00Z,
00000000000000b1,320000,{KEY_B1},2025-01-01T00:00:00Z,
";

/// The hash of data-pact's text, and of old-pact's (which Shanghai also signed for data-pact
/// before the text changed).
fn hashes() -> (String, String) {
    (
        agreement_text_hash(&t("定稿", "Final text")),
        agreement_text_hash(&t("旧文本", "Old text")),
    )
}

/// The mechanism fixture's files, placeholders filled in.
fn mechanism_files() -> Vec<(&'static str, String)> {
    let (hash, old) = hashes();
    let fill = |text: &str| {
        text.replace("{HASH}", &hash)
            .replace("{OLD}", &old)
            .replace("{SIGNATURE}", &"ab".repeat(64))
            .replace("{KEY_A0}", &"a0".repeat(32))
            .replace("{KEY_A1}", &"a1".repeat(32))
            .replace("{KEY_B1}", &"b1".repeat(32))
    };
    let mut files: Vec<(&str, String)> = FIXTURE
        .iter()
        .map(|&(file, content)| {
            let content = match file {
                "plans.toml" => format!("{content}{PLANS_ADDED}"),
                "meetings.toml" => format!("{content}{MEETINGS_ADDED}"),
                "matters.toml" => format!("{content}{MATTERS_ADDED}"),
                "tasks.csv" => MECHANISM_TASKS.to_owned(),
                "reports.csv" => MECHANISM_REPORTS.to_owned(),
                "problems.csv" => MECHANISM_PROBLEMS.to_owned(),
                "agreements.toml" => format!("{content}{AGREEMENTS_ADDED}"),
                _ => content.to_owned(),
            };
            (file, fill(&content))
        })
        .collect();
    files.push(("member_keys.csv", fill(MEMBER_KEYS)));
    files
}

/// Like [`read_edited`], on the mechanism fixture.
fn read_mechanism(edits: &[(&str, &str, &str)]) -> Result<Dataset, DatasetErrors> {
    let dir = tempfile::tempdir().unwrap();
    for (file, mut content) in mechanism_files() {
        for &(_, from, to) in edits.iter().filter(|(f, _, _)| *f == file) {
            assert_eq!(
                content.matches(from).count(),
                1,
                "{from:?} must occur once in {file}"
            );
            content = content.replacen(from, to, 1);
        }
        fs::write(dir.path().join(file), content).unwrap();
    }
    read_dir(dir.path())
}

fn mechanism_errors(edits: &[(&str, &str, &str)]) -> Vec<String> {
    match read_mechanism(edits) {
        Ok(_) => panic!("the edits {edits:?} should make the dataset invalid"),
        Err(e) => e.errors.iter().map(ToString::to_string).collect(),
    }
}

#[test]
fn the_mechanisms_state_is_read_with_defaults_for_the_public_record() {
    let ds = read_mechanism(&[]).unwrap_or_else(|e| panic!("{e}"));
    let meeting = |key: &str| ds.meetings.iter().find(|m| m.key == key).unwrap();
    let public = meeting("symposium-2024");
    assert_eq!(
        (public.state, public.closed_on, public.documents.len()),
        (MeetingState::Closed, None, 0),
        "a meeting without a state is closed"
    );
    let scheduled = meeting("symposium-2026");
    assert_eq!(scheduled.state, MeetingState::Scheduled);
    assert_eq!(scheduled.host_reason.en, "To coincide with a major event");
    assert_eq!(
        scheduled.documents,
        [Document {
            title: t("会议方案", "Programme"),
            url: "https://example.org/programme.pdf".into(),
        }]
    );
    assert_eq!(
        meeting("symposium-2025").closed_on,
        Some(date("2025-06-06"))
    );
    let decision = ds
        .decisions
        .iter()
        .find(|d| d.key == "symposium-2025.1")
        .unwrap();
    assert_eq!(decision.outcome, Some(DecisionStatus::Adopted));
    assert_eq!(decision.supersedes.as_deref(), Some("symposium-2024.plan"));
    assert_eq!(
        ds.decisions[0].outcome, None,
        "the public record's decision"
    );

    let carried = ds.matters.iter().find(|m| m.key == "bridge-2027").unwrap();
    assert_eq!(carried.carried_from.as_deref(), Some("bridge"));
    let subtask = ds.tasks.iter().find(|t| t.key == "rail.sh.1").unwrap();
    assert_eq!(subtask.parent.as_deref(), Some("rail.sh"));
    let returned = ds.reports.iter().find(|r| r.key == "rail.js.2025").unwrap();
    assert_eq!(
        returned.return_reason,
        t("缺少佐证材料", "Evidence missing")
    );
    let problem = |key: &str| ds.problems.iter().find(|p| p.key == key).unwrap();
    assert_eq!(problem("approvals").escalated_on, Some(date("2025-10-01")));
    assert_eq!(problem("approvals").description.en, "Deadlines differ");
    assert_eq!(problem("data").resolved_tier, Some(Tier::Coordination));
    assert_eq!(
        (problem("land").escalated_on, problem("land").resolved_tier),
        (None, None)
    );

    let agreement = |key: &str| ds.agreements.iter().find(|a| a.key == key).unwrap();
    let (hash, old) = hashes();
    let pact = agreement("data-pact");
    assert_eq!(pact.state, AgreementState::InForce, "the default state");
    assert_eq!(pact.text_hash.as_deref(), Some(hash.as_str()));
    assert_eq!(pact.expires_on, Some(date("2030-12-31")));
    let signed: Vec<(&str, &str)> = pact
        .signatures
        .iter()
        .map(|s| (s.key_id.as_str(), s.text_hash.as_str()))
        .collect();
    assert_eq!(
        signed,
        [
            ("00000000000000a1", old.as_str()),
            ("00000000000000a1", hash.as_str()),
            ("00000000000000b1", hash.as_str()),
        ]
    );
    let ended = agreement("old-pact");
    assert_eq!(ended.state, AgreementState::Terminated);
    assert_eq!(ended.ended_reason, t("被取代", "Replaced"));
    let framework = agreement("rail-framework");
    assert_eq!(
        (framework.state, framework.text_hash.as_deref()),
        (AgreementState::InForce, None),
        "an agreement of the public record"
    );
    assert_eq!(ds.member_keys.len(), 3);
    assert_eq!(
        ds.member_keys[0].retired_at.as_deref(),
        Some("2026-01-15T00:00:00Z")
    );
}

#[test]
fn the_mechanisms_state_round_trips_through_files() {
    let ds = read_mechanism(&[]).unwrap_or_else(|e| panic!("{e}"));
    // Signatures are listed as they were made, whatever order they come in.
    let mut shuffled = ds.clone();
    for a in &mut shuffled.agreements {
        a.signatures.reverse();
    }
    let dir = tempfile::tempdir().unwrap();
    write_dir(&shuffled, dir.path()).unwrap();
    let read = read_dir(dir.path()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(read, ds);
    let again = tempfile::tempdir().unwrap();
    write_dir(&read, again.path()).unwrap();
    for file in fs::read_dir(dir.path()).unwrap() {
        let file = file.unwrap();
        assert_eq!(
            fs::read(file.path()).unwrap(),
            fs::read(again.path().join(file.file_name())).unwrap(),
            "{:?}",
            file.file_name()
        );
    }

    // Defaults are left out: only the meeting being prepared and the agreement that ended say
    // where they are.
    let meetings = fs::read_to_string(dir.path().join("meetings.toml")).unwrap();
    assert_eq!(meetings.matches("state = ").count(), 1, "{meetings}");
    assert!(
        meetings.contains("state = \"scheduled\"\nsource = \"yrd:user:office\"\n"),
        "{meetings}"
    );
    assert!(
        meetings.contains("\n[[meeting.documents]]\ntitle = { zh = \"会议方案\", en = \"Programme\" }\nurl = \"https://example.org/programme.pdf\"\n"),
        "{meetings}"
    );
    assert!(
        meetings.contains("supersedes = \"symposium-2024.plan\"\noutcome = \"adopted\"\n"),
        "{meetings}"
    );
    let agreements = fs::read_to_string(dir.path().join("agreements.toml")).unwrap();
    assert_eq!(agreements.matches("state = ").count(), 1, "{agreements}");
    assert_eq!(
        agreements.matches("[[agreement.signatures]]").count(),
        3,
        "{agreements}"
    );
    let keys = fs::read_to_string(dir.path().join("member_keys.csv")).unwrap();
    assert!(
        keys.starts_with("id,jurisdiction,public_key,created_at,retired_at\n00000000000000a0,"),
        "{keys}"
    );
    for (file, header) in [
        (
            "tasks.csv",
            "key,matter,parent,jurisdiction,unit_zh,unit_en,title_zh,title_en,start,due,source",
        ),
        (
            "reports.csv",
            "key,task,as_of,percent,state,narrative_zh,narrative_en,evidence,return_reason_zh,return_reason_en,source",
        ),
        (
            "problems.csv",
            "key,matter,task,title_zh,title_en,description_zh,description_en,tier,raised_on,due,escalated_on,resolved_on,resolved_tier,resolution_zh,resolution_en,source",
        ),
    ] {
        let written = fs::read_to_string(dir.path().join(file)).unwrap();
        assert_eq!(written.lines().next(), Some(header), "{file}");
    }
}

#[test]
fn the_new_csv_columns_may_be_left_out_but_not_misspelt() {
    // The fixture's tasks, reports and problems predate the columns.
    let ds = read_edited(&[]).unwrap_or_else(|e| panic!("{e}"));
    assert!(ds.tasks.iter().all(|t| t.parent.is_none()));
    assert!(ds.reports.iter().all(|r| r.return_reason.is_empty()));
    assert!(ds.problems.iter().all(|p| p.description.is_empty()));
    let found = mechanism_errors(&[("tasks.csv", "key,matter,parent,", "key,matter,parnet,")]);
    assert!(
        found[0].starts_with(r#"tasks.csv:1: "parnet": unknown column"#),
        "{found:?}"
    );
    assert_eq!(
        mechanism_errors(&[(
            "member_keys.csv",
            ",created_at,retired_at\n",
            ",created_at\n"
        )])
        .first()
        .map(String::as_str),
        Some("member_keys.csv:1: retired_at: missing column(s) in the header")
    );
}

#[test]
fn a_meetings_state_and_closing_day() {
    assert_eq!(
        mechanism_errors(&[(
            "meetings.toml",
            r#"state = "scheduled""#,
            r#"state = "postponed""#
        )]),
        ["meetings.toml:45: state: unknown value `postponed`, expected `scheduled` or `closed`"]
    );
    assert_eq!(
        mechanism_errors(&[(
            "meetings.toml",
            "state = \"scheduled\"\n",
            "state = \"scheduled\"\nclosed_on = \"2026-06-06\"\n"
        )]),
        [
            "meetings.toml:46: closed_on: a scheduled meeting has not closed: leave closed_on out, or make it closed"
        ]
    );
    assert_eq!(
        mechanism_errors(&[(
            "meetings.toml",
            r#"closed_on = "2025-06-06""#,
            r#"closed_on = "2025-06-04""#
        )]),
        ["meetings.toml:23: closed_on: 2025-06-04 is before start 2025-06-05"]
    );
    assert_eq!(
        mechanism_errors(&[(
            "meetings.toml",
            r#"closed_on = "2025-06-06""#,
            r#"closed_on = "2025-06""#
        )]),
        [
            r#"meetings.toml:23: closed_on: "2025-06" is not a full date: YYYY-MM-DD is required here"#
        ]
    );
}

#[test]
fn a_meetings_documents() {
    assert_eq!(
        mechanism_errors(&[(
            "meetings.toml",
            "https://example.org/programme.pdf",
            "ftp://example.org/programme.pdf"
        )]),
        [
            r#"meetings.toml:50: documents.url: "ftp://example.org/programme.pdf" is not a URL (http:// or https://)"#
        ]
    );
    assert_eq!(
        mechanism_errors(&[(
            "meetings.toml",
            r#"{ zh = "会议方案", en = "Programme" }"#,
            r#"{ zh = "", en = "" }"#
        )]),
        ["meetings.toml:49: documents.title: required in at least one language"]
    );
    // Either language will do, as the store accepts it.
    read_mechanism(&[(
        "meetings.toml",
        r#"{ zh = "会议方案", en = "Programme" }"#,
        r#"{ en = "Programme" }"#,
    )])
    .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn a_decisions_frozen_outcome() {
    assert_eq!(
        mechanism_errors(&[(
            "meetings.toml",
            r#"outcome = "adopted""#,
            r#"outcome = "approved""#
        )]),
        [
            "meetings.toml:31: decisions.outcome: unknown value `approved`, expected one of `pending`, `adopted`, \
             `adopted_in_principle`, `blocked`"
        ]
    );
    assert_eq!(
        mechanism_errors(&[(
            "meetings.toml",
            "subject = { kind = \"other\" }\npositions = []",
            "subject = { kind = \"other\" }\noutcome = \"pending\"\npositions = []"
        )]),
        [
            r#"meetings.toml:56: decisions.outcome: meeting "symposium-2026" is scheduled: an outcome is frozen only when it closes"#
        ]
    );
}

#[test]
fn a_decision_supersedes_a_closed_decision_of_its_body() {
    let supersede = |key: &str| {
        mechanism_errors(&[(
            "meetings.toml",
            r#"supersedes = "symposium-2024.plan""#,
            &format!("supersedes = {key:?}"),
        )])
    };
    assert_eq!(
        supersede("symposium-2023.plan"),
        [r#"meetings.toml:30: decisions.supersedes: unknown decision "symposium-2023.plan""#]
    );
    assert_eq!(
        supersede("symposium-2025.1"),
        ["meetings.toml:30: decisions.supersedes: a decision cannot supersede itself"]
    );
    assert_eq!(
        supersede("symposium-2026.1"),
        [
            r#"meetings.toml:30: decisions.supersedes: "symposium-2026.1" belongs to meeting "symposium-2026", which is not closed"#
        ]
    );

    // Built in code: a decision of the same meeting, and one of another body.
    let mut ds = read_mechanism(&[]).unwrap();
    let mut second = ds.decisions[1].clone();
    second.key = "symposium-2025.2".into();
    second.seq = 2;
    second.supersedes = Some("symposium-2025.1".into());
    ds.decisions.push(second);
    let mut group = ds.bodies[0].clone();
    group.key = "group".into();
    ds.bodies.push(group);
    ds.meetings
        .iter_mut()
        .find(|m| m.key == "symposium-2024")
        .unwrap()
        .body = "group".into();
    let shown: Vec<String> = validate(&ds)
        .unwrap_err()
        .errors
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        shown,
        [
            r#"meetings.toml: symposium-2025.1: decisions.supersedes: "symposium-2024.plan" is a decision of body "group", not "symposium""#,
            r#"meetings.toml: symposium-2025.2: decisions.supersedes: "symposium-2025.1" is a decision of the same meeting"#,
        ]
    );
}

#[test]
fn a_carried_over_matter() {
    assert_eq!(
        mechanism_errors(&[(
            "matters.toml",
            r#"carried_from = "bridge""#,
            r#"carried_from = "bridges""#
        )]),
        [r#"matters.toml:26: carried_from: unknown matter "bridges""#]
    );
    assert_eq!(
        mechanism_errors(&[(
            "matters.toml",
            r#"carried_from = "bridge""#,
            r#"carried_from = "bridge-2027""#
        )]),
        ["matters.toml:26: carried_from: a matter cannot carry itself over"]
    );
}

#[test]
fn a_sub_task_hangs_under_a_task_of_its_matter_and_member() {
    let parent =
        |row: &str| mechanism_errors(&[("tasks.csv", "rail.sh.1,rail,rail.sh,310000,", row)]);
    assert_eq!(
        parent("rail.sh.1,rail,rail.sx,310000,"),
        [r#"tasks.csv:4: parent: unknown task "rail.sx""#]
    );
    assert_eq!(
        parent("rail.sh.1,rail,rail.sh.1,310000,"),
        ["tasks.csv:4: parent: a task cannot be its own sub-task"]
    );
    assert_eq!(
        parent("rail.sh.1,rail,rail.sh,320000,"),
        [r#"tasks.csv:4: parent: task "rail.sh" is 310000's, not 320000's"#]
    );
    assert_eq!(
        parent("rail.sh.1,rail,bridge-2027.330000,310000,"),
        [
            r#"tasks.csv:4: parent: task "bridge-2027.330000" belongs to matter "bridge-2027", not "rail""#
        ]
    );
    assert_eq!(
        mechanism_errors(&[(
            "tasks.csv",
            "yrd:user:sh-coordinator\n",
            "yrd:user:sh-coordinator\nrail.sh.1.1,rail,rail.sh.1,310000,上海市交通委,,细化,,,2025-06-30,yrd:user:sh-coordinator\n"
        )]),
        [
            r#"tasks.csv:5: parent: task "rail.sh.1" is itself a sub-task (of "rail.sh"): sub-tasks are not split further"#
        ]
    );
}

#[test]
fn only_a_returned_report_has_a_return_reason() {
    assert_eq!(
        mechanism_errors(&[(
            "reports.csv",
            "https://example.org/e1,,,",
            "https://example.org/e1,,Not needed,"
        )]),
        ["reports.csv:2: return_reason: only a returned report has the reason it was returned for"]
    );
}

#[test]
fn a_problems_escalation_and_resolution() {
    let problems = |from: &str, to: &str| mechanism_errors(&[("problems.csv", from, to)]);
    assert_eq!(
        problems("2025-01-10,,,,,", "2025-01-10,,2025-02-01,,,"),
        [
            "problems.csv:2: escalated_on: a problem at the execution tier, where problems are raised, was never escalated"
        ]
    );
    assert_eq!(
        problems("2025-11-30,2025-10-01,,", "2025-11-30,2025-06-01,,"),
        ["problems.csv:3: escalated_on: 2025-06-01 is before raised_on 2025-07-01"]
    );
    assert_eq!(
        problems("2025-11-30,2025-10-01,,", "2025-11-30,2025-10,,"),
        [
            r#"problems.csv:3: escalated_on: "2025-10" is not a full date: YYYY-MM-DD is required here"#
        ]
    );
    assert_eq!(
        problems("2025-10-01,2025-11-15,", "2025-10-01,2025-09-15,"),
        ["problems.csv:4: resolved_on: 2025-09-15 is before escalated_on 2025-10-01"]
    );
    assert_eq!(
        problems(
            "2025-11-30,2025-10-01,,,",
            "2025-11-30,2025-10-01,,coordination,"
        ),
        ["problems.csv:3: resolved_tier: only a resolved problem has the tier that resolved it"]
    );
    assert_eq!(
        problems(",coordination,商定", ",decision,商定"),
        [
            "problems.csv:4: resolved_tier: decision is not the tier that holds the problem (coordination)"
        ]
    );
    assert_eq!(
        problems(",coordination,商定", ",top,商定"),
        [
            "problems.csv:4: resolved_tier: unknown value `top`, expected one of `decision`, `coordination`, `execution`"
        ]
    );
}

#[test]
fn an_agreements_state_and_end() {
    let edit = |from: &str, to: &str| mechanism_errors(&[("agreements.toml", from, to)]);
    assert_eq!(
        edit(r#"state = "terminated""#, r#"state = "void""#),
        [
            "agreements.toml:60: state: unknown value `void`, expected one of `draft`, `open`, `in_force`, `terminated`"
        ]
    );
    assert_eq!(
        edit(r#"state = "terminated""#, r#"state = "expired""#),
        [
            "agreements.toml:60: state: `expired` follows from expires_on and is not written: write the state it expired from, `in_force`"
        ]
    );
    assert_eq!(
        edit("ended_on = \"2026-02-28\"\n", ""),
        ["agreements.toml:57: ended_on: required for a terminated agreement"]
    );
    assert_eq!(
        edit(r#"state = "terminated""#, r#"state = "open""#),
        [
            "agreements.toml:61: ended_on: only a terminated agreement has ended",
            "agreements.toml:62: ended_reason: only a terminated agreement has ended",
        ]
    );
    assert_eq!(
        edit(r#"expires_on = "2030-12-31""#, r#"expires_on = "2030-12""#),
        [
            r#"agreements.toml:20: expires_on: "2030-12" is not a full date: YYYY-MM-DD is required here"#
        ]
    );
}

#[test]
fn an_agreements_text_and_its_hash() {
    let (hash, old) = hashes();
    let edit = |from: &str, to: &str| mechanism_errors(&[("agreements.toml", from, to)]);
    assert_eq!(
        edit(&format!("text_hash = \"{old}\"\nsource"), "source"),
        ["agreements.toml:57: text_hash: required with a text: what its signatures bind"]
    );
    assert_eq!(
        edit("text = { zh = \"旧文本\", en = \"Old text\" }\n", ""),
        ["agreements.toml:63: text_hash: only an agreement with a text has its hash"]
    );
    assert_eq!(
        edit(
            &format!("text_hash = \"{old}\"\nsource"),
            "text_hash = \"ABC\"\nsource"
        ),
        [r#"agreements.toml:64: text_hash: "ABC" is not 64 lowercase hex digits"#]
    );
    // A text changed by hand no longer matches the hash its signatures bind.
    let changed = agreement_text_hash(&t("定稿", "Final text!"));
    assert_eq!(
        edit(r#"en = "Final text" }"#, r#"en = "Final text!" }"#),
        [format!(
            "agreements.toml:22: text_hash: {hash} is not the hash of the text, which is {changed}"
        )]
    );
    assert_eq!(
        edit(
            "key = \"rail-framework\"\n",
            "key = \"rail-framework\"\nstate = \"open\"\n"
        ),
        [
            "agreements.toml:1: text: a draft or an agreement open for signature has the text its parties sign"
        ]
    );
}

#[test]
fn an_agreements_signatures() {
    let (hash, old) = hashes();
    let edit = |from: &str, to: &str| mechanism_errors(&[("agreements.toml", from, to)]);
    assert_eq!(
        edit(
            "expires_on = \"2030-12-31\"\n",
            "expires_on = \"2030-12-31\"\nstate = \"draft\"\n"
        ),
        ["agreements.toml:34: signatures: a draft is not signed: it is opened first"]
    );
    assert_eq!(
        edit(
            "jurisdiction = \"320000\"\ntext_hash",
            "jurisdiction = \"330000\"\ntext_hash"
        ),
        [
            "agreements.toml:50: signatures.jurisdiction: 330000 is not a party to the agreement",
            r#"agreements.toml:52: signatures.key_id: key "00000000000000b1" is 320000's, not 330000's"#,
        ]
    );
    assert_eq!(
        edit(
            r#"key_id = "00000000000000b1""#,
            r#"key_id = "00000000000000b2""#
        ),
        [r#"agreements.toml:52: signatures.key_id: unknown member key "00000000000000b2""#]
    );
    assert_eq!(
        edit(r#"signed_by = "js-coordinator""#, r#"signed_by = """#),
        ["agreements.toml:54: signatures.signed_by: required, but empty"]
    );
    assert_eq!(
        edit("2026-03-02T10:00:00.5+08:00", "2026-03-02 10:00"),
        [
            r#"agreements.toml:55: signatures.signed_at: "2026-03-02 10:00" is not an RFC 3339 time such as "2025-06-05T08:30:00Z""#
        ]
    );
    let signature = "ab".repeat(64);
    assert_eq!(
        mechanism_errors(&[(
            "agreements.toml",
            &format!("signature = \"{signature}\"\nsigned_by = \"js-coordinator\""),
            "signature = \"abc\"\nsigned_by = \"js-coordinator\"",
        )]),
        [r#"agreements.toml:53: signatures.signature: "abc" is not 128 lowercase hex digits"#]
    );
    assert_eq!(
        edit(
            &format!("text_hash = \"{old}\"\nkey_id"),
            &format!("text_hash = \"{hash}\"\nkey_id")
        ),
        ["agreements.toml:43: signatures.text_hash: 310000 signed this text twice"]
    );
}

#[test]
fn members_keys() {
    let edit = |from: &str, to: &str| mechanism_errors(&[("member_keys.csv", from, to)]);
    assert_eq!(
        edit("00000000000000a0,", "00000000000000A0,"),
        [r#"member_keys.csv:2: id: "00000000000000A0" is not 16 lowercase hex digits"#]
    );
    assert_eq!(
        edit("00000000000000b1,", "00000000000000a1,"),
        [
            r#"agreements.toml:52: signatures.key_id: unknown member key "00000000000000b1""#,
            r#"member_keys.csv:4: id: duplicate id "00000000000000a1""#,
        ]
    );
    assert_eq!(
        edit("00000000000000b1,320000,", "00000000000000b1,340000,"),
        [
            r#"agreements.toml:52: signatures.key_id: key "00000000000000b1" is 340000's, not 320000's"#,
            "member_keys.csv:4: jurisdiction: unknown jurisdiction code 340000",
        ]
    );
    let b1 = "b1".repeat(32);
    assert_eq!(
        edit(&b1, "b1"),
        [r#"member_keys.csv:4: public_key: "b1" is not 64 lowercase hex digits"#]
    );
    assert_eq!(
        edit(&b1, &"a1".repeat(32)),
        [r#"member_keys.csv:4: public_key: the same public key as key "00000000000000a1""#]
    );
    assert_eq!(
        edit("b1,2025-01-01T00:00:00Z", "b1,yesterday"),
        [
            r#"member_keys.csv:4: created_at: "yesterday" is not an RFC 3339 time such as "2025-06-05T08:30:00Z""#
        ]
    );
    assert_eq!(
        edit("Z,2026-01-15T00:00:00Z\n", "Z,\n"),
        [
            r#"member_keys.csv:3: retired_at: 310000 has another active key, "00000000000000a0": a member signs with one key at a time"#
        ]
    );
}
