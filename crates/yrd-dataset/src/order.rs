//! The canonical order of a dataset's records, in which `read_dir` returns them and
//! `write_dir` writes them.

use yrd_domain::Dataset;

/// Puts a dataset's records in canonical order:
///
/// * jurisdictions by code;
/// * decisions by meeting key, then `seq` (their order within the meeting);
/// * observations by indicator key, then date, then key;
/// * member keys by id;
/// * every other kind by key.
///
/// Lists inside a record (members, areas, attendees, positions, milestones, parties,
/// targets, …) keep their order: it carries meaning (rotation order, classes best first,
/// areas as the plan numbers them). An agreement's signatures are the exception: stored
/// without an order of their own, they are listed as they were made
/// ([`yrd_domain::PartySignature::order`]).
///
/// `read_dir(write_dir(ds))` equals `ds` after this, for any dataset that passes
/// [`crate::validate`].
pub fn canonicalize(ds: &mut Dataset) {
    ds.jurisdictions.sort_by_key(|j| j.code);
    ds.zones.sort_by(|a, b| a.key.cmp(&b.key));
    ds.bodies.sort_by(|a, b| a.key.cmp(&b.key));
    ds.seats.sort_by(|a, b| a.key.cmp(&b.key));
    ds.meetings.sort_by(|a, b| a.key.cmp(&b.key));
    ds.decisions
        .sort_by(|a, b| (&a.meeting, a.seq).cmp(&(&b.meeting, b.seq)));
    ds.plans.sort_by(|a, b| a.key.cmp(&b.key));
    ds.matters.sort_by(|a, b| a.key.cmp(&b.key));
    ds.tasks.sort_by(|a, b| a.key.cmp(&b.key));
    ds.reports.sort_by(|a, b| a.key.cmp(&b.key));
    ds.problems.sort_by(|a, b| a.key.cmp(&b.key));
    ds.agreements.sort_by(|a, b| a.key.cmp(&b.key));
    for a in &mut ds.agreements {
        a.signatures.sort_by(|x, y| x.order().cmp(&y.order()));
    }
    ds.member_keys.sort_by(|a, b| a.id.cmp(&b.id));
    ds.indicators.sort_by(|a, b| a.key.cmp(&b.key));
    ds.observations
        .sort_by(|a, b| (&a.indicator, a.date, &a.key).cmp(&(&b.indicator, b.date, &b.key)));
}
