//! The mechanism's state in datasets: a database in which the mechanism has run (meetings
//! scheduled and closed, tasks split, matters carried over, reports returned, problems
//! escalated and resolved, agreements signed with members' keys and terminated, keys retired)
//! exports to a dataset directory that imports into a fresh database identically; and an
//! import that changes a record moves on the version `If-Match` is checked against.

use std::fs;
use std::path::Path;

use time::Date;
use time::macros::date;
use yrd_domain::access::DraftVisibility;
use yrd_domain::rules::DecisionStatus;
use yrd_domain::*;
use yrd_store::testing::{ScratchStore, postgres_url};
use yrd_store::{
    AgreementState as StoredAgreementState, CarryOver, Document as StoredDocument, Engine,
    Escalation, MeetingDetails, MeetingState as StoredMeetingState, NewAgreement, NewDecision,
    NewMeeting, NewParty, NewProblem, NewSubtask, ReportTransition, Store, StoreError,
};

use crate::ensure;
use crate::sample::{self, A, B, canonical, code};

type Result = std::result::Result<(), libtest_mimic::Failed>;

fn author() -> yrd_store::Author {
    yrd_store::Author::Command {
        command: "mechanism".into(),
        os_user: "conformance".into(),
    }
}

fn t(zh: &str, en: &str) -> Text {
    Text::new(zh, en)
}

/// The day the mechanism's steps are taken on.
const TODAY: Date = date!(2026 - 03 - 02);

/// The sample with a work plan to carry matters over into.
pub(crate) fn base() -> Dataset {
    let mut dataset = sample::dataset();
    let mut work = dataset
        .plans
        .iter()
        .find(|p| p.key == "action-2024")
        .expect("the sample has the action plan")
        .clone();
    work.key = "work-2027".into();
    work.kind = PlanKind::WorkPlan;
    work.parent = Some("action-2024".into());
    work.period_start = 2027;
    work.period_end = 2027;
    work.stage = PlanStage::Draft;
    work.adopted_on = None;
    dataset.plans.push(work);
    dataset
}

/// A fresh, empty database on the engine `store` runs on.
async fn fresh_like(store: &Store) -> std::result::Result<ScratchStore, libtest_mimic::Failed> {
    Ok(match store.engine() {
        Engine::Sqlite => ScratchStore::sqlite().await?,
        Engine::Postgres => {
            let url = postgres_url().ok_or("a PostgreSQL case runs with a server")?;
            ScratchStore::postgres(&url).await?
        }
    })
}

/// What the mechanism leaves behind, by key.
struct Ran {
    scheduled: String,
    closed: String,
    superseding: String,
    blocked: String,
    subtask: String,
    carried: String,
    escalated: String,
    resolved: String,
    in_force: String,
    terminated: String,
}

/// Runs every step of the mechanism that leaves state the dataset format must carry.
async fn run_the_mechanism(store: &Store, keys: &Path) -> std::result::Result<Ran, StoreError> {
    let who = author();
    let details = |title: Text, start: &str| MeetingDetails {
        title,
        start: start.parse().expect("a date"),
        end: None,
        host: None,
        host_reason: Text::default(),
        theme: Text::default(),
        agenda: vec![t("审议事项", "Items to consider")],
        documents: Vec::new(),
    };

    // A meeting held and closed in yrd: one decision supersedes the 2024 plan decision and is
    // adopted, another is blocked by an objection.
    let closed = store
        .schedule_meeting(
            &who,
            &NewMeeting {
                body: "symposium".into(),
                key: Some("symposium-2025".into()),
                details: details(t("2025年座谈会", "2025 symposium"), "2025-06-05"),
            },
        )
        .await?;
    let superseding = store
        .add_decision(
            &who,
            &closed,
            None,
            &NewDecision {
                title: t("修订行动计划", "Revise the action plan"),
                subject: DecisionSubject::Other,
                supersedes: Some("symposium-2024.plan".into()),
            },
        )
        .await?;
    let blocked = store
        .add_decision(
            &who,
            &closed,
            None,
            &NewDecision {
                title: t("新设机构", "Set up a new body"),
                subject: DecisionSubject::Other,
                supersedes: None,
            },
        )
        .await?;
    for (decision, member, stance) in [
        (&superseding, A, Stance::Consent),
        (&superseding, B, Stance::ConsentInPrinciple),
        (&blocked, A, Stance::Consent),
        (&blocked, B, Stance::Object),
    ] {
        store
            .record_position(&who, decision, code(member), stance, &t("意见", "Comment"))
            .await?;
    }
    store
        .close_meeting(&who, &closed, None, date!(2025 - 06 - 06))
        .await?;

    // A meeting being prepared, hosted out of turn for a reason, with a draft document.
    let mut next = details(t("2026年座谈会", "2026 symposium"), "2026-06-05");
    next.host = Some(code(B));
    next.host_reason = t("配合重大活动", "To coincide with a major event");
    next.documents = vec![StoredDocument {
        title: t("会议方案（草案）", "Draft programme"),
        url: "https://example.org/programme.pdf".into(),
    }];
    let scheduled = store
        .schedule_meeting(
            &who,
            &NewMeeting {
                body: "symposium".into(),
                key: Some("symposium-2026".into()),
                details: next,
            },
        )
        .await?;

    let subtask = store
        .add_subtask(
            &who,
            "t-1a",
            &NewSubtask {
                unit: t("上海市交通委", "Shanghai Transport Commission"),
                title: t("线路规划", "Route planning"),
                due: date!(2025 - 12 - 31),
            },
        )
        .await?;
    let carried = store
        .carry_over(
            &who,
            "m-2",
            &CarryOver {
                plan: "work-2027".into(),
                due: None,
            },
        )
        .await?;
    store
        .review_report(
            &who,
            "r-2",
            &ReportTransition::Return {
                reason: t("缺少佐证材料", "Evidence missing"),
            },
            None,
        )
        .await?;

    let raise = |title: Text| NewProblem {
        title,
        description: t(
            "跨省审批时限不一",
            "Approval deadlines differ between members",
        ),
        task: Some("t-1b".into()),
        due: date!(2025 - 09 - 30),
        raised_on: date!(2025 - 07 - 01),
    };
    let escalation = Escalation {
        reason: t("执行层无法协调", "Beyond the execution tier"),
        due: None,
        on: date!(2025 - 10 - 01),
    };
    let escalated = store
        .raise_problem(&who, "m-1", &raise(t("审批时限", "Approval deadlines")))
        .await?
        .key;
    store
        .escalate_problem(&who, &escalated, &escalation, None)
        .await?;
    let resolved = store
        .raise_problem(&who, "m-1", &raise(t("数据共享", "Data sharing")))
        .await?
        .key;
    store
        .escalate_problem(&who, &resolved, &escalation, None)
        .await?;
    store
        .resolve_problem(
            &who,
            &resolved,
            &t(
                "联席会议商定共享目录",
                "The joint meeting agreed a shared catalogue",
            ),
            date!(2025 - 11 - 15),
            None,
        )
        .await?;

    // Members' keys; Shanghai signs one text, the text changes, and both sign the new one.
    for member in [A, B] {
        store
            .generate_member_key(&who, code(member), keys, false)
            .await
            .map_err(key_error)?;
    }
    let agreement = |key: &str, text: Text| NewAgreement {
        key: key.into(),
        title: t("数据互认协议", "Data recognition agreement"),
        summary: t("摘要", "Summary"),
        text,
        parties: vec![
            NewParty {
                member: code(A),
                signatory: t("市大数据中心", "Municipal Big Data Centre"),
            },
            NewParty {
                member: code(B),
                signatory: Text::default(),
            },
        ],
        meeting: Some(closed.clone()),
        expires_on: Some(date!(2030 - 12 - 31)),
    };
    let in_force = "data-pact".to_owned();
    store
        .create_agreement(
            &who,
            &agreement(&in_force, t("第一稿\n第二行", "First draft")),
        )
        .await?;
    store.open_agreement(&who, &in_force, None).await?;
    let sign = |key: String, member: &'static str| {
        let who = who.clone();
        async move {
            let record = store
                .agreement_record(&key, TODAY, &DraftVisibility::All)
                .await?
                .ok_or_else(|| StoreError::NotFound(key.clone()))?;
            let hash = record.text_hash.unwrap_or_default();
            store
                .sign_agreement(&who, &key, code(member), &hash, keys, TODAY)
                .await
        }
    };
    sign(in_force.clone(), A).await?;
    let version = store
        .agreement_record(&in_force, TODAY, &DraftVisibility::All)
        .await?
        .map_or(0, |r| r.version);
    store
        .edit_agreement_text(
            &who,
            &in_force,
            &t("定稿，含 \"引号\" 与逗号,", "Final text, with \"quotes\""),
            version,
        )
        .await?;
    sign(in_force.clone(), A).await?;
    sign(in_force.clone(), B).await?;

    let terminated = "old-pact".to_owned();
    store
        .create_agreement(&who, &agreement(&terminated, t("旧协议", "Old agreement")))
        .await?;
    store.open_agreement(&who, &terminated, None).await?;
    sign(terminated.clone(), B).await?;
    store
        .terminate_agreement(
            &who,
            &terminated,
            &t(
                "被数据互认协议取代",
                "Replaced by the data recognition agreement",
            ),
            date!(2026 - 02 - 28),
            TODAY,
            None,
        )
        .await?;

    // Shanghai's key is retired and replaced: its signatures stay valid.
    store
        .retire_member_key(&who, code(A), keys)
        .await
        .map_err(key_error)?;
    store
        .generate_member_key(&who, code(A), keys, false)
        .await
        .map_err(key_error)?;

    Ok(Ran {
        scheduled,
        closed,
        superseding,
        blocked,
        subtask,
        carried,
        escalated,
        resolved,
        in_force,
        terminated,
    })
}

fn key_error(e: yrd_store::KeyError) -> StoreError {
    match e {
        yrd_store::KeyError::Store(e) => e,
        other => StoreError::Conflict(other.to_string()),
    }
}

/// The files of a dataset directory, by name.
fn files(dir: &Path) -> std::result::Result<Vec<(String, Vec<u8>)>, std::io::Error> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        files.push((
            entry.file_name().to_string_lossy().into_owned(),
            fs::read(entry.path())?,
        ));
    }
    files.sort();
    Ok(files)
}

pub async fn mechanism_state_round_trips_through_a_dataset_directory(store: Store) -> Result {
    let base = base();
    yrd_dataset::validate(&base).map_err(|e| format!("the base dataset is invalid:\n{e}"))?;
    store.import(&author(), &base).await?;
    let keys = tempfile::tempdir()?;
    let ran = run_the_mechanism(&store, keys.path()).await?;

    // `yrd export`: every new kind of state is in the dataset, and it is a valid one.
    let exported = canonical(store.export().await?);
    let first = tempfile::tempdir()?;
    yrd_dataset::write_dir(&exported, first.path())
        .map_err(|e| format!("the export does not write: {e}"))?;
    let read = yrd_dataset::read_dir(first.path())
        .map_err(|e| format!("the export does not read back:\n{e}"))?;
    ensure!(read == exported, "the files read back as written");
    let meeting = |key: &str| read.meetings.iter().find(|m| m.key == key);
    let scheduled = meeting(&ran.scheduled).ok_or("the scheduled meeting")?;
    ensure!(
        scheduled.state == MeetingState::Scheduled
            && scheduled.closed_on.is_none()
            && scheduled.host_reason.en == "To coincide with a major event"
            && scheduled.documents.len() == 1,
        "the scheduled meeting: {scheduled:?}"
    );
    let closed = meeting(&ran.closed).ok_or("the closed meeting")?;
    ensure!(
        closed.state == MeetingState::Closed && closed.closed_on == Some(date!(2025 - 06 - 06)),
        "the closed meeting: {closed:?}"
    );
    let decision = |key: &str| read.decisions.iter().find(|d| d.key == key);
    let superseding = decision(&ran.superseding).ok_or("the superseding decision")?;
    ensure!(
        superseding.outcome == Some(DecisionStatus::AdoptedInPrinciple)
            && superseding.supersedes.as_deref() == Some("symposium-2024.plan"),
        "the superseding decision: {superseding:?}"
    );
    ensure!(
        decision(&ran.blocked).and_then(|d| d.outcome) == Some(DecisionStatus::Blocked),
        "the blocked decision's outcome is frozen"
    );
    ensure!(
        decision("symposium-2024.plan").is_some_and(|d| d.outcome.is_none()),
        "the public record's decision has no frozen outcome"
    );
    let signatures: usize = read.agreements.iter().map(|a| a.signatures.len()).sum();
    ensure!(
        signatures == 4 && read.member_keys.len() == 3,
        "signatures and keys: {signatures}, {:?}",
        read.member_keys
    );
    for (name, bytes) in files(first.path())? {
        ensure!(
            !String::from_utf8_lossy(&bytes).contains("PRIVATE KEY"),
            "{name} holds a private key"
        );
    }

    // `yrd import` into a fresh database writes the same state, which exports identically.
    let copy = fresh_like(&store).await?;
    let outcome: Result = async {
        let summary = copy.store.import(&author(), &read).await?;
        ensure!(
            summary.kinds["member_keys"].inserted == 3,
            "the keys are imported: {summary:?}"
        );
        let again = canonical(copy.store.export().await?);
        ensure!(
            again == exported,
            "the copy exports differently:\n{again:#?}\nvs\n{exported:#?}"
        );
        let second = tempfile::tempdir()?;
        yrd_dataset::write_dir(&again, second.path())?;
        ensure!(
            files(second.path())? == files(first.path())?,
            "the copy's export is the same files"
        );
        spot_check(&copy.store, &ran).await?;
        let repeated = copy.store.import(&author(), &read).await?;
        ensure!(
            repeated.changed() == 0,
            "a second import changed records: {repeated:?}"
        );
        let own = store.import(&author(), &read).await?;
        ensure!(
            own.changed() == 0,
            "importing its own export changed records: {own:?}"
        );
        Ok(())
    }
    .await;
    copy.cleanup().await?;
    outcome
}

/// The imported state, as the store's own reads show it.
async fn spot_check(store: &Store, ran: &Ran) -> Result {
    let scheduled = store
        .meeting(&ran.scheduled)
        .await?
        .ok_or("scheduled meeting")?;
    ensure!(
        scheduled.record.state == StoredMeetingState::Scheduled
            && scheduled.record.documents.len() == 1
            && scheduled.record.host_reason.zh == "配合重大活动"
            && scheduled.record.version == 1,
        "the scheduled meeting: {:?}",
        scheduled.record
    );
    let closed = store.meeting(&ran.closed).await?.ok_or("closed meeting")?;
    let superseding = &closed.decision_records[&ran.superseding];
    ensure!(
        closed.record.state == StoredMeetingState::Closed
            && superseding.outcome == Some(DecisionStatus::AdoptedInPrinciple)
            && superseding.supersedes.as_deref() == Some("symposium-2024.plan"),
        "the closed meeting: {:?} {superseding:?}",
        closed.record
    );
    let task = store.task("t-1a").await?.ok_or("t-1a")?;
    ensure!(
        task.subtasks.iter().map(|s| &s.task.key).eq([&ran.subtask]),
        "t-1a has its sub-task: {:?}",
        task.subtasks
    );
    let carried = store
        .matter(&ran.carried, TODAY, yrd_store::ProgressBasis::Reported)
        .await?
        .ok_or("the carried-over matter")?;
    ensure!(
        carried.state.matter.carried_from.as_deref() == Some("m-2"),
        "carried over from m-2: {:?}",
        carried.state.matter
    );
    let report = store.report("r-2").await?.ok_or("r-2")?;
    ensure!(
        report.state == ReportState::Returned && report.return_reason.en == "Evidence missing",
        "r-2 returned with its reason: {report:?}"
    );
    let escalated = store
        .problem(&ran.escalated)
        .await?
        .ok_or("escalated problem")?;
    ensure!(
        escalated.tier == Tier::Coordination
            && escalated.escalated_on == Some(date!(2025 - 10 - 01))
            && escalated.resolved_on.is_none()
            && escalated.description.en == "Approval deadlines differ between members",
        "the escalated problem: {escalated:?}"
    );
    let resolved = store
        .problem(&ran.resolved)
        .await?
        .ok_or("resolved problem")?;
    ensure!(
        resolved.resolved_tier == Some(Tier::Coordination)
            && resolved.resolved_on == Some(date!(2025 - 11 - 15)),
        "the resolved problem: {resolved:?}"
    );
    let in_force = store
        .agreement_record(&ran.in_force, TODAY, &DraftVisibility::All)
        .await?
        .ok_or("the agreement in force")?;
    ensure!(
        in_force.state == StoredAgreementState::InForce
            && in_force.fully_signed()
            && in_force.signatures.len() == 3
            && in_force.signatures.iter().all(|s| s.valid)
            && in_force.signatures.iter().filter(|s| s.current).count() == 2,
        "the agreement in force, its signatures verified against the imported keys: {in_force:?}"
    );
    let terminated = store
        .agreement_record(&ran.terminated, TODAY, &DraftVisibility::All)
        .await?
        .ok_or("the terminated agreement")?;
    ensure!(
        terminated.state == StoredAgreementState::Terminated
            && terminated.ended_on == Some(date!(2026 - 02 - 28))
            && terminated.agreement.ended_reason.en == "Replaced by the data recognition agreement"
            && terminated.signatures.len() == 1,
        "the terminated agreement: {terminated:?}"
    );
    let keys = store.member_keys().await?;
    let shanghai: Vec<bool> = keys
        .iter()
        .filter(|k| k.jurisdiction == code(A))
        .map(|k| k.retired_at.is_some())
        .collect();
    ensure!(
        shanghai.len() == 2 && shanghai.contains(&true) && shanghai.contains(&false),
        "Shanghai has a retired and an active key: {keys:?}"
    );
    Ok(())
}

pub async fn imports_move_on_the_versions_of_what_they_change(store: Store) -> Result {
    let who = author();
    let mut dataset = base();
    dataset.meetings.push(Meeting {
        key: "symposium-2026".into(),
        body: "symposium".into(),
        title: t("2026年座谈会", "2026 symposium"),
        start: "2026-06-05".parse()?,
        end: None,
        host: Some(code(B)),
        host_reason: Text::default(),
        theme: Text::default(),
        attendees: vec![],
        agenda: vec![],
        outcomes: vec![],
        documents: vec![],
        state: MeetingState::Scheduled,
        closed_on: None,
        source: "yrd:user:office".into(),
    });
    dataset.decisions.push(Decision {
        key: "symposium-2026.1".into(),
        meeting: "symposium-2026".into(),
        seq: 1,
        title: t("议题", "Item"),
        subject: DecisionSubject::Other,
        positions: vec![],
        outcome: None,
        supersedes: None,
        source: "yrd:user:office".into(),
    });
    store.import(&who, &dataset).await?;
    let version = |store: Store, key: &'static str| async move {
        Ok::<_, StoreError>(store.meeting(key).await?.map(|m| m.record.version))
    };
    ensure!(
        version(store.clone(), "symposium-2026").await? == Some(1),
        "a new meeting starts at version 1"
    );

    // The meeting itself, and then one of its decisions, change: each import moves the
    // meeting's version on, and an edit read before is refused as stale.
    let read = store
        .meeting("symposium-2026")
        .await?
        .ok_or("the meeting")?;
    dataset.meetings.last_mut().ok_or("meeting")?.documents = vec![Document {
        title: t("议程（草案）", "Draft agenda"),
        url: "https://example.org/agenda".into(),
    }];
    let summary = store.import(&who, &dataset).await?;
    ensure!(
        summary.changed() == 1 && summary.kinds["meetings"].updated == 1,
        "{summary:?}"
    );
    ensure!(
        version(store.clone(), "symposium-2026").await? == Some(2),
        "the import moved the meeting's version on"
    );
    let stale = store
        .edit_meeting(
            &who,
            "symposium-2026",
            read.record.version,
            &MeetingDetails {
                title: read.meeting.title.clone(),
                start: read.meeting.start,
                end: None,
                host: read.meeting.host,
                host_reason: read.record.host_reason.clone(),
                theme: Text::default(),
                agenda: vec![],
                documents: vec![],
            },
        )
        .await;
    ensure!(
        matches!(stale, Err(StoreError::Conflict(_))),
        "an edit read before the import is stale: {stale:?}"
    );
    dataset.decisions.last_mut().ok_or("decision")?.positions = vec![Position {
        jurisdiction: code(A),
        stance: Stance::Consent,
        comment: Text::default(),
    }];
    store.import(&who, &dataset).await?;
    ensure!(
        version(store.clone(), "symposium-2026").await? == Some(3),
        "a changed decision moves its meeting's version on"
    );

    // Tasks, problems and agreements likewise; and the journal has the changed fields only.
    let task = dataset
        .tasks
        .iter_mut()
        .find(|t| t.key == "t-1b")
        .ok_or("t-1b")?;
    task.title = t("新任务名", "Renamed task");
    let problem = dataset.problems.first_mut().ok_or("p-1")?;
    problem.description = t("资金缺口三成", "A third of the funding is missing");
    let pact = dataset.agreements.first_mut().ok_or("pact")?;
    pact.expires_on = Some(date!(2029 - 12 - 31));
    let summary = store.import(&who, &dataset).await?;
    ensure!(summary.changed() == 3, "{summary:?}");
    let task = store.task("t-1b").await?.ok_or("t-1b")?;
    ensure!(task.state.version == 2, "task version: {:?}", task.state);
    let problem = store.problem("p-1").await?.ok_or("p-1")?;
    ensure!(problem.version == 2, "problem version: {problem:?}");
    let pact = store
        .agreement_record("pact", TODAY, &DraftVisibility::All)
        .await?
        .ok_or("pact")?;
    ensure!(
        pact.version == 2 && pact.expires_on == Some(date!(2029 - 12 - 31)),
        "agreement: {pact:?}"
    );
    let entries = store.history("problem", "p-1", None, 10).await?;
    let change = entries.last().ok_or("the problem's history")?;
    let after: serde_json::Value = serde_json::from_str(change.after.as_deref().unwrap_or("{}"))?;
    ensure!(
        change.action == "update"
            && after
                == serde_json::json!({"description": {
                    "zh": "资金缺口三成", "en": "A third of the funding is missing"
                }}),
        "the problem's entry: {change:?}"
    );
    Ok(())
}

pub async fn an_import_refuses_a_second_active_key(store: Store) -> Result {
    let key = |id: &str, public: char| MemberKey {
        id: id.into(),
        jurisdiction: code(A),
        public_key: public.to_string().repeat(64),
        created_at: "2026-01-05T08:00:00Z".into(),
        retired_at: None,
    };
    let mut dataset = base();
    dataset.member_keys = vec![key("00000000000000aa", 'a')];
    store.import(&author(), &dataset).await?;
    let before = canonical(store.export().await?);
    // The stored key is not in this dataset, so nothing retires it.
    dataset.member_keys = vec![key("00000000000000bb", 'b')];
    let refused = store.import(&author(), &dataset).await;
    ensure!(
        matches!(&refused, Err(StoreError::Conflict(reason)) if reason.contains("00000000000000aa, 00000000000000bb")),
        "a second active key is refused: {refused:?}"
    );
    ensure!(
        canonical(store.export().await?) == before,
        "nothing was written"
    );
    // Retiring the first in the same dataset makes room for the second.
    let mut retired = key("00000000000000aa", 'a');
    retired.retired_at = Some("2026-02-01T00:00:00Z".into());
    dataset.member_keys = vec![key("00000000000000bb", 'b'), retired];
    let summary = store.import(&author(), &dataset).await?;
    ensure!(
        summary.kinds["member_keys"].inserted == 1 && summary.kinds["member_keys"].updated == 1,
        "{summary:?}"
    );
    Ok(())
}
