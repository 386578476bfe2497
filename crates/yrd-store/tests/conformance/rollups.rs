//! Plans' kept roll-ups against the tasks they count: after every kind of change to tasks and
//! matters (imports, reports and their review, sub-tasks, publication, carry-over, and
//! changes made by hand in the database), each plan's roll-up equals, for every reader, the
//! one counted afresh from the records.

use time::macros::date;
use yrd_domain::access::DraftVisibility;
use yrd_domain::*;
use yrd_store::{CarryOver, NewReport, NewSubtask, ReportTransition, RollupRow, Store};

use crate::ensure;
use crate::sample::{A, B, code};

type Result = std::result::Result<(), libtest_mimic::Failed>;

fn author() -> yrd_store::Author {
    yrd_store::Author::Command {
        command: "rollups".into(),
        os_user: "conformance".into(),
    }
}

fn t(zh: &str, en: &str) -> Text {
    Text::new(zh, en)
}

/// Who may read what: everyone (the office), visitors, and a body's members (its drafts too).
fn readers() -> [DraftVisibility; 3] {
    [
        DraftVisibility::All,
        DraftVisibility::OfBodies(vec![]),
        DraftVisibility::OfBodies(vec!["symposium".into()]),
    ]
}

/// Checks every plan's kept roll-up against the count from the tasks, for every reader, and
/// returns the action plan's as the office sees it.
async fn agree(store: &Store, after: &str) -> std::result::Result<Vec<RollupRow>, String> {
    let plans = store.plans().await.map_err(|e| e.to_string())?;
    for plan in &plans {
        for drafts in readers() {
            let kept = store
                .plan_rollup(&plan.key, &drafts)
                .await
                .map_err(|e| e.to_string())?;
            let counted = store
                .plan_rollup_counted(&plan.key, &drafts)
                .await
                .map_err(|e| e.to_string())?;
            if kept != counted {
                return Err(format!(
                    "after {after}, plan {} for {drafts:?}: kept {kept:?}, counted {counted:?}",
                    plan.key
                ));
            }
        }
    }
    store
        .plan_rollup("action-2024", &DraftVisibility::All)
        .await
        .map_err(|e| e.to_string())
}

/// The cell of an area (`None`: no area) and member.
fn cell(rows: &[RollupRow], area: Option<&str>, who: &str) -> Option<RollupRow> {
    rows.iter()
        .find(|r| r.area.as_deref() == area && r.jurisdiction == code(who))
        .cloned()
}

pub async fn kept_rollups_follow_every_change(store: Store) -> Result {
    let who = author();
    // The sample with a work plan to carry matters over into.
    let mut dataset = crate::mechanism::base();
    // A body's draft matter, and a sub-task written by the import: neither is a visitor's, and
    // a sub-task is no member's share.
    let m3 = dataset
        .matters
        .iter_mut()
        .find(|m| m.key == "m-3")
        .ok_or("m-3")?;
    m3.body = Some("symposium".into());
    m3.published = false;
    let mut sub = dataset
        .tasks
        .iter()
        .find(|t| t.key == "t-1a")
        .ok_or("t-1a")?
        .clone();
    sub.key = "t-1a.1".into();
    sub.parent = Some("t-1a".into());
    dataset.tasks.push(sub);
    store.import(&who, &dataset).await?;
    let imported = agree(&store, "the import").await?;
    let visible = store
        .plan_rollup("action-2024", &DraftVisibility::OfBodies(vec![]))
        .await?;
    ensure!(
        cell(&imported, Some("green"), A).is_some() && cell(&visible, Some("green"), A).is_none(),
        "the body's draft is the office's, not a visitor's: {imported:?} / {visible:?}"
    );
    ensure!(
        cell(&imported, Some("tech"), A).map(|c| c.tasks) == Some(1),
        "a sub-task is not counted: {imported:?}"
    );

    // A report submitted, then reviewed: another verified, and this one returned.
    let submitted = store
        .submit_report(
            &who,
            "t-4a",
            &NewReport {
                as_of: date!(2025 - 03 - 31),
                percent: 100,
                narrative: t("完成", "Done"),
                evidence: vec![],
            },
        )
        .await?;
    let reported = agree(&store, "a report").await?;
    ensure!(
        cell(&reported, None, A).map(|c| (c.reported, c.reported_sum, c.reported_done))
            == Some((1, 100, 1)),
        "the report counts: {reported:?}"
    );
    store
        .review_report(&who, "r-2", &ReportTransition::Verify, None)
        .await?;
    let verified = agree(&store, "a verification").await?;
    ensure!(
        cell(&verified, Some("tech"), A).map(|c| c.verified_sum) == Some(60),
        "the verified figure moves to 60: {verified:?}"
    );
    store
        .review_report(
            &who,
            &submitted.key,
            &ReportTransition::Return {
                reason: t("缺少佐证材料", "Evidence missing"),
            },
            None,
        )
        .await?;
    let returned = agree(&store, "a returned report").await?;
    ensure!(
        cell(&returned, None, A).map(|c| (c.reported, c.reported_done)) == Some((0, 0)),
        "a returned report no longer counts: {returned:?}"
    );

    // A sub-task changes nothing; withdrawing a matter hides it from visitors.
    let before = agree(&store, "the reviews").await?;
    store
        .add_subtask(
            &who,
            "t-1b",
            &NewSubtask {
                unit: t("苏州市", "Suzhou"),
                title: t("分项", "Part"),
                due: date!(2025 - 12 - 31),
            },
        )
        .await?;
    ensure!(
        agree(&store, "a sub-task").await? == before,
        "a sub-task moves no figure"
    );
    store.set_matter_published(&who, "m-2", false).await?;
    agree(&store, "a withdrawal").await?;

    // Carried over into the work plan: new matters and tasks in another plan.
    store
        .carry_over(
            &who,
            "m-4",
            &CarryOver {
                plan: "work-2027".into(),
                due: None,
            },
        )
        .await?;
    agree(&store, "a carry-over").await?;
    ensure!(
        !store
            .plan_rollup("work-2027", &DraftVisibility::All)
            .await?
            .is_empty(),
        "the carried-over tasks count in the work plan"
    );

    // A re-import moves a matter to another area and another to another plan, gives a third
    // to a body, and moves a task to another matter.
    for m in &mut dataset.matters {
        match m.key.as_str() {
            "m-1" => m.area = Some("green".into()),
            "m-3" => m.plan = "work-2027".into(),
            "m-4" => m.body = Some("symposium".into()),
            _ => {}
        }
    }
    for task in &mut dataset.tasks {
        if task.key == "t-1b" {
            task.matter = "m-4".into();
        }
    }
    store.import(&who, &dataset).await?;
    agree(&store, "a re-import that moves matters and tasks").await?;

    // Changes made in the database by hand: another member, a task made a sub-task, a task
    // deleted.
    for (sql, what) in [
        (
            format!("UPDATE tasks SET jurisdiction = '{B}' WHERE key = 't-1a'"),
            "a task given to another member",
        ),
        (
            "UPDATE tasks SET parent = 't-4b' WHERE key = 't-4a'".to_string(),
            "a task made a sub-task",
        ),
        (
            "UPDATE tasks SET parent = NULL WHERE key = 't-4a'".to_string(),
            "a sub-task made a task again",
        ),
        (
            "DELETE FROM reports WHERE task = 't-2b'".to_string(),
            "a task's reports deleted",
        ),
        (
            "DELETE FROM tasks WHERE key = 't-2b'".to_string(),
            "a task deleted",
        ),
    ] {
        store.execute_raw(&sql).await?;
        agree(&store, what).await?;
    }
    let last = agree(&store, "every change").await?;
    ensure!(
        cell(&last, Some("tech"), B).is_none(),
        "m-2's only task is gone, and with it the tech × Jiangsu cell: {last:?}"
    );
    Ok(())
}
