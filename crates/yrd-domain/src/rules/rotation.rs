//! Who hosts a rotating body's next meeting.
//!
//! Meetings are recorded with the host city (the 2024 symposium was held in Wenzhou), while the
//! rotation is kept among members (Zhejiang). A host therefore counts for the member that
//! contains it: its province, for the provincial-level members of the Symposium.

use crate::AdminCode;
use crate::code::Level;

/// Whether `host` is `member` or lies inside it, judged from the codes alone.
///
/// For provincial-level members this is `host.province() == member`; a prefecture-level
/// member (a rotation among cities) also contains its counties, so the same rule works for
/// bodies whose members are cities.
pub fn hosted_by(member: AdminCode, host: AdminCode) -> bool {
    if host == member {
        return true;
    }
    match member.level() {
        Level::Province => host.province() == member,
        Level::Prefecture => {
            host.level() == Level::County && host.value() / 100 * 100 == member.value()
        }
        Level::County => false,
    }
}

/// The index in `rotation` of the member that `host` counts for. An exact match wins over a
/// containing member, so a rotation listing both a province and one of its cities stays
/// unambiguous; a member listed twice is found at its first place.
fn rotation_index(rotation: &[AdminCode], host: AdminCode) -> Option<usize> {
    rotation
        .iter()
        .position(|&m| m == host)
        .or_else(|| rotation.iter().position(|&m| hosted_by(m, host)))
}

/// The member that hosts next, given the rotation order and the hosts of past meetings in
/// chronological order (hosts may be cities: they count for their province).
///
/// The next host is the member after the most recent past host that belongs to the rotation,
/// wrapping around from the last member to the first. Hosts outside the rotation (a meeting
/// held elsewhere, a record that names a jurisdiction of another province) are skipped
/// rather than restarting the cycle, since they say nothing about whose turn it is. With no
/// such host in the history the rotation starts at its first member; an empty rotation has no
/// next host.
pub fn next_host(rotation: &[AdminCode], past_hosts: &[AdminCode]) -> Option<AdminCode> {
    let first = *rotation.first()?;
    let Some(last) = past_hosts
        .iter()
        .rev()
        .find_map(|&h| rotation_index(rotation, h))
    else {
        return Some(first);
    };
    rotation.get((last + 1) % rotation.len()).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> AdminCode {
        s.parse().unwrap()
    }

    fn codes(list: &[&str]) -> Vec<AdminCode> {
        list.iter().map(|s| code(s)).collect()
    }

    /// The Symposium's rotation: Anhui, Zhejiang, Jiangsu, Shanghai.
    fn yrd_rotation() -> Vec<AdminCode> {
        codes(&["340000", "330000", "320000", "310000"])
    }

    #[test]
    fn yrd_symposium_after_nanjing_is_shanghai() {
        // … Wuhu, Huzhou, Wuxi, 2022 Shanghai, 2023 Hefei, 2024 Wenzhou, 2025 Nanjing.
        let history = codes(&[
            "340200", "330500", "320200", "310000", "340100", "330300", "320100",
        ]);
        assert_eq!(next_host(&yrd_rotation(), &history), Some(code("310000")));
    }

    #[test]
    fn city_hosts_count_for_their_province() {
        // After Hefei (Anhui) comes Zhejiang; after Wenzhou (Zhejiang), Jiangsu.
        assert_eq!(
            next_host(&yrd_rotation(), &codes(&["340100"])),
            Some(code("330000"))
        );
        assert_eq!(
            next_host(&yrd_rotation(), &codes(&["340100", "330300"])),
            Some(code("320000"))
        );
        // A county-level host counts for its province too (Qingpu, Shanghai).
        assert_eq!(
            next_host(&yrd_rotation(), &codes(&["310118"])),
            Some(code("340000"))
        );
    }

    #[test]
    fn wraps_around_from_last_to_first() {
        assert_eq!(
            next_host(&yrd_rotation(), &codes(&["310000"])),
            Some(code("340000"))
        );
    }

    #[test]
    fn no_history_starts_with_the_first_member() {
        assert_eq!(next_host(&yrd_rotation(), &[]), Some(code("340000")));
    }

    #[test]
    fn hosts_outside_the_rotation_are_skipped() {
        // A meeting in Beijing after Wenzhou does not restart the cycle.
        assert_eq!(
            next_host(&yrd_rotation(), &codes(&["330300", "110000"])),
            Some(code("320000"))
        );
        // Only outsiders: start at the beginning.
        assert_eq!(
            next_host(&yrd_rotation(), &codes(&["110000", "440300"])),
            Some(code("340000"))
        );
    }

    #[test]
    fn empty_rotation_has_no_next_host() {
        assert_eq!(next_host(&[], &[]), None);
        assert_eq!(next_host(&[], &codes(&["310000"])), None);
    }

    #[test]
    fn single_member_rotation_always_returns_it() {
        let rotation = codes(&["320000"]);
        assert_eq!(
            next_host(&rotation, &codes(&["320500"])),
            Some(code("320000"))
        );
        assert_eq!(next_host(&rotation, &[]), Some(code("320000")));
    }

    #[test]
    fn rotation_among_cities() {
        // A rotation of prefecture-level members: a district host counts for its city.
        let rotation = codes(&["320500", "330400", "310000"]);
        assert_eq!(
            next_host(&rotation, &codes(&["320509"])),
            Some(code("330400"))
        );
        assert_eq!(
            next_host(&rotation, &codes(&["330421"])),
            Some(code("310000"))
        );
        // Another city of the same province is not the member.
        assert_eq!(
            next_host(&rotation, &codes(&["320100"])),
            Some(code("320500"))
        );
    }

    #[test]
    fn hosted_by_follows_the_tree() {
        assert!(hosted_by(code("330000"), code("330300")));
        assert!(hosted_by(code("330000"), code("330421")));
        assert!(hosted_by(code("330400"), code("330421")));
        assert!(!hosted_by(code("330400"), code("330300")));
        assert!(!hosted_by(code("330300"), code("330000")));
        assert!(!hosted_by(code("330421"), code("330400")));
        assert!(hosted_by(code("330421"), code("330421")));
    }
}
