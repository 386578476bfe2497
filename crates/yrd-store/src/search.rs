//! Searching the record's texts: matters, plans, meetings, agreements and indicators whose
//! titles or descriptions contain the query, in either language.
//!
//! Matching is by substring (`LIKE '%…%'`), which is what Chinese needs: words are not
//! separated by spaces, so a search for 太浦河 or 轨道交通 must find it inside longer text
//! without any word segmentation. Unpublished matters and plans are searched only as far as
//! the reader may see them.

use serde::Serialize;
use time::Date;
use yrd_domain::Text;
use yrd_domain::access::DraftVisibility;

use crate::exec::{Arg, shift_placeholders};
use crate::read::{Conditions, add_draft_condition, key_list};
use crate::{Store, StoreError};

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

    /// What a member owes is found along the index of unfinished tasks, whoever reads it and
    /// however far ahead.
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
                let (filter, args) =
                    super::owed_filter("320000".parse().unwrap(), &drafts, due_by, 200);
                let steps = plan(
                    &scratch.store,
                    &format!("SELECT key FROM tasks {filter}"),
                    args,
                )
                .await;
                assert!(
                    steps.iter().any(|s| s.contains("INDEX tasks_owed"))
                        && !steps.iter().any(|s| s.contains("TEMP B-TREE"))
                        && !scans_whole_table(&steps),
                    "{drafts:?}, due by {due_by:?}: {steps:?}"
                );
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
    /// may see, due on `due_by` or before when given, by due date (then key), at most
    /// `limit`. Answered by the partial index of unfinished tasks (`tasks_owed`), so a member
    /// with years of finished tasks is answered as fast as a new one.
    pub async fn owed_by(
        &self,
        member: yrd_domain::AdminCode,
        drafts: &DraftVisibility,
        due_by: Option<Date>,
        limit: u32,
    ) -> Result<Vec<OwedTask>, StoreError> {
        let (filter, args) = owed_filter(member, drafts, due_by, limit);
        let tasks = self.load_tasks(&filter, args).await?;
        // A member's tasks share matters: each is asked for once.
        let keys: std::collections::BTreeSet<&str> =
            tasks.iter().map(|t| t.task.matter.as_str()).collect();
        let keys: Vec<&str> = keys.into_iter().collect();
        let mut titles = std::collections::HashMap::new();
        if !keys.is_empty() {
            let (marks, args) = key_list(&keys);
            let rows: Vec<(String, String, String)> = self
                .fetch(
                    format!("SELECT key, title_zh, title_en FROM matters WHERE key IN ({marks})"),
                    args,
                )
                .await?;
            titles.extend(rows.into_iter().map(|(k, zh, en)| (k, Text::new(zh, en))));
        }
        Ok(tasks
            .into_iter()
            .map(|state| OwedTask {
                matter_title: titles.get(&state.task.matter).cloned().unwrap_or_default(),
                matter_key: state.task.matter.clone(),
                state,
            })
            .collect())
    }
}

/// The `WHERE … LIMIT` clause on `tasks` of [`Store::owed_by`], and its arguments.
fn owed_filter(
    member: yrd_domain::AdminCode,
    drafts: &DraftVisibility,
    due_by: Option<Date>,
    limit: u32,
) -> (String, Vec<Arg>) {
    let mut visible = Conditions::default();
    add_draft_condition(&mut visible, drafts, "");
    let mut conditions = Conditions::default();
    conditions.add("jurisdiction = ?", vec![member.to_string().into()]);
    // Word for word the index's own condition, which SQLite needs to use it.
    conditions.add(UNFINISHED, vec![]);
    if let Some(due_by) = due_by {
        conditions.add("due_date <= ?", vec![due_by.into()]);
    }
    let own = conditions.where_clause();
    let visible_clause = visible.where_clause();
    if visible_clause.is_empty() {
        return (
            format!("{own} ORDER BY due_date, key LIMIT {limit}"),
            conditions.args,
        );
    }
    // The draft condition's placeholders are numbered from 1; shift them past the member's.
    // A correlated test keeps the walk along (jurisdiction, due date) that stops at the
    // limit, instead of collecting every visible matter first.
    let shifted = shift_placeholders(&visible_clause["WHERE ".len()..], conditions.args.len());
    let mut args = conditions.args;
    args.extend(visible.args);
    (
        format!(
            "{own} AND EXISTS (SELECT 1 FROM matters WHERE matters.key = tasks.matter \
             AND {shifted}) ORDER BY due_date, key LIMIT {limit}"
        ),
        args,
    )
}
