//! Agreements from draft to in force: texts, members' Ed25519 signatures bound to the text's hash, obligations as matters.

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
