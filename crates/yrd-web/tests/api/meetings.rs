//! Meetings and their decisions as users run them: scheduling with the rotation's proposed host, agendas, positions, closing with frozen outcomes.

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
