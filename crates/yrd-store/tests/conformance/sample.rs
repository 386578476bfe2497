//! A small synthetic region, built in code so every case knows exactly what is stored.

use time::macros::date;
use yrd_domain::*;

pub fn code(s: &str) -> AdminCode {
    s.parse().expect("valid code")
}

fn t(zh: &str, en: &str) -> Text {
    Text::new(zh, en)
}

pub const A: &str = "310000";
pub const B: &str = "320000";
pub const B_CITY: &str = "320500";

pub fn dataset() -> Dataset {
    let src = "seed:sample".to_string();
    let members = vec![code(A), code(B)];
    let jurisdictions = vec![
        Jurisdiction {
            code: code(A),
            parent: None,
            name: t("上海市", "Shanghai"),
            centroid: Some(LatLon {
                lat: 31.2317,
                lon: 121.4726,
            }),
            source: src.clone(),
        },
        Jurisdiction {
            code: code(B),
            parent: None,
            name: t("江苏省", "Jiangsu"),
            centroid: None,
            source: src.clone(),
        },
        Jurisdiction {
            code: code(B_CITY),
            parent: Some(code(B)),
            name: t("苏州市", "Suzhou"),
            centroid: Some(LatLon {
                lat: 31.2994,
                lon: 120.6196,
            }),
            source: src.clone(),
        },
    ];
    let zones = vec![Zone {
        key: "core".into(),
        name: t("核心区", "Core"),
        description: Text::default(),
        members: vec![code(B_CITY), code(A)],
        source: src.clone(),
    }];
    let bodies = vec![Body {
        key: "symposium".into(),
        name: t("主要领导座谈会", "Main Leaders' Symposium"),
        tier: Tier::Decision,
        description: Text::default(),
        members: members.clone(),
        host_rotation: vec![code(B), code(A)],
        source: src.clone(),
    }];
    let seats = vec![Seat {
        key: "symposium.a.secretary".into(),
        body: "symposium".into(),
        jurisdiction: code(A),
        role: t("市委书记", "Party Secretary"),
        holder: t("某甲", "Person A"),
        term_start: "2024".parse().unwrap(),
        term_end: None,
        source: src.clone(),
    }];
    let plans = vec![
        Plan {
            key: "outline".into(),
            kind: PlanKind::Outline,
            title: t("纲要", "Outline"),
            parent: None,
            period_start: 2019,
            period_end: 2025,
            stage: PlanStage::InForce,
            adopted_on: Some("2019-05".parse().unwrap()),
            issued_on: None,
            issuer: Text::default(),
            summary: Text::default(),
            areas: vec![],
            published: true,
            source: src.clone(),
        },
        Plan {
            key: "action-2024".into(),
            kind: PlanKind::ActionPlan,
            title: t("三年行动计划", "Action plan"),
            parent: Some("outline".into()),
            period_start: 2024,
            period_end: 2026,
            stage: PlanStage::InForce,
            adopted_on: Some("2024-06-06".parse().unwrap()),
            issued_on: None,
            issuer: Text::default(),
            summary: Text::default(),
            areas: vec![
                Area {
                    key: "tech".into(),
                    seq: 1,
                    name: t("科技", "Technology"),
                    stated_task_count: Some(20),
                },
                Area {
                    key: "green".into(),
                    seq: 2,
                    name: t("生态", "Ecology"),
                    stated_task_count: None,
                },
            ],
            published: true,
            source: src.clone(),
        },
    ];
    let meetings = (2021..=2024)
        .map(|year| Meeting {
            key: format!("symposium-{year}"),
            body: "symposium".into(),
            title: t(&format!("{year}年座谈会"), &format!("{year} symposium")),
            start: format!("{year}-06-05").parse().unwrap(),
            end: None,
            host: Some(if year % 2 == 0 { code(A) } else { code(B_CITY) }),
            theme: Text::default(),
            attendees: vec![Attendee {
                name: t("某甲", "Person A"),
                role: t("书记", "Secretary"),
                jurisdiction: Some(code(A)),
            }],
            agenda: vec![t("议程", "Agenda")],
            outcomes: vec![],
            host_reason: Text::default(),
            documents: vec![],
            state: MeetingState::Closed,
            closed_on: None,
            source: src.clone(),
        })
        .collect();
    let decisions = vec![
        Decision {
            key: "symposium-2024.plan".into(),
            meeting: "symposium-2024".into(),
            seq: 1,
            title: t("原则同意行动计划", "Adopt the action plan in principle"),
            subject: DecisionSubject::AdoptPlan {
                plan: "action-2024".into(),
            },
            positions: vec![
                Position {
                    jurisdiction: code(B),
                    stance: Stance::ConsentInPrinciple,
                    comment: Text::default(),
                },
                Position {
                    jurisdiction: code(A),
                    stance: Stance::Consent,
                    comment: t("同意", "Agreed"),
                },
            ],
            outcome: None,
            supersedes: None,
            source: src.clone(),
        },
        Decision {
            key: "symposium-2024.host".into(),
            meeting: "symposium-2024".into(),
            seq: 2,
            title: t("下届东道主", "Next host"),
            subject: DecisionSubject::NextHost { host: code(B) },
            positions: vec![Position {
                jurisdiction: code(A),
                stance: Stance::Consent,
                comment: Text::default(),
            }],
            outcome: None,
            supersedes: None,
            source: src.clone(),
        },
    ];
    let matter = |key: &str, area: Option<&str>, leads: &[&str], participants: &[&str]| Matter {
        key: key.into(),
        plan: "action-2024".into(),
        area: area.map(str::to_owned),
        title: t(&format!("事项{key}"), &format!("Matter {key}")),
        objective: Text::default(),
        leads: leads.iter().map(|c| code(c)).collect(),
        participants: participants.iter().map(|c| code(c)).collect(),
        start: Some(date!(2024 - 01 - 01)),
        due: Some(date!(2026 - 12 - 31)),
        milestones: vec![],
        indicators: vec![],
        agreements: vec![],
        body: None,
        published: true,
        carried_from: None,
        source: src.clone(),
    };
    let mut matters = vec![
        matter("m-1", Some("tech"), &[A], &[B]),
        matter("m-2", Some("tech"), &[B], &[]),
        matter("m-3", Some("green"), &[A], &[]),
        matter("m-4", None, &[B], &[A]),
    ];
    matters[0].milestones = vec![Milestone {
        title: t("启动", "Launch"),
        due: date!(2024 - 06 - 30),
        done_on: Some(date!(2024 - 06 - 01)),
    }];
    matters[0].indicators = vec!["rail".into()];
    matters[0].agreements = vec!["pact".into()];
    let task = |key: &str, matter: &str, who: &str| Task {
        key: key.into(),
        matter: matter.into(),
        parent: None,
        jurisdiction: code(who),
        unit: t("发展改革委", "Development and Reform Commission"),
        title: t("任务", "Task"),
        start: Some(date!(2024 - 01 - 01)),
        due: date!(2026 - 12 - 31),
        source: src.clone(),
    };
    let tasks = vec![
        task("t-1a", "m-1", A),
        task("t-1b", "m-1", B),
        task("t-2b", "m-2", B),
        task("t-3a", "m-3", A),
        task("t-4a", "m-4", A),
        task("t-4b", "m-4", B),
    ];
    let report = |key: &str, task: &str, as_of, percent, state| ProgressReport {
        key: key.into(),
        task: task.into(),
        as_of,
        percent,
        narrative: t("进展", "Progress"),
        evidence: vec!["https://example.org/evidence".into()],
        state,
        return_reason: Text::default(),
        source: src.clone(),
    };
    let reports = vec![
        report(
            "r-1",
            "t-1a",
            date!(2024 - 06 - 30),
            40,
            ReportState::Verified,
        ),
        report(
            "r-2",
            "t-1a",
            date!(2024 - 12 - 31),
            60,
            ReportState::Submitted,
        ),
        report(
            "r-3",
            "t-1b",
            date!(2024 - 12 - 31),
            100,
            ReportState::Verified,
        ),
        report(
            "r-4",
            "t-2b",
            date!(2025 - 01 - 31),
            90,
            ReportState::Returned,
        ),
        report(
            "r-5",
            "t-3a",
            date!(2024 - 12 - 31),
            100,
            ReportState::Verified,
        ),
    ];
    let problems = vec![Problem {
        key: "p-1".into(),
        matter: "m-1".into(),
        task: Some("t-1b".into()),
        title: t("资金不足", "Funding gap"),
        description: Text::default(),
        tier: Tier::Execution,
        raised_on: date!(2024 - 07 - 01),
        due: Some(date!(2024 - 09 - 30)),
        escalated_on: None,
        resolved_on: None,
        resolved_tier: None,
        resolution: Text::default(),
        source: src.clone(),
    }];
    let agreements = vec![Agreement {
        key: "pact".into(),
        title: t("合作协议", "Cooperation agreement"),
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
                jurisdiction: code(A),
                signatory: t("市发展改革委", "Municipal DRC"),
                signed_on: Some("2024-06-06".parse().unwrap()),
            },
            Party {
                jurisdiction: code(B),
                signatory: Text::default(),
                signed_on: None,
            },
        ],
        source: src.clone(),
    }];
    let indicators = vec![
        Indicator {
            key: "rail".into(),
            name: t("铁路里程", "Railway mileage"),
            description: Text::default(),
            unit: t("公里", "km"),
            classes: vec![],
            direction: Direction::HigherIsBetter,
            scope: Scope::Zone("core".into()),
            baseline: Some(Target {
                date: "2018".parse().unwrap(),
                value: Value::Number(4150.0),
                source: src.clone(),
            }),
            targets: vec![Target {
                date: "2025".parse().unwrap(),
                value: Value::Number(8000.0),
                source: src.clone(),
            }],
            source: src.clone(),
        },
        Indicator {
            key: "river".into(),
            name: t("水质", "Water quality"),
            description: Text::default(),
            unit: Text::default(),
            classes: ["I", "II", "III", "IV", "V"].map(String::from).to_vec(),
            direction: Direction::LowerIsBetter,
            scope: Scope::Site("taipu".into()),
            baseline: None,
            targets: vec![],
            source: src.clone(),
        },
    ];
    let observation =
        |key: &str, indicator: &str, d: &str, value: Value, who: Option<&str>| Observation {
            key: key.into(),
            indicator: indicator.into(),
            date: d.parse().unwrap(),
            value,
            jurisdiction: who.map(code),
            site: None,
            qualifier: Qualifier::MoreThan,
            note: Text::default(),
            source: "https://example.org/source".into(),
        };
    let observations = vec![
        observation("o-1", "rail", "2023-12", Value::Number(7100.5), None),
        observation("o-2", "rail", "2024", Value::Number(7200.0), Some(A)),
        observation("o-3", "river", "2019", Value::Class("IV".into()), None),
        observation("o-4", "river", "2024", Value::Class("II".into()), None),
    ];
    Dataset {
        jurisdictions,
        zones,
        bodies,
        seats,
        meetings,
        decisions,
        plans,
        matters,
        tasks,
        reports,
        problems,
        agreements,
        member_keys: vec![],
        indicators,
        observations,
    }
}

/// The dataset in the dataset format's canonical order, so datasets compare regardless of
/// listing order.
pub fn canonical(mut d: Dataset) -> Dataset {
    yrd_dataset::canonicalize(&mut d);
    d
}
