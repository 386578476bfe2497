//! The datasets cases run against: the built-in YRD dataset, and a small synthetic one whose
//! derived numbers are known exactly.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use libtest_mimic::Failed;
use time::macros::date;
use yrd_domain::*;

/// Which dataset a case needs.
#[derive(Clone, Copy, Debug)]
pub enum Fixture {
    /// `data/yrd`, the public record of the Yangtze River Delta mechanism.
    Yrd,
    /// [`synthetic`].
    Synthetic,
}

impl Fixture {
    pub fn dataset(self) -> Result<Arc<Dataset>, Failed> {
        match self {
            Fixture::Yrd => yrd(),
            Fixture::Synthetic => {
                let dataset = synthetic();
                // The same checks an import from files gets, so the fixture cannot drift into
                // something no real dataset could hold.
                yrd_dataset::validate(&dataset)
                    .map_err(|e| format!("the synthetic dataset is invalid:\n{e}"))?;
                Ok(Arc::new(dataset))
            }
        }
    }
}

/// The YRD dataset, read and validated once for all trials.
fn yrd() -> Result<Arc<Dataset>, Failed> {
    static DATASET: OnceLock<Result<Arc<Dataset>, String>> = OnceLock::new();
    DATASET
        .get_or_init(|| {
            let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/yrd");
            yrd_dataset::read_dir(&dir)
                .map(Arc::new)
                .map_err(|e| format!("reading {}:\n{e}", dir.display()))
        })
        .clone()
        .map_err(Failed::from)
}

pub fn code(s: &str) -> AdminCode {
    s.parse().expect("a valid code")
}

fn t(zh: &str, en: &str) -> Text {
    Text::new(zh, en)
}

pub const SH: &str = "310000";
pub const JS: &str = "320000";
pub const ZJ: &str = "330000";
pub const AH: &str = "340000";
pub const WENZHOU: &str = "330300";

/// The day the synthetic statuses are derived for.
pub const AS_OF: &str = "2025-01-01";

/// A small region built in code. What it holds, and what follows on [`AS_OF`]:
///
/// * Anhui (`340000`) has no English name: English responses fall back to 安徽省.
/// * The symposium (rotation Anhui → Zhejiang → Jiangsu → Shanghai) met in 2024 in Wenzhou
///   (Zhejiang), so Jiangsu hosts next. Its one decision has positions from three members;
///   Anhui has not answered, so it is pending.
/// * Plan `plan-a` has areas `tech` and `green`. Its tasks, with latest (reported, verified)
///   progress:
///
///   | matter    | area  | task          | member | reported | verified | status (reported / verified) |
///   |-----------|-------|---------------|--------|----------|----------|------------------------------|
///   | `m-tech`  | tech  | `t-tech-sh`   | SH     | 60       | 40       | at_risk / at_risk            |
///   |           |       | `t-tech-js`   | JS     | –        | –        | (behind its schedule)        |
///   | `m-new`   | tech  | `t-new-zj`    | ZJ     | –        | –        | not_started / not_started    |
///   | `m-green` | green | `t-green-sh`  | SH     | 100      | 100      | done / done                  |
///   | `m-track` | green | `t-track-ah`  | AH     | 50       | –        | on_track / not_started       |
///   | `m-late`  | –     | `t-late-js`   | JS     | –        | –        | overdue / overdue            |
pub fn synthetic() -> Dataset {
    let src = || "seed:synthetic".to_string();
    let members = [SH, JS, ZJ, AH].map(code).to_vec();
    let jurisdiction = |c: &str, parent: Option<&str>, name: Text| Jurisdiction {
        code: code(c),
        parent: parent.map(code),
        name,
        centroid: None,
        source: src(),
    };
    let jurisdictions = vec![
        jurisdiction(SH, None, t("上海市", "Shanghai")),
        jurisdiction(JS, None, t("江苏省", "Jiangsu")),
        jurisdiction(ZJ, None, t("浙江省", "Zhejiang")),
        jurisdiction(AH, None, t("安徽省", "")),
        jurisdiction(WENZHOU, Some(ZJ), t("温州市", "Wenzhou")),
    ];
    let bodies = vec![Body {
        key: "symposium".into(),
        name: t("主要领导座谈会", "Main Leaders' Symposium"),
        tier: Tier::Decision,
        description: Text::default(),
        members: members.clone(),
        host_rotation: [AH, ZJ, JS, SH].map(code).to_vec(),
        source: src(),
    }];
    let meetings = vec![Meeting {
        key: "symposium-2024".into(),
        body: "symposium".into(),
        title: t("2024年座谈会", "2024 symposium"),
        start: "2024-06-05".parse().unwrap(),
        end: None,
        host: Some(code(WENZHOU)),
        host_reason: Text::default(),
        theme: Text::default(),
        attendees: vec![],
        agenda: vec![],
        outcomes: vec![],
        documents: vec![],
        state: MeetingState::Closed,
        closed_on: None,
        source: src(),
    }];
    let position = |c: &str, stance| Position {
        jurisdiction: code(c),
        stance,
        comment: Text::default(),
    };
    let decisions = vec![Decision {
        key: "symposium-2024.plan".into(),
        meeting: "symposium-2024".into(),
        seq: 1,
        title: t("审议行动计划", "Consider the action plan"),
        subject: DecisionSubject::AdoptPlan {
            plan: "plan-a".into(),
        },
        positions: vec![
            position(SH, Stance::Consent),
            position(JS, Stance::ConsentInPrinciple),
            position(ZJ, Stance::Consent),
        ],
        outcome: None,
        supersedes: None,
        source: src(),
    }];
    let plans = vec![Plan {
        key: "plan-a".into(),
        kind: PlanKind::ActionPlan,
        title: t("行动计划", "Action plan"),
        parent: None,
        period_start: 2024,
        period_end: 2026,
        stage: PlanStage::InForce,
        adopted_on: Some("2024-06-05".parse().unwrap()),
        issued_on: None,
        issuer: Text::default(),
        summary: Text::default(),
        areas: vec![
            Area {
                key: "tech".into(),
                seq: 1,
                name: t("科技", "Technology"),
                stated_task_count: None,
            },
            Area {
                key: "green".into(),
                seq: 2,
                name: t("生态", "Ecology"),
                stated_task_count: None,
            },
        ],
        published: true,
        source: src(),
    }];
    let matter = |key: &str, area: Option<&str>, lead: &str, participants: &[&str]| Matter {
        key: key.into(),
        plan: "plan-a".into(),
        area: area.map(str::to_owned),
        title: t(&format!("事项{key}"), &format!("Matter {key}")),
        objective: Text::default(),
        leads: vec![code(lead)],
        participants: participants.iter().map(|c| code(c)).collect(),
        start: Some(date!(2024 - 01 - 01)),
        due: Some(date!(2026 - 12 - 31)),
        milestones: vec![],
        indicators: vec![],
        agreements: vec![],
        body: None,
        published: true,
        carried_from: None,
        source: src(),
    };
    let mut matters = vec![
        matter("m-green", Some("green"), SH, &[]),
        matter("m-late", None, JS, &[]),
        matter("m-new", Some("tech"), ZJ, &[]),
        matter("m-tech", Some("tech"), SH, &[JS]),
        matter("m-track", Some("green"), AH, &[]),
    ];
    let m_tech = &mut matters[3];
    m_tech.milestones = vec![Milestone {
        title: t("启动", "Launch"),
        due: date!(2024 - 06 - 30),
        done_on: Some(date!(2024 - 06 - 01)),
    }];
    m_tech.indicators = vec!["rail-km".into()];
    m_tech.agreements = vec!["pact".into()];
    let task = |key: &str, matter: &str, who: &str, start, due| Task {
        key: key.into(),
        matter: matter.into(),
        parent: None,
        jurisdiction: code(who),
        unit: t("发展改革委", "Development and Reform Commission"),
        title: t(&format!("任务{key}"), &format!("Task {key}")),
        start: Some(start),
        due,
        source: src(),
    };
    let tasks = vec![
        task(
            "t-tech-sh",
            "m-tech",
            SH,
            date!(2024 - 01 - 01),
            date!(2025 - 12 - 31),
        ),
        task(
            "t-tech-js",
            "m-tech",
            JS,
            date!(2024 - 01 - 01),
            date!(2025 - 12 - 31),
        ),
        task(
            "t-new-zj",
            "m-new",
            ZJ,
            date!(2025 - 01 - 01),
            date!(2026 - 12 - 31),
        ),
        task(
            "t-green-sh",
            "m-green",
            SH,
            date!(2024 - 01 - 01),
            date!(2024 - 12 - 31),
        ),
        task(
            "t-track-ah",
            "m-track",
            AH,
            date!(2024 - 01 - 01),
            date!(2025 - 12 - 31),
        ),
        task(
            "t-late-js",
            "m-late",
            JS,
            date!(2024 - 01 - 01),
            date!(2024 - 06 - 30),
        ),
    ];
    let report = |key: &str, task: &str, as_of, percent, state| ProgressReport {
        key: key.into(),
        task: task.into(),
        as_of,
        percent,
        narrative: t("进展", "Progress"),
        evidence: vec![],
        state,
        return_reason: Text::default(),
        source: src(),
    };
    let reports = vec![
        report(
            "r-1",
            "t-tech-sh",
            date!(2024 - 06 - 30),
            40,
            ReportState::Verified,
        ),
        report(
            "r-2",
            "t-tech-sh",
            date!(2024 - 12 - 31),
            60,
            ReportState::Submitted,
        ),
        report(
            "r-3",
            "t-green-sh",
            date!(2024 - 12 - 20),
            100,
            ReportState::Verified,
        ),
        report(
            "r-4",
            "t-track-ah",
            date!(2024 - 12 - 31),
            50,
            ReportState::Submitted,
        ),
        // Returned by the Office: counts on neither basis.
        report(
            "r-5",
            "t-late-js",
            date!(2024 - 05 - 31),
            90,
            ReportState::Returned,
        ),
    ];
    let problems = vec![Problem {
        key: "p-1".into(),
        matter: "m-tech".into(),
        task: Some("t-tech-js".into()),
        title: t("资金不足", "Funding gap"),
        description: Text::default(),
        tier: Tier::Execution,
        raised_on: date!(2024 - 07 - 01),
        due: Some(date!(2024 - 09 - 30)),
        escalated_on: None,
        resolved_on: None,
        resolved_tier: None,
        resolution: Text::default(),
        source: src(),
    }];
    let agreements = vec![Agreement {
        key: "pact".into(),
        title: t("合作协议", "Cooperation agreement"),
        summary: Text::default(),
        state: AgreementState::InForce,
        meeting: Some("symposium-2024".into()),
        signed_on: Some("2024-06-05".parse().unwrap()),
        in_force_on: None,
        expires_on: None,
        ended_on: None,
        ended_reason: Text::default(),
        text: Text::default(),
        text_hash: None,
        signatures: vec![],
        parties: vec![
            Party {
                jurisdiction: code(SH),
                signatory: t("市发展改革委", "Municipal DRC"),
                signed_on: Some("2024-06-05".parse().unwrap()),
            },
            Party {
                jurisdiction: code(JS),
                signatory: Text::default(),
                signed_on: None,
            },
        ],
        source: src(),
    }];
    // From 100 at the end of 2018 to 200 by the end of 2025: about 185.7 is expected at the end
    // of 2024, so 180 is short by less than 10 % of the planned change of 100, i.e. at risk.
    let indicators = vec![Indicator {
        key: "rail-km".into(),
        name: t("铁路里程", "Railway mileage"),
        description: Text::default(),
        unit: t("公里", "km"),
        classes: vec![],
        direction: Direction::HigherIsBetter,
        scope: Scope::Jurisdiction(code(SH)),
        baseline: Some(Target {
            date: "2018".parse().unwrap(),
            value: Value::Number(100.0),
            source: src(),
        }),
        targets: vec![Target {
            date: "2025".parse().unwrap(),
            value: Value::Number(200.0),
            source: src(),
        }],
        source: src(),
    }];
    let observations = vec![Observation {
        key: "rail-km.2024".into(),
        indicator: "rail-km".into(),
        date: "2024".parse().unwrap(),
        value: Value::Number(180.0),
        jurisdiction: None,
        site: None,
        qualifier: Qualifier::About,
        note: Text::default(),
        source: "https://example.org/rail-2024".into(),
    }];
    let mut dataset = Dataset {
        jurisdictions,
        zones: vec![],
        bodies,
        seats: vec![],
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
    };
    yrd_dataset::canonicalize(&mut dataset);
    dataset
}
