//! The conformance cases. Each receives a freshly migrated, empty store.

use std::path::Path;

use time::macros::date;
use yrd_domain::rules::MatterStatus;
use yrd_domain::*;
use yrd_store::{MatterFilter, MeetingFilter, NewUser, ProgressBasis, Store, StoreError};

use crate::mechanism::{
    an_import_refuses_a_second_active_key, imports_move_on_the_versions_of_what_they_change,
    mechanism_state_round_trips_through_a_dataset_directory,
};
use crate::rollups::kept_rollups_follow_every_change;
use crate::sample::{self, A, B, B_CITY, canonical, code};
use crate::{CaseFuture, ensure};

/// How the journal names the imports of these cases.
fn importer() -> yrd_store::Author {
    yrd_store::Author::Command {
        command: "import".into(),
        os_user: "conformance".into(),
    }
}

type Result = std::result::Result<(), libtest_mimic::Failed>;

macro_rules! cases {
    ($($name:ident),* $(,)?) => {
        pub const ALL: &[(&str, crate::Case)] = &[
            $((stringify!($name), |store| -> CaseFuture { Box::pin($name(store)) })),*
        ];
    };
}

cases!(
    migrations_revert_and_reapply,
    import_round_trips_through_export,
    drafts_and_responsible_bodies_round_trip,
    reimport_changes_nothing,
    import_updates_only_what_differs,
    failed_import_leaves_database_unchanged,
    jurisdiction_detail_has_parent_children_and_zones,
    meetings_page_newest_first_with_decisions,
    task_progress_tracks_latest_reported_and_verified,
    plan_rollup_counts_unreported_tasks_apart,
    kept_rollups_follow_every_change,
    what_a_member_owes_leaves_out_what_is_done,
    matters_filter_and_paginate,
    matter_lines_agree_with_the_full_records,
    matter_detail_has_tasks_problems_and_reports,
    a_tasks_record_shows_its_newest_reports_and_its_list_pages_through_all,
    agreements_and_indicators_read_back,
    invalid_cursor_is_rejected,
    progress_as_of_a_past_day_ignores_later_reports,
    past_hosts_and_indicators_with_observations,
    yrd_dataset_imports_idempotently,
    imports_are_journalled_field_by_field,
    concurrent_writes_keep_one_unbroken_chain,
    concurrent_reports_on_one_task_keep_its_latest_progress,
    reports_written_together_keep_their_authors_and_are_refused_alone,
    a_failed_batch_of_reports_fails_only_the_report_at_fault,
    a_batch_moves_each_task_to_its_latest_report,
    writers_of_two_processes_keep_one_chain,
    positions_of_two_processes_see_each_other,
    a_position_never_follows_its_meetings_close,
    kept_accounts_follow_every_change,
    the_kept_register_follows_every_import,
    migrations_revert_to_a_version,
    problem_pages_follow_the_list_order,
    mechanism_state_round_trips_through_a_dataset_directory,
    imports_move_on_the_versions_of_what_they_change,
    an_import_refuses_a_second_active_key,
);

async fn imports_are_journalled_field_by_field(store: Store) -> Result {
    let mut dataset = sample::dataset();
    store.import(&importer(), &dataset).await?;
    let first = store.verify_history().await?;
    ensure!(first.broken.is_none(), "chain after the import: {first:?}");
    let records = dataset.jurisdictions.len()
        + dataset.plans.len()
        + dataset.matters.len()
        + dataset.tasks.len()
        + dataset.agreements.len();
    ensure!(
        first.entries as usize >= records,
        "one entry per record: {} entries for at least {records} records",
        first.entries
    );
    let created = store.history("agreement", "pact", None, 10).await?;
    ensure!(created.len() == 1, "one entry for the pact: {created:?}");
    ensure!(created[0].action == "create", "{created:?}");
    ensure!(created[0].actor == "cli:import:conformance", "{created:?}");
    ensure!(created[0].before.is_none(), "{created:?}");

    // Importing the same data again writes nothing, not even to the journal.
    store.import(&importer(), &dataset).await?;
    ensure!(
        store.verify_history().await?.entries == first.entries,
        "a re-import adds entries"
    );

    // An update records the changed fields only, before and after.
    let pact = dataset
        .agreements
        .iter_mut()
        .find(|a| a.key == "pact")
        .ok_or("the sample has pact")?;
    let old_title = pact.title.clone();
    pact.title = Text::new("新协议名", "New title");
    store.import(&importer(), &dataset).await?;
    let entries = store.history("agreement", "pact", None, 10).await?;
    ensure!(entries.len() == 2, "{entries:?}");
    let before: serde_json::Value =
        serde_json::from_str(entries[1].before.as_deref().unwrap_or("null"))?;
    let after: serde_json::Value =
        serde_json::from_str(entries[1].after.as_deref().unwrap_or("null"))?;
    ensure!(
        before == serde_json::json!({ "title": old_title }),
        "before: {before}"
    );
    ensure!(
        after == serde_json::json!({ "title": { "zh": "新协议名", "en": "New title" } }),
        "after: {after}"
    );
    ensure!(
        store.verify_history().await?.broken.is_none(),
        "chain intact"
    );
    Ok(())
}

async fn concurrent_writes_keep_one_unbroken_chain(store: Store) -> Result {
    store.import(&importer(), &sample::dataset()).await?;
    let author = importer();
    store
        .create_user(
            &author,
            &NewUser {
                username: "writer".into(),
                display_name: "Writer".into(),
                lang: Lang::En,
                password_hash: None,
            },
            &[],
        )
        .await?;
    let before = store.verify_history().await?.entries;
    let mut writers = tokio::task::JoinSet::new();
    for i in 0..24 {
        let store = store.clone();
        let author = author.clone();
        writers.spawn(async move {
            store
                .create_token(&author, "writer", &format!("token {i}"))
                .await
                .map(|_| ())
        });
    }
    while let Some(outcome) = writers.join_next().await {
        outcome.map_err(|e| format!("a writer panicked: {e}"))??;
    }
    let after = store.verify_history().await?;
    ensure!(
        after.broken.is_none(),
        "the chain after concurrent writes: {after:?}"
    );
    ensure!(
        after.entries == before + 24,
        "one entry per write: {} then {}",
        before,
        after.entries
    );
    ensure!(
        store.tokens("writer").await?.len() == 24,
        "every token was written"
    );
    Ok(())
}

/// Reports on one task submitted at once: each is written and journalled, and the task's
/// maintained progress is the latest report's, whatever order the writers commit in (a report
/// takes the journal's tip only for the refresh, so the refresh sees every earlier report).
async fn concurrent_reports_on_one_task_keep_its_latest_progress(store: Store) -> Result {
    store.import(&importer(), &sample::dataset()).await?;
    let before = store.verify_history().await?.entries;
    let mut writers = tokio::task::JoinSet::new();
    for i in 0..24_u8 {
        let store = store.clone();
        writers.spawn(async move {
            let report = yrd_store::NewReport {
                as_of: date!(2026 - 01 - 01) + time::Duration::days(i64::from(i)),
                percent: 50 + i,
                narrative: Text::new(format!("第{i}次"), format!("report {i}")),
                evidence: vec![],
            };
            store
                .submit_report(&importer(), "t-1a", &report)
                .await
                .map(|_| ())
        });
    }
    all_written_in_one_chain(&store, writers, before + 24).await?;
    let m1 = store
        .matter("m-1", date!(2030 - 01 - 01), ProgressBasis::Reported)
        .await?
        .ok_or("m-1")?;
    let t1a = m1
        .state
        .tasks
        .iter()
        .find(|t| t.task.key == "t-1a")
        .ok_or("t-1a")?;
    ensure!(
        t1a.reported_percent == Some(73) && t1a.reported_as_of == Some(date!(2026 - 01 - 24)),
        "the latest of the concurrent reports counts: {t1a:?}"
    );
    Ok(())
}

/// Reports submitted at once by several people on several tasks, some on a task that does not
/// exist: those are refused, each alone; every other report is written, journalled under its
/// own author, and counts in its task's progress.
async fn reports_written_together_keep_their_authors_and_are_refused_alone(store: Store) -> Result {
    store.import(&importer(), &sample::dataset()).await?;
    let before = store.verify_history().await?.entries;
    let tasks = ["t-1a", "t-1b", "t-2b", "t-none"];
    let mut writers = tokio::task::JoinSet::new();
    for i in 0..32_u8 {
        let store = store.clone();
        writers.spawn(async move {
            let task = tasks[usize::from(i) % tasks.len()];
            let author = yrd_store::Author::User(format!("officer-{}", i % 3));
            let report = yrd_store::NewReport {
                as_of: date!(2026 - 02 - 01) + time::Duration::days(i64::from(i)),
                percent: 10 + i,
                narrative: Text::new(format!("第{i}次"), format!("report {i}")),
                evidence: vec![],
            };
            let outcome = store.submit_report(&author, task, &report).await;
            (task, author, outcome)
        });
    }
    let mut written = Vec::new();
    while let Some(outcome) = writers.join_next().await {
        let (task, author, outcome) = outcome.map_err(|e| format!("a writer panicked: {e}"))?;
        match (task, outcome) {
            ("t-none", Err(StoreError::NotFound(what))) => {
                ensure!(what.contains("t-none"), "names the task: {what}")
            }
            ("t-none", other) => return Err(format!("a report on no task: {other:?}").into()),
            (_, Ok(report)) => written.push((author, report)),
            (_, Err(e)) => return Err(format!("a report on {task}: {e}").into()),
        }
    }
    ensure!(written.len() == 24, "24 reports written: {}", written.len());
    let after = store.verify_history().await?;
    ensure!(after.broken.is_none(), "the chain: {after:?}");
    ensure!(
        after.entries == before + 24,
        "one entry per report written: {after:?}"
    );
    let mut commits = std::collections::HashSet::new();
    for (author, report) in &written {
        let history = store.history("report", &report.key, None, 10).await?;
        ensure!(
            history.len() == 1
                && history[0].action == "create"
                && history[0].actor == author.label(),
            "{} journalled as created by {}: {history:?}",
            report.key,
            author.label()
        );
        // The entries of one commit share its time.
        commits.insert(history[0].at.clone());
    }
    ensure!(
        commits.len() < written.len() / 2,
        "reports queued together are committed together: {} commits for {} reports",
        commits.len(),
        written.len()
    );
    latest_reports_count(&store, &[("t-1a", 38), ("t-1b", 39)]).await
}

/// A batch of reports whose transaction fails (here one report's key is taken) is written
/// again report by report: only the report at fault fails, one on a missing task is refused
/// as missing, and every other is written, journalled and counted.
async fn a_failed_batch_of_reports_fails_only_the_report_at_fault(store: Store) -> Result {
    store.import(&importer(), &sample::dataset()).await?;
    let taken = store
        .submit_report(
            &importer(),
            "t-1b",
            &yrd_store::NewReport {
                as_of: date!(2026 - 04 - 01),
                percent: 30,
                narrative: Text::new("已报", "reported"),
                evidence: vec![],
            },
        )
        .await?;
    let before = store.verify_history().await?.entries;
    let report = |key: &str, task: &str, percent: u8| {
        batched_report(key, task, date!(2026 - 05 - 01), percent)
    };
    let officer = |name: &str| yrd_store::Author::User(name.into());
    let outcomes = store
        .write_reports_as_one_batch(vec![
            (officer("officer-a"), report("report-batch-1", "t-1a", 61)),
            (officer("officer-b"), report(&taken.key, "t-1b", 99)),
            (officer("officer-c"), report("report-batch-3", "t-none", 62)),
            (officer("officer-d"), report("report-batch-4", "t-2b", 63)),
        ])
        .await;
    ensure!(outcomes.len() == 4, "an outcome per report: {outcomes:?}");
    ensure!(
        outcomes[0].is_ok() && outcomes[3].is_ok(),
        "the sound reports are written: {outcomes:?}"
    );
    ensure!(
        matches!(&outcomes[1], Err(StoreError::Database(_))),
        "the report whose key is taken fails: {outcomes:?}"
    );
    ensure!(
        matches!(&outcomes[2], Err(StoreError::NotFound(what)) if what.contains("t-none")),
        "the report on no task is refused as missing: {outcomes:?}"
    );
    let after = store.verify_history().await?;
    ensure!(after.broken.is_none(), "the chain: {after:?}");
    ensure!(
        after.entries == before + 2,
        "an entry for each report written: {after:?}"
    );
    for (key, author) in [
        ("report-batch-1", "officer-a"),
        ("report-batch-4", "officer-d"),
    ] {
        let history = store.history("report", key, None, 10).await?;
        ensure!(
            history.len() == 1 && history[0].actor == officer(author).label(),
            "{key} journalled as {author}'s: {history:?}"
        );
    }
    let taken_history = store.history("report", &taken.key, None, 10).await?;
    ensure!(
        taken_history.len() == 1 && taken_history[0].actor == importer().label(),
        "the report whose key was taken is unchanged: {taken_history:?}"
    );
    latest_reports_count(&store, &[("t-1a", 61), ("t-1b", 30)]).await?;
    let t2b = task_state(&store, "m-2", "t-2b").await?;
    ensure!(
        t2b.reported_percent == Some(63),
        "t-2b's batched report counts: {t2b:?}"
    );
    Ok(())
}

/// A batch's reports and a task's stored ones are weighed together: the latest by date, then
/// by key, of those not returned, whichever were written first. A report older than the stored
/// latest leaves it; of two on the same day the later key counts; a returned report, however
/// recent, counts for nothing.
async fn a_batch_moves_each_task_to_its_latest_report(store: Store) -> Result {
    store.import(&importer(), &sample::dataset()).await?;
    let report = |key: &str, task: &str, as_of: time::Date, percent: u8| {
        let officer = yrd_store::Author::User("officer".into());
        (officer, batched_report(key, task, as_of, percent))
    };
    // Stored: t-1a's latest is r-2 (2024-12-31, 60); t-1b's is r-3 (2024-12-31, 100); t-2b's
    // only report, r-4 (2025-01-31), was returned.
    let outcomes = store
        .write_reports_as_one_batch(vec![
            report("r-0a", "t-1a", date!(2024 - 11 - 30), 95),
            report("r-0", "t-1b", date!(2024 - 12 - 31), 10),
            report("r-9", "t-1b", date!(2024 - 12 - 31), 20),
            report("r-8", "t-1b", date!(2024 - 12 - 31), 30),
            report("r-0b", "t-2b", date!(2025 - 01 - 01), 50),
        ])
        .await;
    ensure!(
        outcomes.iter().all(|o| o.is_ok()),
        "every report is written: {outcomes:?}"
    );
    let after = store.verify_history().await?;
    ensure!(after.broken.is_none(), "the chain: {after:?}");
    for (matter, task, percent, as_of) in [
        ("m-1", "t-1a", 60, date!(2024 - 12 - 31)),
        ("m-1", "t-1b", 20, date!(2024 - 12 - 31)),
        ("m-2", "t-2b", 50, date!(2025 - 01 - 01)),
    ] {
        let found = task_state(&store, matter, task).await?;
        ensure!(
            found.reported_percent == Some(percent) && found.reported_as_of == Some(as_of),
            "{task}'s latest report is {percent}% as of {as_of}: {found:?}"
        );
    }
    Ok(())
}

/// Two processes writing to one database, each with its own queue of writers: the database's
/// lock on the tip orders them. Taking turns and writing at once, the chain stays whole and
/// every report counts.
async fn writers_of_two_processes_keep_one_chain(store: Store) -> Result {
    store.import(&importer(), &sample::dataset()).await?;
    let other = store.as_another_process();
    let before = store.verify_history().await?.entries;
    let report = |i: u8| yrd_store::NewReport {
        as_of: date!(2026 - 03 - 01) + time::Duration::days(i64::from(i)),
        percent: 20 + i,
        narrative: Text::new(format!("第{i}次"), format!("report {i}")),
        evidence: vec![],
    };
    // In turns: each write follows one of the other process's.
    for i in 0..6_u8 {
        let writer = if i % 2 == 0 { &store } else { &other };
        writer
            .submit_report(&importer(), "t-1a", &report(i))
            .await?;
    }
    // At once, from both.
    let mut writers = tokio::task::JoinSet::new();
    for i in 6..38_u8 {
        let writer = if i % 2 == 0 {
            store.clone()
        } else {
            other.clone()
        };
        let task = if i % 4 < 2 { "t-1a" } else { "t-1b" };
        let report = report(i);
        writers.spawn(async move {
            writer
                .submit_report(&importer(), task, &report)
                .await
                .map(|_| ())
        });
    }
    all_written_in_one_chain(&store, writers, before + 38).await?;
    latest_reports_count(&store, &[("t-1a", 20 + 37), ("t-1b", 20 + 35)]).await
}

/// A meeting of the symposium scheduled for 2027, with one decision item: its key and the
/// decision's.
async fn scheduled_decision(store: &Store) -> std::result::Result<(String, String), StoreError> {
    use yrd_store::{MeetingDetails, NewDecision, NewMeeting};
    let meeting = store
        .schedule_meeting(
            &importer(),
            &NewMeeting {
                body: "symposium".into(),
                key: Some("symposium-2027".into()),
                details: MeetingDetails {
                    title: Text::new("2027年座谈会", "2027 symposium"),
                    start: "2027-06-05".parse().expect("a date"),
                    end: None,
                    host: None,
                    host_reason: Text::default(),
                    theme: Text::default(),
                    agenda: Vec::new(),
                    documents: Vec::new(),
                },
            },
        )
        .await?;
    let decision = store
        .add_decision(
            &importer(),
            &meeting,
            None,
            &NewDecision {
                title: Text::new("议定事项", "A decision"),
                subject: DecisionSubject::Other,
                supersedes: None,
            },
        )
        .await?;
    Ok((meeting, decision))
}

/// Positions recorded while their meeting closes, having read it scheduled: none is written
/// after the close, whose frozen outcomes would not count it. The close takes the turn at the
/// tip first, then the positions come (on PostgreSQL they read the meeting before their turn).
async fn a_position_never_follows_its_meetings_close(store: Store) -> Result {
    store.import(&importer(), &sample::dataset()).await?;
    let (meeting, decision) = scheduled_decision(&store).await?;
    let before = store.verify_history().await?.entries;
    let turn = store.hold_writers_turn().await;
    let closing = {
        let store = store.clone();
        let meeting = meeting.clone();
        tokio::spawn(async move {
            store
                .close_meeting(&importer(), &meeting, None, date!(2027 - 06 - 05))
                .await
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let mut positions = tokio::task::JoinSet::new();
    for i in 0..8_usize {
        let store = store.clone();
        let decision = decision.clone();
        positions.spawn(async move {
            let comment = Text::new(format!("第{i}次"), format!("position {i}"));
            let member = if i % 2 == 0 { A } else { B };
            store
                .record_position(
                    &importer(),
                    &decision,
                    code(member),
                    Stance::Consent,
                    &comment,
                )
                .await
        });
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    drop(turn);
    closing
        .await
        .map_err(|e| format!("the close panicked: {e}"))??;
    while let Some(outcome) = positions.join_next().await {
        match outcome.map_err(|e| format!("a writer panicked: {e}"))? {
            Err(StoreError::Conflict(reason)) if reason == yrd_store::CLOSED_DECISIONS => {}
            other => return Err(format!("a position after the close: {other:?}").into()),
        }
    }
    let history = store.verify_history().await?;
    ensure!(history.broken.is_none(), "the chain: {history:?}");
    ensure!(
        history.entries == before + 1 + 1,
        "the close's entries alone (the meeting's and its decision's outcome): {history:?}"
    );
    Ok(())
}

/// Two processes recording positions on one decision: each write reads what the other wrote
/// last (a write on the tip its process knew, moved since by the other, is taken again under
/// the lock), and the chain stays whole, in turns and at once.
async fn positions_of_two_processes_see_each_other(store: Store) -> Result {
    store.import(&importer(), &sample::dataset()).await?;
    let other = store.as_another_process();
    let (meeting, decision) = scheduled_decision(&store).await?;
    let before = store.verify_history().await?.entries;
    let version = |store: Store| {
        let meeting = meeting.clone();
        async move {
            let access = store.meeting_access(&meeting).await?;
            access
                .map(|a| a.version)
                .ok_or(StoreError::NotFound(meeting))
        }
    };
    let version_before = version(store.clone()).await?;
    let stances = [Stance::Consent, Stance::Object, Stance::ConsentInPrinciple];
    // In turns: each process changes member A's position from the one the other recorded.
    for i in 0..6_usize {
        let writer = if i % 2 == 0 { &store } else { &other };
        let comment = Text::new(format!("第{i}次"), format!("round {i}"));
        writer
            .record_position(&importer(), &decision, code(A), stances[i % 3], &comment)
            .await?;
    }
    let entries = store
        .history("decision", &decision, Some(before), 100)
        .await?;
    ensure!(entries.len() == 6, "one entry per position: {entries:?}");
    for (i, pair) in entries.windows(2).enumerate() {
        let (Some(recorded), Some(replaced)) = (&pair[0].after, &pair[1].before) else {
            return Err(format!("entry {i}: {pair:?}").into());
        };
        ensure!(
            recorded == replaced,
            "each position replaces the one the other process recorded: {recorded} then {replaced}"
        );
    }
    // At once, from both, for both members.
    let mut writers = tokio::task::JoinSet::new();
    for i in 0..24_usize {
        let writer = if i % 2 == 0 {
            store.clone()
        } else {
            other.clone()
        };
        let decision = decision.clone();
        let member = if i % 4 < 2 { A } else { B };
        writers.spawn(async move {
            let comment = Text::new(format!("并发{i}"), format!("at once {i}"));
            writer
                .record_position(
                    &importer(),
                    &decision,
                    code(member),
                    stances[i % 3],
                    &comment,
                )
                .await
        });
    }
    all_written_in_one_chain(&store, writers, before + 6 + 24).await?;
    // At once from one process, for one member: the writes read the position before their
    // turns, so most read one that another has replaced by the time their turn comes.
    let mut writers = tokio::task::JoinSet::new();
    for i in 0..12_usize {
        let store = store.clone();
        let decision = decision.clone();
        writers.spawn(async move {
            let comment = Text::new(format!("同时{i}"), format!("together {i}"));
            store
                .record_position(&importer(), &decision, code(A), stances[i % 3], &comment)
                .await
        });
    }
    all_written_in_one_chain(&store, writers, before + 6 + 24 + 12).await?;
    // Each entry names the position its member held just before it.
    let entries = store
        .history("decision", &decision, Some(before), 100)
        .await?;
    ensure!(entries.len() == 42, "one entry per position: {entries:?}");
    let mut held: std::collections::HashMap<String, Option<String>> = Default::default();
    for entry in &entries {
        let after: serde_json::Value =
            serde_json::from_str(entry.after.as_deref().unwrap_or("null"))?;
        let member = after["member"].as_str().unwrap_or_default().to_owned();
        let replaced = held.insert(member.clone(), entry.after.clone()).flatten();
        ensure!(
            entry.before == replaced,
            "entry {} replaces {member}'s position before it, {replaced:?}: {:?}",
            entry.seq,
            entry.before
        );
    }
    let version_after = version(store.clone()).await?;
    ensure!(
        version_after == version_before + 42,
        "each position moves the meeting's version: {version_before} to {version_after}"
    );
    Ok(())
}

/// A signed-in caller's account is kept between requests, but never past a change: one made
/// through this store applies to the very next lookup, one made by another process within
/// the recheck, and a raw statement (which may change anything) at once.
async fn kept_accounts_follow_every_change(store: Store) -> Result {
    use yrd_domain::access::{Assignment, Role, Scope};
    store.import(&importer(), &sample::dataset()).await?;
    let author = importer();
    let officer = NewUser {
        username: "officer".into(),
        display_name: "Officer".into(),
        lang: Lang::En,
        password_hash: None,
    };
    store.create_user(&author, &officer, &[]).await?;
    let mut secrets = Vec::new();
    for name in ["first", "second", "third"] {
        secrets.push(store.create_token(&author, "officer", name).await?);
    }
    let [
        (first, first_secret),
        (second, second_secret),
        (_, third_secret),
    ] = <[_; 3]>::try_from(secrets).map_err(|_| "three tokens")?;
    let roles = |user: Option<yrd_store::User>| user.map(|u| u.assignments.len());
    ensure!(
        roles(store.token_account(&first_secret).await?) == Some(0)
            && roles(store.session_account("officer").await?) == Some(0),
        "the officer signs in without roles"
    );

    // Granted here: both lookups show the role at once, though both were just kept.
    let staff = Assignment::new(Role::OfficeStaff, Scope::Region)?;
    store.grant(&author, "officer", &staff).await?;
    ensure!(
        roles(store.token_account(&first_secret).await?) == Some(1),
        "the token's account has the role granted here"
    );
    ensure!(
        roles(store.session_account("officer").await?) == Some(1),
        "the session's account has the role granted here"
    );
    // Revoked here: refused at once.
    store.revoke_token(&author, &first.id).await?;
    ensure!(
        store.token_account(&first_secret).await?.is_none(),
        "a token revoked here signs nobody in"
    );

    // Another process revokes the second token and the role: seen here within the recheck.
    ensure!(
        store.token_account(&second_secret).await?.is_some(),
        "the second token signs in"
    );
    let other = store.as_another_process();
    other.revoke_token(&author, &second.id).await?;
    other.revoke(&author, "officer", &staff).await?;
    tokio::time::sleep(yrd_store::ACCOUNT_RECHECK).await;
    ensure!(
        store.token_account(&second_secret).await?.is_none(),
        "a token revoked by another process still signs in after the recheck"
    );
    ensure!(
        roles(store.session_account("officer").await?) == Some(0),
        "a role revoked by another process still counts after the recheck"
    );

    // A raw statement disables the account: the third token, just kept, is refused at once.
    ensure!(
        store.token_account(&third_secret).await?.is_some(),
        "the third token signs in"
    );
    store
        .execute_raw("UPDATE users SET disabled = TRUE WHERE username = 'officer'")
        .await?;
    ensure!(
        store.token_account(&third_secret).await?.is_none(),
        "a disabled account's token signs nobody in"
    );
    Ok(())
}

/// Every writer succeeded, and the chain is whole with `entries` entries.
async fn all_written_in_one_chain(
    store: &Store,
    mut writers: tokio::task::JoinSet<std::result::Result<(), StoreError>>,
    entries: i64,
) -> Result {
    while let Some(outcome) = writers.join_next().await {
        outcome.map_err(|e| format!("a writer panicked: {e}"))??;
    }
    let after = store.verify_history().await?;
    ensure!(after.broken.is_none(), "the chain: {after:?}");
    ensure!(after.entries == entries, "one entry per write: {after:?}");
    Ok(())
}

/// A submitted report, as written in a batch by the cases on batches.
fn batched_report(key: &str, task: &str, as_of: time::Date, percent: u8) -> ProgressReport {
    ProgressReport {
        key: key.into(),
        task: task.into(),
        as_of,
        percent,
        narrative: Text::new("批量", "batched"),
        evidence: vec![],
        state: ReportState::Submitted,
        return_reason: Text::default(),
        source: "yrd:conformance".into(),
    }
}

/// A task of `matter` as the matter's record shows it, with its latest progress.
async fn task_state(
    store: &Store,
    matter: &str,
    task: &str,
) -> std::result::Result<yrd_store::TaskState, libtest_mimic::Failed> {
    let record = store
        .matter(matter, date!(2030 - 01 - 01), ProgressBasis::Reported)
        .await?
        .ok_or(matter)?;
    let found = record.state.tasks.into_iter().find(|t| t.task.key == task);
    Ok(found.ok_or(task)?)
}

/// Each of m-1's tasks named has the latest reported progress given.
async fn latest_reports_count(store: &Store, expected: &[(&str, u8)]) -> Result {
    for &(task, latest) in expected {
        let found = task_state(store, "m-1", task).await?;
        ensure!(
            found.reported_percent == Some(latest),
            "{task}'s latest report counts: {found:?}"
        );
    }
    Ok(())
}

/// Paging through the problems, tier by tier and oldest first, gives the whole list in its
/// order, each problem once, for every page size and filter.
async fn problem_pages_follow_the_list_order(store: Store) -> Result {
    use yrd_store::{Escalation, NewProblem, ProblemFilter, ProblemState};
    store.import(&importer(), &sample::dataset()).await?;
    for i in 0..9_i64 {
        let raised_on = date!(2026 - 01 - 10) + time::Duration::days(i % 4);
        let problem = store
            .raise_problem(
                &importer(),
                if i % 2 == 0 { "m-1" } else { "m-2" },
                &NewProblem {
                    title: Text::new(format!("问题{i}"), format!("problem {i}")),
                    description: Text::default(),
                    task: None,
                    due: raised_on + time::Duration::days(30),
                    raised_on,
                },
            )
            .await?;
        for _ in 0..(i % 3) {
            store
                .escalate_problem(
                    &importer(),
                    &problem.key,
                    &Escalation {
                        reason: Text::default(),
                        due: None,
                        on: date!(2026 - 03 - 01),
                    },
                    None,
                )
                .await?;
        }
    }
    let filters = [
        ProblemFilter::default(),
        ProblemFilter {
            state: ProblemState::All,
            ..ProblemFilter::default()
        },
        ProblemFilter {
            tier: Some(Tier::Coordination),
            ..ProblemFilter::default()
        },
        ProblemFilter {
            member: Some(code(B)),
            ..ProblemFilter::default()
        },
    ];
    for filter in &filters {
        let whole: Vec<String> = store
            .problems(filter)
            .await?
            .into_iter()
            .map(|p| p.key)
            .collect();
        ensure!(!whole.is_empty(), "{filter:?} lists problems");
        for size in [1_u32, 2, 4, 50] {
            let mut paged = Vec::new();
            let mut cursor = None;
            loop {
                let page = store.problems_page(filter, cursor.as_deref(), size).await?;
                ensure!(
                    page.items.len() <= size as usize,
                    "a page holds at most {size}"
                );
                paged.extend(page.items.into_iter().map(|p| p.key));
                match page.next_cursor {
                    Some(next) => cursor = Some(next),
                    None => break,
                }
            }
            ensure!(
                paged == whole,
                "{filter:?} by {size}: {paged:?} is not {whole:?}"
            );
        }
    }
    ensure!(
        matches!(
            store
                .problems_page(&ProblemFilter::default(), Some("execution|nope|p"), 5)
                .await,
            Err(StoreError::InvalidCursor)
        ),
        "a forged cursor is refused"
    );
    Ok(())
}

async fn migrations_revert_and_reapply(store: Store) -> Result {
    store.import(&importer(), &sample::dataset()).await?;
    store.revert_all_migrations().await?;
    ensure!(
        store.is_empty().await.is_err(),
        "tables must be gone after reverting every migration"
    );
    store.migrate().await?;
    ensure!(
        store.is_empty().await?,
        "a re-migrated database starts empty"
    );
    store.import(&importer(), &sample::dataset()).await?;
    ensure!(!store.is_empty().await?, "import after re-migration works");
    Ok(())
}

/// Reverting to a version undoes only the newer migrations, keeping the older tables and their
/// rows; a version this yrd does not know is refused and changes nothing.
async fn migrations_revert_to_a_version(store: Store) -> Result {
    store.import(&importer(), &sample::dataset()).await?;
    match store.revert_migrations_after(999).await {
        Err(StoreError::Invalid { field, reason }) => ensure!(
            field == "version" && reason.contains("999"),
            "names the version: {field}: {reason}"
        ),
        other => return Err(format!("an unknown version: {other:?}").into()),
    }
    ensure!(
        store.latest_closed_meeting().await.is_ok(),
        "a refused revert changes nothing"
    );
    store.revert_migrations_after(2).await?;
    ensure!(
        store.latest_closed_meeting().await.is_err(),
        "the meetings' state (migration 3) is gone"
    );
    ensure!(
        !store.is_empty().await? && store.journal_head().await?.0 > 0,
        "the jurisdictions (migration 1) and the journal (migration 2) keep their rows"
    );
    store.migrate().await?;
    ensure!(
        store.latest_closed_meeting().await.is_ok() && !store.is_empty().await?,
        "migrating again brings the newer schema back over the kept rows"
    );
    Ok(())
}

async fn import_round_trips_through_export(store: Store) -> Result {
    let mut dataset = sample::dataset();
    // A matter's parts are read back as JSON the database writes: a title with what JSON
    // escapes (quotes, a backslash, a line break, a control character) and a character beyond
    // the Basic Multilingual Plane must come back whole, and the milestones in their order.
    dataset.matters[0].milestones.push(Milestone {
        title: Text::new(
            "“验收”\"引号\"与\\反斜杠\n第二行\u{1}𠀀",
            "Acceptance \"quoted\" C:\\path\ttab",
        ),
        due: date!(2024 - 03 - 31),
        done_on: None,
    });
    let summary = store.import(&importer(), &dataset).await?;
    ensure!(
        summary.kinds["tasks"].inserted == 6,
        "six tasks inserted: {summary:?}"
    );
    let exported = canonical(store.export().await?);
    let expected = canonical(dataset);
    ensure!(
        exported == expected,
        "export differs from import:\n{exported:#?}\nvs\n{expected:#?}"
    );
    Ok(())
}

async fn drafts_and_responsible_bodies_round_trip(store: Store) -> Result {
    let mut dataset = sample::dataset();
    let body = dataset.bodies[0].key.clone();
    dataset.matters[1].body = Some(body.clone());
    dataset.matters[1].published = false;
    dataset.plans[0].published = false;
    store.import(&importer(), &dataset).await?;
    let exported = canonical(store.export().await?);
    let expected = canonical(dataset.clone());
    ensure!(
        exported == expected,
        "export differs from import:\n{exported:#?}\nvs\n{expected:#?}"
    );
    let m2 = exported
        .matters
        .iter()
        .find(|m| m.key == "m-2")
        .ok_or("m-2 missing")?;
    ensure!(
        m2.body.as_deref() == Some(body.as_str()) && !m2.published,
        "m-2 keeps its body and draft state: {m2:?}"
    );
    let outline = store.plan("outline").await?.ok_or("outline missing")?;
    ensure!(!outline.published, "the outline is a draft");
    let action = store
        .plan("action-2024")
        .await?
        .ok_or("action plan missing")?;
    ensure!(action.published, "the action plan is published");

    // Publishing and clearing the body are updates like any other.
    dataset.matters[1].body = None;
    dataset.matters[1].published = true;
    dataset.plans[0].published = true;
    let summary = store.import(&importer(), &dataset).await?;
    ensure!(
        summary.changed() == 2
            && summary.kinds["matters"].updated == 1
            && summary.kinds["plans"].updated == 1,
        "one matter and one plan updated: {summary:?}"
    );
    ensure!(
        canonical(store.export().await?) == canonical(dataset),
        "export after the update equals the dataset"
    );
    Ok(())
}

async fn reimport_changes_nothing(store: Store) -> Result {
    let dataset = sample::dataset();
    store.import(&importer(), &dataset).await?;
    let again = store.import(&importer(), &dataset).await?;
    ensure!(
        again.changed() == 0,
        "second import changed records: {again:?}"
    );
    ensure!(again.kinds["observations"].unchanged == 4, "{again:?}");
    Ok(())
}

/// The register of jurisdictions is kept between reads: an import through the same store
/// applies to the next read, one through another process within the recheck.
async fn the_kept_register_follows_every_import(store: Store) -> Result {
    let mut dataset = sample::dataset();
    store.import(&importer(), &dataset).await?;
    let other = store.as_another_process();
    let suzhou = |all: Vec<Jurisdiction>| {
        all.into_iter()
            .find(|j| j.code == code(B_CITY))
            .map(|j| j.name.en)
    };
    let first = suzhou(store.jurisdictions().await?).ok_or("Suzhou missing")?;
    ensure!(
        suzhou(store.jurisdictions().await?) == Some(first.clone()),
        "read again, the same register"
    );

    dataset.jurisdictions[2].name.en = "Suzhou, imported here".into();
    store.import(&importer(), &dataset).await?;
    ensure!(
        suzhou(store.jurisdictions().await?).as_deref() == Some("Suzhou, imported here"),
        "an import through this store applies to the next read"
    );

    dataset.jurisdictions[2].name.en = "Suzhou, imported elsewhere".into();
    other.import(&importer(), &dataset).await?;
    tokio::time::sleep(yrd_store::REGISTER_RECHECK).await;
    ensure!(
        suzhou(store.jurisdictions().await?).as_deref() == Some("Suzhou, imported elsewhere"),
        "another process's import applies within the recheck"
    );
    Ok(())
}

async fn import_updates_only_what_differs(store: Store) -> Result {
    let mut dataset = sample::dataset();
    store.import(&importer(), &dataset).await?;
    dataset.jurisdictions[2].name.en = "Suzhou (Jiangsu)".into();
    dataset.reports[1].percent = 75;
    let summary = store.import(&importer(), &dataset).await?;
    ensure!(
        summary.changed() == 2,
        "exactly two records changed: {summary:?}"
    );
    ensure!(
        summary.kinds["jurisdictions"].updated == 1 && summary.kinds["reports"].updated == 1,
        "{summary:?}"
    );
    let detail = store
        .jurisdiction(code(B_CITY))
        .await?
        .ok_or("Suzhou missing")?;
    ensure!(
        detail.jurisdiction.name.en == "Suzhou (Jiangsu)",
        "name not updated: {:?}",
        detail.jurisdiction.name
    );
    let matter = store
        .matter("m-1", date!(2025 - 01 - 01), ProgressBasis::Reported)
        .await?
        .ok_or("m-1 missing")?;
    let t1a = matter
        .state
        .tasks
        .iter()
        .find(|t| t.task.key == "t-1a")
        .ok_or("t-1a missing")?;
    ensure!(
        t1a.reported_percent == Some(75),
        "latest progress follows the updated report: {t1a:?}"
    );
    // Moving a report to another task changes the progress of both tasks.
    let moved = dataset
        .reports
        .iter_mut()
        .find(|r| r.key == "r-5")
        .ok_or("r-5")?;
    moved.task = "t-4a".into();
    store.import(&importer(), &dataset).await?;
    let today = date!(2025 - 01 - 01);
    let m3 = store
        .matter("m-3", today, ProgressBasis::Reported)
        .await?
        .ok_or("m-3")?;
    let m4 = store
        .matter("m-4", today, ProgressBasis::Reported)
        .await?
        .ok_or("m-4")?;
    let t4a = m4
        .state
        .tasks
        .iter()
        .find(|t| t.task.key == "t-4a")
        .ok_or("t-4a")?;
    ensure!(
        m3.state.tasks[0].reported_percent.is_none(),
        "the old task lost the report: {:?}",
        m3.state.tasks[0]
    );
    ensure!(
        t4a.verified_percent == Some(100),
        "the new task gained it: {t4a:?}"
    );
    Ok(())
}

async fn failed_import_leaves_database_unchanged(store: Store) -> Result {
    store.import(&importer(), &sample::dataset()).await?;
    let before = canonical(store.export().await?);
    let mut bad = sample::dataset();
    bad.jurisdictions[0].name.en = "Changed".into();
    let mut orphan = bad.tasks[0].clone();
    orphan.key = "t-orphan".into();
    orphan.matter = "no-such-matter".into();
    bad.tasks.push(orphan);
    let outcome = store.import(&importer(), &bad).await;
    ensure!(
        matches!(outcome, Err(StoreError::Database(_))),
        "the dangling task must fail the import: {outcome:?}"
    );
    let after = canonical(store.export().await?);
    ensure!(
        before == after,
        "a failed import must leave nothing written"
    );
    Ok(())
}

async fn jurisdiction_detail_has_parent_children_and_zones(store: Store) -> Result {
    store.import(&importer(), &sample::dataset()).await?;
    let all = store.jurisdictions().await?;
    ensure!(
        all.iter().map(|j| j.code.to_string()).collect::<Vec<_>>() == [A, B, B_CITY],
        "ordered by code: {all:?}"
    );
    let jiangsu = store
        .jurisdiction(code(B))
        .await?
        .ok_or("Jiangsu missing")?;
    ensure!(jiangsu.parent.is_none(), "a member has no parent");
    ensure!(
        jiangsu.children.len() == 1 && jiangsu.children[0].code == code(B_CITY),
        "{:?}",
        jiangsu.children
    );
    let suzhou = store
        .jurisdiction(code(B_CITY))
        .await?
        .ok_or("Suzhou missing")?;
    ensure!(
        suzhou.parent.as_ref().map(|p| p.code) == Some(code(B)),
        "parent is Jiangsu"
    );
    ensure!(
        suzhou.zones.len() == 1 && suzhou.zones[0].key == "core",
        "zones: {:?}",
        suzhou.zones
    );
    ensure!(
        suzhou.zones[0].members == vec![code(B_CITY), code(A)],
        "zone members keep their order"
    );
    ensure!(
        store.jurisdiction(code("330000")).await?.is_none(),
        "unknown code is None"
    );
    Ok(())
}

async fn meetings_page_newest_first_with_decisions(store: Store) -> Result {
    store.import(&importer(), &sample::dataset()).await?;
    let mut keys = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = store
            .meetings(&MeetingFilter::default(), cursor.as_deref(), 1)
            .await?;
        ensure!(page.items.len() <= 1, "limit respected");
        keys.extend(page.items.iter().map(|m| m.meeting.key.clone()));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    ensure!(
        keys == [
            "symposium-2024",
            "symposium-2023",
            "symposium-2022",
            "symposium-2021"
        ],
        "{keys:?}"
    );
    let latest = store
        .meeting("symposium-2024")
        .await?
        .ok_or("2024 missing")?;
    ensure!(
        latest.body_members == vec![code(A), code(B)],
        "body members in order: {:?}",
        latest.body_members
    );
    let titles: Vec<u32> = latest.decisions.iter().map(|d| d.seq).collect();
    ensure!(titles == [1, 2], "decisions in seq order: {titles:?}");
    let positions = &latest.decisions[0].positions;
    ensure!(
        positions.len() == 2
            && positions[0].stance == Stance::ConsentInPrinciple
            && positions[1].comment.en == "Agreed",
        "positions read back in order: {positions:?}"
    );
    let filtered = store
        .meetings(
            &MeetingFilter {
                body: Some("none".into()),
            },
            None,
            10,
        )
        .await?;
    ensure!(
        filtered.items.is_empty() && filtered.next_cursor.is_none(),
        "body filter"
    );
    Ok(())
}

async fn task_progress_tracks_latest_reported_and_verified(store: Store) -> Result {
    store.import(&importer(), &sample::dataset()).await?;
    let m1 = store
        .matter("m-1", date!(2025 - 01 - 01), ProgressBasis::Reported)
        .await?
        .ok_or("m-1")?;
    let find = |key: &str| m1.state.tasks.iter().find(|t| t.task.key == key).cloned();
    let t1a = find("t-1a").ok_or("t-1a")?;
    ensure!(
        t1a.reported_percent == Some(60) && t1a.reported_as_of == Some(date!(2024 - 12 - 31)),
        "{t1a:?}"
    );
    ensure!(
        t1a.verified_percent == Some(40) && t1a.verified_as_of == Some(date!(2024 - 06 - 30)),
        "{t1a:?}"
    );
    let m2 = store
        .matter("m-2", date!(2025 - 01 - 01), ProgressBasis::Reported)
        .await?
        .ok_or("m-2")?;
    let t2b = &m2.state.tasks[0];
    ensure!(
        t2b.reported_percent.is_none() && t2b.verified_percent.is_none(),
        "a returned report does not count: {t2b:?}"
    );
    Ok(())
}

async fn plan_rollup_counts_unreported_tasks_apart(store: Store) -> Result {
    store.import(&importer(), &sample::dataset()).await?;
    let rows = store
        .plan_rollup("action-2024", &yrd_domain::access::DraftVisibility::All)
        .await?;
    let cell = |area: Option<&str>, who: &str| {
        rows.iter()
            .find(|r| r.area.as_deref() == area && r.jurisdiction == code(who))
            .cloned()
    };
    let tech_b = cell(Some("tech"), B).ok_or("tech × Jiangsu")?;
    ensure!(
        (
            tech_b.tasks,
            tech_b.reported,
            tech_b.reported_sum,
            tech_b.reported_done
        ) == (2, 1, 100, 1),
        "tech × Jiangsu: {tech_b:?}"
    );
    let tech_a = cell(Some("tech"), A).ok_or("tech × Shanghai")?;
    ensure!(
        (
            tech_a.reported,
            tech_a.reported_sum,
            tech_a.verified,
            tech_a.verified_sum
        ) == (1, 60, 1, 40),
        "{tech_a:?}"
    );
    let none_a = cell(None, A).ok_or("no area × Shanghai")?;
    ensure!(
        (none_a.tasks, none_a.reported, none_a.verified) == (1, 0, 0),
        "unreported stays unreported: {none_a:?}"
    );
    ensure!(rows.len() == 5, "five non-empty cells: {rows:?}");
    ensure!(
        store
            .plan_rollup("outline", &yrd_domain::access::DraftVisibility::All)
            .await?
            .is_empty(),
        "a plan without matters has no cells"
    );
    Ok(())
}

async fn matters_filter_and_paginate(store: Store) -> Result {
    store.import(&importer(), &sample::dataset()).await?;
    let today = date!(2025 - 01 - 01);
    let keys = |page: yrd_store::Page<yrd_store::MatterState>| {
        page.items
            .into_iter()
            .map(|m| m.matter.key)
            .collect::<Vec<_>>()
    };
    let all = store
        .matters(
            &MatterFilter::default(),
            today,
            ProgressBasis::Reported,
            None,
            100,
        )
        .await?;
    ensure!(all.next_cursor.is_none(), "one page holds all");
    ensure!(
        keys(all) == ["m-1", "m-2", "m-3", "m-4"],
        "all matters by key"
    );
    let tech = MatterFilter {
        plan: Some("action-2024".into()),
        area: Some("tech".into()),
        ..Default::default()
    };
    ensure!(
        keys(
            store
                .matters(&tech, today, ProgressBasis::Reported, None, 100)
                .await?
        ) == ["m-1", "m-2"],
        "area filter"
    );
    let jiangsu = MatterFilter {
        member: Some(code(B)),
        ..Default::default()
    };
    ensure!(
        keys(
            store
                .matters(&jiangsu, today, ProgressBasis::Reported, None, 100)
                .await?
        ) == ["m-1", "m-2", "m-4"],
        "member filter"
    );
    let done = MatterFilter {
        status: Some(MatterStatus::Done),
        ..Default::default()
    };
    ensure!(
        keys(
            store
                .matters(&done, today, ProgressBasis::Reported, None, 100)
                .await?
        ) == ["m-3"],
        "status filter"
    );
    let not_started = MatterFilter {
        status: Some(MatterStatus::NotStarted),
        ..Default::default()
    };
    ensure!(
        keys(
            store
                .matters(&not_started, today, ProgressBasis::Reported, None, 100)
                .await?
        ) == ["m-2", "m-4"],
        "a returned report leaves a matter not started"
    );
    let mut walked = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = store
            .matters(
                &jiangsu,
                today,
                ProgressBasis::Reported,
                cursor.as_deref(),
                2,
            )
            .await?;
        ensure!(page.items.len() <= 2, "limit respected");
        walked.extend(page.items.iter().map(|m| m.matter.key.clone()));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    ensure!(
        walked == ["m-1", "m-2", "m-4"],
        "pages cover the list exactly once: {walked:?}"
    );
    Ok(())
}

/// The lines the pages list are the full records cut short: the same matters on the same
/// pages, with the same statuses, on every basis and day (a past day among them, where later
/// reports must not count), and their means are those of the members' tasks' figures.
async fn matter_lines_agree_with_the_full_records(store: Store) -> Result {
    store.import(&importer(), &sample::dataset()).await?;
    let mean = |figures: Vec<u8>| {
        (!figures.is_empty()).then(|| {
            let sum: u32 = figures.iter().map(|&p| u32::from(p)).sum();
            (f64::from(sum) / figures.len() as f64).round() as u8
        })
    };
    let filters = [
        MatterFilter::default(),
        MatterFilter {
            plan: Some("action-2024".into()),
            area: Some("tech".into()),
            ..Default::default()
        },
        MatterFilter {
            member: Some(code(B)),
            ..Default::default()
        },
        MatterFilter {
            status: Some(MatterStatus::NotStarted),
            ..Default::default()
        },
        MatterFilter {
            status: Some(MatterStatus::Overdue),
            ..Default::default()
        },
        MatterFilter {
            status: Some(MatterStatus::Done),
            ..Default::default()
        },
    ];
    let mut statuses = std::collections::BTreeSet::new();
    let mut m1_means = std::collections::BTreeSet::new();
    for today in [
        date!(2024 - 07 - 01),
        date!(2025 - 01 - 01),
        date!(2026 - 06 - 01),
    ] {
        for basis in [ProgressBasis::Reported, ProgressBasis::Verified] {
            for filter in &filters {
                for limit in [1, 2, 100] {
                    let mut cursor: Option<String> = None;
                    loop {
                        let full = store
                            .matters(filter, today, basis, cursor.as_deref(), limit)
                            .await?;
                        let lines = store
                            .matter_lines(filter, today, basis, cursor.as_deref(), limit)
                            .await?;
                        let at = format!("{today} {basis:?} {filter:?} limit {limit}");
                        ensure!(
                            lines.next_cursor == full.next_cursor,
                            "the same pages: {at}"
                        );
                        ensure!(
                            lines.items.len() == full.items.len(),
                            "the same matters: {at}"
                        );
                        for (line, state) in lines.items.iter().zip(&full.items) {
                            let m = &state.matter;
                            ensure!(
                                (&line.key, &line.plan, &line.area, &line.title)
                                    == (&m.key, &m.plan, &m.area, &m.title)
                                    && (&line.leads, &line.participants)
                                        == (&m.leads, &m.participants)
                                    && (line.start, line.due) == (m.start, m.due),
                                "{} reads as its record: {at}",
                                m.key
                            );
                            ensure!(
                                line.status == state.status,
                                "{} has its record's status: {:?} against {:?}, {at}",
                                m.key,
                                line.status,
                                state.status
                            );
                            let reported = state.tasks.iter().filter_map(|t| t.reported_percent);
                            let verified = state.tasks.iter().filter_map(|t| t.verified_percent);
                            ensure!(
                                line.mean_reported == mean(reported.collect())
                                    && line.mean_verified == mean(verified.collect()),
                                "{}'s means are its tasks': {line:?}, {at}",
                                m.key
                            );
                            statuses.insert(format!("{:?}", line.status));
                            if line.key == "m-1" {
                                m1_means.insert(line.mean_reported);
                            }
                        }
                        match full.next_cursor {
                            Some(next) => cursor = Some(next),
                            None => break,
                        }
                    }
                }
            }
        }
    }
    // The comparison is only worth something if the sample varies.
    ensure!(statuses.len() >= 3, "statuses compared: {statuses:?}");
    ensure!(
        m1_means.len() >= 2,
        "m-1's mean differs between days: {m1_means:?}"
    );
    Ok(())
}

async fn matter_detail_has_tasks_problems_and_reports(store: Store) -> Result {
    store.import(&importer(), &sample::dataset()).await?;
    let detail = store
        .matter("m-1", date!(2025 - 01 - 01), ProgressBasis::Verified)
        .await?
        .ok_or("m-1")?;
    let matter = &detail.state.matter;
    ensure!(
        matter.leads == vec![code(A)] && matter.participants == vec![code(B)],
        "members: {matter:?}"
    );
    ensure!(
        matter.milestones.len() == 1
            && matter.indicators == ["rail"]
            && matter.agreements == ["pact"],
        "links: {matter:?}"
    );
    ensure!(detail.state.tasks.len() == 2, "two tasks");
    ensure!(
        detail.problems.len() == 1 && detail.problems[0].tier == Tier::Execution,
        "{:?}",
        detail.problems
    );
    let reports: Vec<&str> = detail
        .recent_reports
        .iter()
        .map(|r| r.key.as_str())
        .collect();
    ensure!(
        reports == ["r-3", "r-2", "r-1"],
        "newest first: {reports:?}"
    );

    // More reports than a page shows, across a matter's tasks and a sub-task, some on the
    // same day: the newest 200 of them all, newest first, the greater key first on a day.
    let mut dataset = sample::dataset();
    let mut sub = dataset
        .tasks
        .iter()
        .find(|t| t.key == "t-4a")
        .ok_or("t-4a")?
        .clone();
    sub.key = "t-4a.1".into();
    sub.parent = Some("t-4a".into());
    dataset.tasks.push(sub);
    let template = dataset.reports[0].clone();
    for (i, task) in ["t-4a", "t-4b", "t-4a.1"]
        .iter()
        .cycle()
        .take(330)
        .enumerate()
    {
        let mut report = template.clone();
        report.key = format!("many-{i:03}");
        report.task = (*task).into();
        report.as_of = date!(2024 - 01 - 01) + time::Duration::days((i / 2) as i64);
        dataset.reports.push(report);
    }
    store.import(&importer(), &dataset).await?;
    let many = store
        .matter("m-4", date!(2025 - 01 - 01), ProgressBasis::Reported)
        .await?
        .ok_or("m-4")?;
    let mut expected: Vec<&yrd_domain::ProgressReport> = dataset
        .reports
        .iter()
        .filter(|r| ["t-4a", "t-4b", "t-4a.1"].contains(&r.task.as_str()))
        .collect();
    expected.sort_by(|a, b| (b.as_of, &b.key).cmp(&(a.as_of, &a.key)));
    let expected: Vec<&str> = expected.iter().take(200).map(|r| r.key.as_str()).collect();
    let shown: Vec<&str> = many.recent_reports.iter().map(|r| r.key.as_str()).collect();
    ensure!(
        shown == expected,
        "the newest 200 of 330: {shown:?}, expected {expected:?}"
    );
    ensure!(
        store
            .matter("nope", date!(2025 - 01 - 01), ProgressBasis::Reported)
            .await?
            .is_none(),
        "unknown matter"
    );
    Ok(())
}

async fn a_tasks_record_shows_its_newest_reports_and_its_list_pages_through_all(
    store: Store,
) -> Result {
    // 230 reports on one task, two a day, keyed out of date order so that the list must
    // order by day first and by key within a day.
    let mut dataset = sample::dataset();
    let template = dataset.reports[0].clone();
    for i in 0..230usize {
        let mut report = template.clone();
        report.key = format!("hist-{:03}", (i * 7) % 230);
        report.task = "t-4b".into();
        report.as_of = date!(2023 - 01 - 01) + time::Duration::days((i / 2) as i64);
        dataset.reports.push(report);
    }
    store.import(&importer(), &dataset).await?;
    let mut expected: Vec<&yrd_domain::ProgressReport> = dataset
        .reports
        .iter()
        .filter(|r| r.task == "t-4b")
        .collect();
    expected.sort_by(|a, b| (a.as_of, &a.key).cmp(&(b.as_of, &b.key)));
    let expected: Vec<&str> = expected.iter().map(|r| r.key.as_str()).collect();
    ensure!(
        expected.len() >= 230,
        "230 reports or more: {}",
        expected.len()
    );

    let task = store.task("t-4b").await?.ok_or("t-4b")?;
    let shown: Vec<&str> = task.reports.iter().map(|r| r.key.as_str()).collect();
    ensure!(
        shown == expected[expected.len() - 200..],
        "the newest 200, oldest first: {shown:?}"
    );
    ensure!(
        task.reports_total == expected.len() as u64,
        "all counted: {} of {}",
        task.reports_total,
        expected.len()
    );
    let few = store.task("t-4a").await?.ok_or("t-4a")?;
    ensure!(
        few.reports_total == few.reports.len() as u64,
        "a short history is shown whole: {} of {}",
        few.reports.len(),
        few.reports_total
    );

    // Pages of 64 join up without gaps or repeats, in the same order.
    let mut walked = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let page = store
            .task_reports("t-4b", cursor.as_deref(), 64)
            .await?
            .ok_or("t-4b's reports")?;
        pages += 1;
        walked.extend(page.items.iter().map(|r| r.key.clone()));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
        ensure!(pages < 10, "the pages never end");
    }
    ensure!(walked == expected, "every report in order: {walked:?}");
    ensure!(
        pages == expected.len().div_ceil(64),
        "{pages} pages for {}",
        expected.len()
    );
    ensure!(
        store.task_reports("nope", None, 10).await?.is_none(),
        "unknown task"
    );
    ensure!(
        matches!(
            store
                .task_reports("t-4b", Some("not-a-date|hist-001"), 10)
                .await,
            Err(StoreError::InvalidCursor)
        ),
        "a cursor that is not a day and a key"
    );
    Ok(())
}

async fn agreements_and_indicators_read_back(store: Store) -> Result {
    store.import(&importer(), &sample::dataset()).await?;
    ensure!(
        store.agreements(Some(code(B))).await?.len() == 1,
        "Jiangsu is a party"
    );
    ensure!(
        store.agreements(Some(code(B_CITY))).await?.is_empty(),
        "Suzhou is not a party"
    );
    let pact = store.agreement("pact").await?.ok_or("pact")?;
    ensure!(
        pact.parties.len() == 2 && pact.parties[1].signed_on.is_none(),
        "{pact:?}"
    );
    let river = store.indicator("river").await?.ok_or("river")?;
    ensure!(river.indicator.classes.len() == 5, "classes");
    let values: Vec<&Value> = river.observations.iter().map(|o| &o.value).collect();
    ensure!(
        values == [&Value::Class("IV".into()), &Value::Class("II".into())],
        "oldest first: {values:?}"
    );
    let rail = store.indicator("rail").await?.ok_or("rail")?;
    ensure!(
        rail.observations[0].value == Value::Number(7100.5),
        "floats round-trip exactly"
    );
    ensure!(
        rail.observations.iter().all(|o| !o.source.is_empty()),
        "every observation has a source"
    );
    Ok(())
}

async fn invalid_cursor_is_rejected(store: Store) -> Result {
    store.import(&importer(), &sample::dataset()).await?;
    let outcome = store
        .meetings(&MeetingFilter::default(), Some("garbage"), 10)
        .await;
    ensure!(
        matches!(outcome, Err(StoreError::InvalidCursor)),
        "{outcome:?}"
    );
    Ok(())
}

async fn progress_as_of_a_past_day_ignores_later_reports(store: Store) -> Result {
    store.import(&importer(), &sample::dataset()).await?;
    let mid_2024 = date!(2024 - 07 - 01);
    let then = store
        .matter("m-1", mid_2024, ProgressBasis::Reported)
        .await?
        .ok_or("m-1")?;
    let t1a = then
        .state
        .tasks
        .iter()
        .find(|t| t.task.key == "t-1a")
        .ok_or("t-1a")?;
    ensure!(
        (t1a.reported_percent, t1a.verified_percent) == (Some(40), Some(40)),
        "on 2024-07-01 only the June report counts: {t1a:?}"
    );
    let t1b = then
        .state
        .tasks
        .iter()
        .find(|t| t.task.key == "t-1b")
        .ok_or("t-1b")?;
    ensure!(
        t1b.reported_percent.is_none(),
        "a December report does not exist yet in July: {t1b:?}"
    );
    let page = store
        .matters(
            &MatterFilter::default(),
            mid_2024,
            ProgressBasis::Reported,
            None,
            10,
        )
        .await?;
    let m3 = page
        .items
        .iter()
        .find(|m| m.matter.key == "m-3")
        .ok_or("m-3")?;
    ensure!(
        m3.status != MatterStatus::Done,
        "m-3 is only done from December 2024: {:?}",
        m3.status
    );
    let now = store
        .matter("m-1", date!(2025 - 06 - 01), ProgressBasis::Reported)
        .await?
        .ok_or("m-1")?;
    let t1a = now
        .state
        .tasks
        .iter()
        .find(|t| t.task.key == "t-1a")
        .ok_or("t-1a")?;
    ensure!(
        t1a.reported_percent == Some(60),
        "later, the latest report counts: {t1a:?}"
    );
    Ok(())
}

async fn past_hosts_and_indicators_with_observations(store: Store) -> Result {
    store.import(&importer(), &sample::dataset()).await?;
    let hosts = store.past_hosts("symposium", 10).await?;
    ensure!(
        hosts == vec![code(B_CITY), code(A), code(B_CITY), code(A)],
        "oldest first: {hosts:?}"
    );
    let latest = store.past_hosts("symposium", 2).await?;
    ensure!(
        latest == vec![code(B_CITY), code(A)],
        "the latest two, oldest first: {latest:?}"
    );
    ensure!(
        store.past_hosts("nobody", 10).await?.is_empty(),
        "unknown body has no hosts"
    );
    let all = store.indicators_with_observations().await?;
    let counts: Vec<(String, usize)> = all
        .iter()
        .map(|i| (i.indicator.key.clone(), i.observations.len()))
        .collect();
    ensure!(
        counts == [("rail".to_string(), 2), ("river".to_string(), 2)],
        "{counts:?}"
    );
    Ok(())
}

async fn yrd_dataset_imports_idempotently(store: Store) -> Result {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/yrd");
    let dataset = yrd_dataset::read_dir(&dir).map_err(|e| format!("data/yrd is invalid:\n{e}"))?;
    let first = store.import(&importer(), &dataset).await?;
    ensure!(first.changed() > 0, "the first import writes the dataset");
    let second = store.import(&importer(), &dataset).await?;
    ensure!(
        second.changed() == 0,
        "re-importing the YRD dataset changed records: {second:?}"
    );
    ensure!(
        canonical(store.export().await?) == canonical(dataset),
        "export equals the imported dataset"
    );
    let wenzhou = store
        .jurisdiction(code("330300"))
        .await?
        .ok_or("Wenzhou missing")?;
    ensure!(
        wenzhou.jurisdiction.name.zh == "温州市",
        "330300 is Wenzhou"
    );
    ensure!(
        wenzhou.parent.map(|p| p.code) == Some(code("330000")),
        "Wenzhou is under Zhejiang"
    );
    Ok(())
}

async fn what_a_member_owes_leaves_out_what_is_done(store: Store) -> Result {
    store.import(&importer(), &sample::dataset()).await?;
    let all = yrd_domain::access::DraftVisibility::All;
    let owed = |member: &'static str, due_by: Option<time::Date>, limit: u32| {
        let store = store.clone();
        let all = all.clone();
        async move {
            store
                .owed_by(code(member), &all, due_by, None, limit)
                .await
                .map(|page| {
                    page.items
                        .into_iter()
                        .map(|t| t.state.task.key)
                        .collect::<Vec<_>>()
                })
        }
    };
    // Jiangsu's t-1b is reported at 100 %: not owed, although its key comes first.
    ensure!(
        owed(B, None, 1).await? == ["t-2b"],
        "the first owed skips the done"
    );
    ensure!(
        owed(B, None, 10).await? == ["t-2b", "t-4b"],
        "Jiangsu owes two"
    );
    ensure!(
        owed(A, None, 10).await? == ["t-1a", "t-4a"],
        "Shanghai owes two"
    );
    ensure!(
        owed(A, Some(date!(2026 - 12 - 30)), 10).await?.is_empty()
            && owed(A, Some(date!(2026 - 12 - 31)), 10).await? == ["t-1a", "t-4a"],
        "due by a day"
    );
    // A page at a time: each task once, in order, each with its matter's title.
    let first = store.owed_by(code(A), &all, None, None, 1).await?;
    let cursor = first.next_cursor.as_deref().ok_or("a second page")?;
    let second = store.owed_by(code(A), &all, None, Some(cursor), 1).await?;
    let keys: Vec<&str> = first
        .items
        .iter()
        .chain(&second.items)
        .map(|t| t.state.task.key.as_str())
        .collect();
    ensure!(keys == ["t-1a", "t-4a"], "two pages of one: {keys:?}");
    ensure!(second.next_cursor.is_none(), "and no third");
    for owed in first.items.iter().chain(&second.items) {
        let matter = store
            .matter(
                &owed.matter_key,
                date!(2026 - 01 - 01),
                ProgressBasis::Reported,
            )
            .await?
            .ok_or("the owed task's matter")?;
        ensure!(
            owed.matter_key == owed.state.task.matter
                && owed.matter_title == matter.state.matter.title,
            "{} is in {} titled {:?}",
            owed.state.task.key,
            owed.matter_key,
            owed.matter_title
        );
    }
    for bad in ["nonsense", "2026-02-30|t-1a", "2026-01-01|T 1"] {
        ensure!(
            matches!(
                store.owed_by(code(A), &all, None, Some(bad), 1).await,
                Err(yrd_store::StoreError::InvalidCursor)
            ),
            "the cursor {bad:?} is refused"
        );
    }
    // Reported done, a task is no longer owed; its report returned, it is owed again.
    let report = store
        .submit_report(
            &importer(),
            "t-2b",
            &yrd_store::NewReport {
                as_of: date!(2025 - 06 - 30),
                percent: 100,
                narrative: Text::new("完成", "Done"),
                evidence: vec![],
            },
        )
        .await?;
    ensure!(owed(B, None, 10).await? == ["t-4b"], "t-2b reported done");
    store
        .review_report(
            &importer(),
            &report.key,
            &yrd_store::ReportTransition::Return {
                reason: Text::new("缺少佐证材料", "Evidence missing"),
            },
            None,
        )
        .await?;
    ensure!(
        owed(B, None, 10).await? == ["t-2b", "t-4b"],
        "t-2b's report returned"
    );
    Ok(())
}
