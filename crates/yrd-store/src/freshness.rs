//! What has changed since a given head of the journal, record by record, as far as this
//! process knows: the journal's known head, and for the records a change was confined to, the
//! last head that touched each.
//!
//! A reader that made something from the records under a head (the response cache) may ask
//! whether anything it shows has changed since ([`Store::unchanged_since`]), and keep it for as
//! long as nothing has, instead of until the next change of any record.
//!
//! Every change is taken to touch everything unless its writer confined it
//! ([`crate::Change::within`]) to the records whose pages it alters: progress reports, their
//! review steps and members' positions are, since they are the frequent writes, and the rest
//! (imports, edits, publication, carry-over…) stay broad. A change by another process is seen
//! only as a move of the head, so it counts as broad: when the head is read from the database
//! ([`Store::journal_head`]), and when this process's next change finds the tip past the head it
//! knew.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::exec::Arg;
use crate::journal::JournalTx;
use crate::{Store, StoreError};

/// A record whose pages a change may alter: a plan (its roll-up and its list of matters), a
/// matter (its page and its record), or a task (its record).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum RecordScope {
    Plan(String),
    Matter(String),
    Task(String),
}

/// Records tracked one by one before the map is cleared (and counted as one broad change): a
/// bound on memory over a long run, far above what a second of changes touches.
const MOST_TRACKED: usize = 100_000;

/// The known head, and what the changes up to it touched.
#[derive(Debug, Default)]
pub(crate) struct Freshness {
    /// The highest sequence number of the journal committed or read by this process. Moved
    /// only under `state`'s lock, after what the change touched is recorded there.
    known_head: AtomicI64,
    state: Mutex<Touched>,
}

#[derive(Debug, Default)]
struct Touched {
    /// The last head of a change that may have touched any record.
    broad: i64,
    /// The last head of a change confined to each record, where newer than `broad`.
    records: HashMap<RecordScope, i64>,
    /// The entries (after the first number, up to the second) of this process's change being
    /// committed: the database may show them before [`Freshness::committed`] records what they
    /// touched, and a head read meanwhile must not take them for another process's.
    committing: Option<(i64, i64)>,
}

impl Freshness {
    fn state(&self) -> MutexGuard<'_, Touched> {
        // Two numbers and a map, whole at every step: a panic elsewhere leaves them usable.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn known_head(&self) -> i64 {
        self.known_head.load(Ordering::SeqCst)
    }

    /// The head as read from the database: any move past the known head was made by another
    /// process, and may have touched anything, unless it is this process's change being
    /// committed.
    pub(crate) fn observed(&self, head: i64) {
        let mut state = self.state();
        let known = self.known_head();
        let ours = state
            .committing
            .is_some_and(|(tip, last)| tip <= known && head <= last);
        if head > known && !ours {
            state.broad = state.broad.max(head);
            self.known_head.fetch_max(head, Ordering::SeqCst);
        }
    }

    /// This process's change is about to commit the entries after `tip` up to `last`; until
    /// [`Freshness::committed`] or the returned guard's drop (the commit failed), reading them
    /// from the database is not taken for another process's change.
    pub(crate) fn committing(&self, tip: i64, last: i64) -> Committing<'_> {
        self.state().committing = Some((tip, last));
        Committing { freshness: self }
    }

    /// A change of this process, committed with the entries after `tip` up to `last`, in a
    /// transaction begun when the known head was `opened_at`. `within` is what it was confined
    /// to, `None` for everything.
    ///
    /// A confined change's records were read in its transaction, so they are right only if no
    /// broad change came between `opened_at` and its own entries (say, an import moving a
    /// matter to another plan): if one did, the change counts as broad too.
    pub(crate) fn committed(
        &self,
        opened_at: i64,
        tip: i64,
        last: i64,
        within: Option<Vec<RecordScope>>,
    ) {
        let mut state = self.state();
        state.committing = None;
        if tip > self.known_head() {
            // Entries before this change's own that this process did not make.
            state.broad = state.broad.max(tip);
        }
        match within {
            Some(records) if state.broad <= opened_at => {
                if state.records.len() + records.len() > MOST_TRACKED {
                    state.records.clear();
                    state.broad = state.broad.max(self.known_head());
                }
                for record in records {
                    let at = state.records.entry(record).or_default();
                    *at = (*at).max(last);
                }
            }
            _ => state.broad = state.broad.max(last),
        }
        self.known_head.fetch_max(last, Ordering::SeqCst);
    }

    /// Whether no change after `head` touched any of `records`.
    pub(crate) fn unchanged_since(&self, head: i64, records: &[RecordScope]) -> bool {
        let state = self.state();
        state.broad <= head
            && records
                .iter()
                .all(|record| state.records.get(record).is_none_or(|at| *at <= head))
    }
}

/// The records a change to the progress of each of `tasks` alters: the task, the task it is a
/// sub-task of (whose record lists its sub-tasks' figures), its matter and its matter's plan.
/// Read in the change's transaction. A task that is not found has none.
pub(crate) async fn progress_scopes(
    tx: &mut JournalTx,
    tasks: &[&str],
) -> Result<HashMap<String, Vec<RecordScope>>, StoreError> {
    let (sql, args) = progress_scopes_query(tasks);
    Ok(scopes_by_task(tx.fetch(sql, args).await?))
}

/// A task's key, parent, matter and plan, as [`progress_scopes_query`] reads them.
pub(crate) type TaskPlace = (String, Option<String>, String, String);

/// The statement reading the [`TaskPlace`] of each of `tasks` that exists.
pub(crate) fn progress_scopes_query(tasks: &[&str]) -> (String, Vec<Arg>) {
    let (list, args) = crate::read::key_list(tasks);
    (
        format!(
            "SELECT t.key, t.parent, t.matter, m.plan FROM tasks t \
             JOIN matters m ON m.key = t.matter WHERE t.key IN ({list})"
        ),
        args,
    )
}

/// Each task's records, from the places [`progress_scopes_query`] read.
pub(crate) fn scopes_by_task(places: Vec<TaskPlace>) -> HashMap<String, Vec<RecordScope>> {
    places
        .into_iter()
        .map(|(task, parent, matter, plan)| {
            let records = task_scopes(&task, parent, matter, plan);
            (task, records)
        })
        .collect()
}

/// The records a change to the progress of `task` alters, given the task it is a sub-task of
/// (if any), its matter and its matter's plan.
pub(crate) fn task_scopes(
    task: &str,
    parent: Option<String>,
    matter: String,
    plan: String,
) -> Vec<RecordScope> {
    let mut records = vec![
        RecordScope::Task(task.to_owned()),
        RecordScope::Matter(matter),
        RecordScope::Plan(plan),
    ];
    records.extend(parent.map(RecordScope::Task));
    records
}

/// A change of this process being committed (see [`Freshness::committing`]).
pub(crate) struct Committing<'a> {
    freshness: &'a Freshness,
}

impl Drop for Committing<'_> {
    fn drop(&mut self) {
        // After `committed`, already cleared; after a failed commit, whatever the database
        // shows past the known head is not known to be this process's.
        self.freshness.state().committing = None;
    }
}

impl Store {
    /// Whether, as far as this process knows, no change after the journal's head `head` has
    /// touched any of `records` (and no change since may have touched every record). A change
    /// made by another process is known from the next [`Store::journal_head`].
    pub fn unchanged_since(&self, head: i64, records: &[RecordScope]) -> bool {
        self.freshness.unchanged_since(head, records)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(key: &str) -> RecordScope {
        RecordScope::Plan(key.into())
    }

    #[test]
    fn a_confined_change_leaves_other_records_unchanged() {
        let freshness = Freshness::default();
        freshness.committed(0, 0, 3, None);
        assert_eq!(freshness.known_head(), 3);
        assert!(
            !freshness.unchanged_since(2, &[]),
            "a broad change touches all"
        );
        assert!(freshness.unchanged_since(3, &[plan("a")]));

        freshness.committed(
            3,
            3,
            4,
            Some(vec![plan("a"), RecordScope::Task("t".into())]),
        );
        assert!(!freshness.unchanged_since(3, &[plan("a")]));
        assert!(!freshness.unchanged_since(3, &[plan("b"), RecordScope::Task("t".into())]));
        assert!(freshness.unchanged_since(3, &[plan("b")]));
        assert!(freshness.unchanged_since(3, &[]), "nothing broad since 3");
        assert!(freshness.unchanged_since(4, &[plan("a")]));

        // Confined to nothing: only what shows every record is touched.
        freshness.committed(4, 4, 5, Some(vec![]));
        assert!(freshness.unchanged_since(3, &[plan("b")]));
        assert_eq!(freshness.known_head(), 5);
    }

    #[test]
    fn another_process_s_changes_touch_everything() {
        let freshness = Freshness::default();
        freshness.committed(0, 0, 2, Some(vec![plan("a")]));
        // Read from the database: 3 and 4 were made elsewhere.
        freshness.observed(4);
        assert!(!freshness.unchanged_since(3, &[plan("b")]));
        assert!(freshness.unchanged_since(4, &[plan("b")]));
        // This process's change finds the tip at 6: 5 and 6 were made elsewhere.
        freshness.committed(4, 6, 7, Some(vec![plan("a")]));
        assert!(!freshness.unchanged_since(4, &[plan("b")]), "the gap");
        assert!(
            !freshness.unchanged_since(6, &[plan("b")]),
            "its records were read before the gap, so it counts as broad"
        );
        assert!(freshness.unchanged_since(7, &[plan("b")]));
        // Reading a head already known changes nothing.
        freshness.observed(7);
        assert!(freshness.unchanged_since(7, &[plan("b")]));
    }

    #[test]
    fn a_head_read_while_this_process_commits_is_not_another_process_s() {
        let freshness = Freshness::default();
        freshness.committed(0, 0, 2, None);
        {
            let _committing = freshness.committing(2, 4);
            // The database shows the change before its commit returns.
            freshness.observed(4);
            freshness.observed(3);
            freshness.committed(2, 2, 4, Some(vec![plan("a")]));
        }
        assert!(freshness.unchanged_since(2, &[plan("b")]));
        assert_eq!(freshness.known_head(), 4);
        {
            let _committing = freshness.committing(4, 5);
            // Past what this process commits: another process's.
            freshness.observed(6);
        }
        assert!(!freshness.unchanged_since(4, &[plan("b")]));
        {
            // A commit that failed: its entries, if the database shows them, are not known.
            let _committing = freshness.committing(6, 7);
        }
        freshness.observed(7);
        assert!(!freshness.unchanged_since(6, &[plan("b")]));
    }

    #[test]
    fn a_confined_change_begun_before_a_broad_one_counts_as_broad() {
        let freshness = Freshness::default();
        freshness.committed(0, 0, 1, None);
        // Begun at head 1; an import commits 2 meanwhile; then it commits 3.
        freshness.committed(1, 1, 2, None);
        freshness.committed(1, 2, 3, Some(vec![plan("a")]));
        assert!(!freshness.unchanged_since(2, &[plan("b")]));
    }

    #[test]
    fn the_records_tracked_are_bounded() {
        let freshness = Freshness::default();
        let mut head = 0;
        for i in 0..MOST_TRACKED + 10 {
            freshness.committed(head, head, head + 1, Some(vec![plan(&i.to_string())]));
            head += 1;
        }
        assert!(freshness.state().records.len() <= MOST_TRACKED);
        assert!(
            !freshness.unchanged_since(head - 20, &[plan("nothing")]),
            "what was forgotten counts as touching everything"
        );
        assert!(freshness.unchanged_since(head, &[plan("0")]));
    }
}
