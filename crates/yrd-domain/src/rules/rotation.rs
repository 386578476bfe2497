//! Who hosts a rotating body's next meeting.

use crate::AdminCode;

/// The member that hosts next, given the rotation order and the hosts of past meetings in
/// chronological order (hosts may be cities: they count for their province).
pub fn next_host(rotation: &[AdminCode], past_hosts: &[AdminCode]) -> Option<AdminCode> {
    todo!("{rotation:?} {past_hosts:?}")
}
