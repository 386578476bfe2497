//! From plan to tasks: matters created under a plan's areas, split into members' tasks and sub-tasks, edited under If-Match, carried over.

use libtest_mimic::Failed;

use crate::access::Row;
use crate::app::{Case, TestApp};

pub const CASES: &[(&str, Case)] = &[];

/// This part's rows of the authorization matrix.
pub const ROWS: &[Row] = &[];

/// Adds what this part's matrix rows need to the synthetic fixture; returns the placeholders
/// its rows use and their values.
pub async fn setup(_app: &TestApp) -> Result<Vec<(&'static str, String)>, Failed> {
    Ok(Vec::new())
}
