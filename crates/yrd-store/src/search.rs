//! Searching the record's texts: matters, plans, meetings, agreements and indicators whose
//! titles or descriptions contain the query, in either language; and finding what a member
//! owes (its unfinished tasks, by due date).
//!
//! Matching is by substring (`LIKE '%…%'`), which is what Chinese needs: words are not
//! separated by spaces, so a search for 太浦河 or 轨道交通 must find it inside longer text
//! without any word segmentation. Unpublished matters and plans are searched only as far as
//! the reader may see them.

use serde::Serialize;
use time::Date;
use yrd_domain::access::DraftVisibility;
use yrd_domain::{Text, is_valid_key};

use crate::codec::ISO_DATE;
use crate::exec::Arg;
use crate::read::{
    Conditions, MAX_PAGE, TASK_COLUMNS, add_draft_condition, decode_cursor, encode_cursor,
};
use crate::{Page, Store, StoreError};

/// A record that matches a search.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SearchHit {
    /// `matter`, `plan`, `meeting`, `agreement` or `indicator`.
    pub kind: &'static str,
    pub key: String,
    pub title: Text,
}

/// The record kinds searched, with their table and the text columns matched.
const SEARCHED: &[(&str, &str, &str, &[&str])] = &[
    ("matter", "matters", "title", &["title", "objective"]),
    ("plan", "plans", "title", &["title", "summary"]),
    ("meeting", "meetings", "title", &["title", "theme"]),
    ("agreement", "agreements", "title", &["title", "summary"]),
    ("indicator", "indicators", "name", &["name", "description"]),
];

/// The longest query accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 100;

/// A `LIKE` pattern that matches `query` anywhere, with `\` escaping the wildcards.
fn contains_pattern(query: &str) -> String {
    let mut pattern = String::from("%");
    for c in query.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

#[derive(sqlx::FromRow, serde::Deserialize)]
struct HitRow {
    key: String,
    title_zh: String,
    title_en: String,
}

impl Store {
    /// Records whose texts contain `query` (case-insensitively for Latin letters), at most
    /// `limit` of each kind, by key.
    pub async fn search(
        &self,
        query: &str,
        drafts: &DraftVisibility,
        limit: u32,
    ) -> Result<Vec<SearchHit>, StoreError> {
        let query = query.trim();
        if query.is_empty() {
            return Ok(Vec::new());
        }
        if query.chars().count() > MAX_QUERY_CHARS {
            return Err(StoreError::invalid(
                "q",
                format!("at most {MAX_QUERY_CHARS} characters"),
            ));
        }
        let pattern = contains_pattern(query);
        let mut hits = Vec::new();
        for (kind, table, title, columns) in SEARCHED {
            let mut conditions = Conditions::default();
            let matched: Vec<String> = columns
                .iter()
                .flat_map(|c| {
                    ["zh", "en"].map(|lang| format!("LOWER({c}_{lang}) LIKE ? ESCAPE '\\'"))
                })
                .collect();
            let values = vec![Arg::from(pattern.as_str()); matched.len()];
            conditions.add(&format!("({})", matched.join(" OR ")), values);
            match *kind {
                "matter" => add_draft_condition(&mut conditions, drafts, ""),
                "plan" if *drafts != DraftVisibility::All => {
                    conditions.add("published = ?", vec![true.into()]);
                }
                // Draft agreements are seen by those who see every draft: the office and
                // auditors, as the policy's rule for a draft without a responsible body says.
                "agreement" if *drafts != DraftVisibility::All => {
                    conditions.add("state <> ?", vec!["draft".into()]);
                }
                _ => {}
            }
            let rows: Vec<HitRow> = self
                .fetch(
                    format!(
                        "SELECT key, {title}_zh AS title_zh, {title}_en AS title_en FROM {table} {} \
                         ORDER BY key LIMIT {limit}",
                        conditions.where_clause()
                    ),
                    conditions.args,
                )
                .await?;
            hits.extend(rows.into_iter().map(|r| SearchHit {
                kind,
                key: r.key,
                title: Text::new(r.title_zh, r.title_en),
            }));
        }
        Ok(hits)
    }
}

#[cfg(test)]
mod tests {
    use super::contains_pattern;

    /// What a member owes is found along the index of unfinished tasks, whoever reads it,
    /// however far ahead and from whichever page on, with no sort.
    #[tokio::test]
    async fn owed_tasks_are_found_by_the_index_of_unfinished_ones() {
        use crate::read::query_plan::{plan, scans_whole_table};
        use yrd_domain::access::DraftVisibility;
        let scratch = crate::testing::ScratchStore::sqlite()
            .await
            .expect("scratch");
        for drafts in [
            DraftVisibility::All,
            DraftVisibility::OfBodies(vec![]),
            DraftVisibility::OfBodies(vec!["group".into()]),
        ] {
            for due_by in [None, Some(time::macros::date!(2026 - 01 - 31))] {
                for after in [
                    None,
                    Some((time::macros::date!(2026 - 01 - 01), "t-1".into())),
                ] {
                    let (sql, args) = super::owed_query(
                        "320000".parse().unwrap(),
                        &drafts,
                        due_by,
                        after.clone(),
                        51,
                    );
                    let steps = plan(&scratch.store, &sql, args).await;
                    assert!(
                        steps.iter().any(|s| s.contains("INDEX tasks_owed"))
                            && !steps.iter().any(|s| s.contains("TEMP B-TREE"))
                            && !scans_whole_table(&steps),
                        "{drafts:?}, due by {due_by:?}, after {after:?}: {steps:?}"
                    );
                }
            }
        }
        scratch.cleanup().await.expect("cleanup");
    }

    #[test]
    fn wildcards_in_a_query_match_themselves() {
        assert_eq!(contains_pattern("太浦河"), "%太浦河%");
        assert_eq!(contains_pattern("100%_A"), "%100\\%\\_a%");
    }
}

/// A member's task with the matter it belongs to, for the member's workspace.
#[derive(Clone, Debug, PartialEq)]
pub struct OwedTask {
    pub state: crate::TaskState,
    pub matter_key: String,
    pub matter_title: Text,
}

/// A task not yet reported done: the condition of the index `tasks_owed` (migration 0010).
const UNFINISHED: &str = "(reported_percent IS NULL OR reported_percent < 100)";

impl Store {
    /// What `member` owes: its tasks not yet reported done (at 100 %) in matters the reader
    /// may see, due on `due_by` or before when given, by due date (then key), a page of at
    /// most `limit` from `cursor` (a previous page's `next_cursor`). Answered by the partial
    /// index of unfinished tasks (`tasks_owed`), so a member with years of finished tasks is
    /// answered as fast as a new one; each task's matter title comes in the same statement.
    pub async fn owed_by(
        &self,
        member: yrd_domain::AdminCode,
        drafts: &DraftVisibility,
        due_by: Option<Date>,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<OwedTask>, StoreError> {
        let after = match cursor {
            Some(cursor) => {
                let parts = decode_cursor(cursor, 2)?;
                let due =
                    Date::parse(&parts[0], ISO_DATE).map_err(|_| StoreError::InvalidCursor)?;
                if !is_valid_key(&parts[1]) {
                    return Err(StoreError::InvalidCursor);
                }
                Some((due, parts[1].clone()))
            }
            None => None,
        };
        let limit = limit.clamp(1, MAX_PAGE) as usize;
        // One more than the page, to know whether another follows.
        let (sql, args) = owed_query(member, drafts, due_by, after, limit + 1);
        let mut items = self
            .load_task_rows(sql, args)
            .await?
            .into_iter()
            .map(|(state, matter_title)| OwedTask {
                matter_key: state.task.matter.clone(),
                matter_title: matter_title.unwrap_or_default(),
                state,
            })
            .collect::<Vec<_>>();
        let next_cursor = if items.len() > limit {
            items.truncate(limit);
            items
                .last()
                .map(|o| encode_cursor(&[&o.state.task.due.to_string(), &o.state.task.key]))
        } else {
            None
        };
        Ok(Page { items, next_cursor })
    }
}

/// The statement of [`Store::owed_by`] (`after`: the due date and key the page starts after),
/// and its arguments.
fn owed_query(
    member: yrd_domain::AdminCode,
    drafts: &DraftVisibility,
    due_by: Option<Date>,
    after: Option<(Date, String)>,
    limit: usize,
) -> (String, Vec<Arg>) {
    let mut conditions = Conditions::default();
    conditions.add("matters.key = tasks.matter", vec![]);
    conditions.add("tasks.jurisdiction = ?", vec![member.to_string().into()]);
    // Word for word the index's own condition, which SQLite needs to use it.
    conditions.add(UNFINISHED, vec![]);
    if let Some(due_by) = due_by {
        conditions.add("tasks.due_date <= ?", vec![due_by.into()]);
    }
    if let Some((due, key)) = after {
        conditions.add(
            "(tasks.due_date, tasks.key) > (?, ?)",
            vec![due.into(), key.into()],
        );
    }
    add_draft_condition(&mut conditions, drafts, "");
    // CROSS JOIN: SQLite then walks the tasks along (jurisdiction, due date) as the outer loop
    // and stops at the limit, instead of starting from the matters; PostgreSQL plans it as any
    // join, and does the same.
    let columns = TASK_COLUMNS
        .split(", ")
        .map(|c| format!("tasks.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    (
        format!(
            "SELECT {columns}, matters.title_zh AS matter_title_zh, matters.title_en AS matter_title_en \
             FROM tasks CROSS JOIN matters {} ORDER BY tasks.due_date, tasks.key LIMIT {limit}",
            conditions.where_clause()
        ),
        conditions.args,
    )
}
