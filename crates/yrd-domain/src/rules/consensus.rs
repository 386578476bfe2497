//! The consensus rule for decisions of a body.
//!
//! The mechanism decides by consensus: no member can be outvoted, so a single objection blocks
//! a decision, and a decision is adopted only once every member has said yes. "Adopted in
//! principle" (原则同意) is a state of its own, because the public record distinguishes it
//! and it usually means further work is expected before the decision is carried out.

use serde::{Deserialize, Serialize};

use crate::{AdminCode, Position, Stance};

/// A decision's outcome, derived from the members' positions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionStatus {
    /// Not every member has answered, and nobody objects.
    Pending,
    /// Every member consented without reservation.
    Adopted,
    /// Every member consented, at least one in principle.
    AdoptedInPrinciple,
    /// At least one member objects.
    Blocked,
}

/// The members' positions on one decision, grouped by stance, in the body's member order.
///
/// This is what a page shows next to the status ("awaiting Anhui"); `status` is the same
/// value [`decision_status`] returns.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsensusTally {
    pub status: DecisionStatus,
    pub consenting: Vec<AdminCode>,
    pub consenting_in_principle: Vec<AdminCode>,
    pub objecting: Vec<AdminCode>,
    /// Members with no recorded position.
    pub pending: Vec<AdminCode>,
}

/// The position that counts for `member`: the last one recorded for it.
///
/// A member may revise its stance (an objection withdrawn once a concern is met, a consent in
/// principle confirmed later); positions are recorded in order, so a later one supersedes an
/// earlier one rather than both counting.
pub fn effective_stance(member: AdminCode, positions: &[Position]) -> Option<Stance> {
    positions
        .iter()
        .rev()
        .find(|p| p.jurisdiction == member)
        .map(|p| p.stance)
}

/// Groups the members by the position that counts for each (see [`effective_stance`]) and
/// derives the status.
///
/// Only positions recorded for a member's own code count: a city or a non-member cannot
/// speak for a member, so such positions are ignored rather than mapped to a province.
/// A member listed twice is counted once.
pub fn consensus_tally(members: &[AdminCode], positions: &[Position]) -> ConsensusTally {
    let mut tally = ConsensusTally {
        status: DecisionStatus::Pending,
        consenting: Vec::new(),
        consenting_in_principle: Vec::new(),
        objecting: Vec::new(),
        pending: Vec::new(),
    };
    for (i, &member) in members.iter().enumerate() {
        if members[..i].contains(&member) {
            continue;
        }
        let group = match effective_stance(member, positions) {
            Some(Stance::Consent) => &mut tally.consenting,
            Some(Stance::ConsentInPrinciple) => &mut tally.consenting_in_principle,
            Some(Stance::Object) => &mut tally.objecting,
            None => &mut tally.pending,
        };
        group.push(member);
    }
    tally.status = if !tally.objecting.is_empty() {
        // One objection is enough: waiting for the others cannot change the outcome.
        DecisionStatus::Blocked
    } else if !tally.pending.is_empty() || members.is_empty() {
        // A body without members cannot reach consensus; treating it as adopted would let an
        // incompletely recorded body adopt anything.
        DecisionStatus::Pending
    } else if tally.consenting_in_principle.is_empty() {
        DecisionStatus::Adopted
    } else {
        DecisionStatus::AdoptedInPrinciple
    };
    tally
}

/// Derives a decision's status from the body's member jurisdictions and the recorded
/// positions. Positions of jurisdictions that are not members do not count.
///
/// * `Blocked` as soon as any member objects, even if others have not answered yet;
/// * `Adopted` when every member consents without reservation;
/// * `AdoptedInPrinciple` when every member consents and at least one only in principle;
/// * `Pending` otherwise: some member has not answered, or the body has no members.
///
/// When a member has several positions, the last one counts (see [`effective_stance`]).
pub fn decision_status(members: &[AdminCode], positions: &[Position]) -> DecisionStatus {
    consensus_tally(members, positions).status
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Text;

    const SH: &str = "310000";
    const JS: &str = "320000";
    const ZJ: &str = "330000";
    const AH: &str = "340000";

    fn code(s: &str) -> AdminCode {
        s.parse().unwrap()
    }

    fn members() -> Vec<AdminCode> {
        [SH, JS, ZJ, AH].map(code).to_vec()
    }

    fn pos(jurisdiction: &str, stance: Stance) -> Position {
        Position {
            jurisdiction: code(jurisdiction),
            stance,
            comment: Text::default(),
        }
    }

    fn all(stance: Stance) -> Vec<Position> {
        [SH, JS, ZJ, AH].map(|j| pos(j, stance)).to_vec()
    }

    #[test]
    fn all_consent_is_adopted() {
        assert_eq!(
            decision_status(&members(), &all(Stance::Consent)),
            DecisionStatus::Adopted
        );
    }

    #[test]
    fn one_consent_in_principle_makes_it_adopted_in_principle() {
        let mut positions = all(Stance::Consent);
        positions[2] = pos(ZJ, Stance::ConsentInPrinciple);
        assert_eq!(
            decision_status(&members(), &positions),
            DecisionStatus::AdoptedInPrinciple
        );
        assert_eq!(
            decision_status(&members(), &all(Stance::ConsentInPrinciple)),
            DecisionStatus::AdoptedInPrinciple
        );
    }

    #[test]
    fn a_member_that_has_not_answered_keeps_it_pending() {
        let positions = vec![
            pos(SH, Stance::Consent),
            pos(JS, Stance::Consent),
            pos(ZJ, Stance::Consent),
        ];
        assert_eq!(
            decision_status(&members(), &positions),
            DecisionStatus::Pending
        );
        let tally = consensus_tally(&members(), &positions);
        assert_eq!(tally.pending, vec![code(AH)]);
        assert_eq!(tally.consenting, [SH, JS, ZJ].map(code).to_vec());
    }

    #[test]
    fn no_positions_at_all_is_pending() {
        assert_eq!(decision_status(&members(), &[]), DecisionStatus::Pending);
    }

    #[test]
    fn an_objection_blocks_even_while_others_are_pending() {
        let positions = vec![pos(AH, Stance::Object)];
        assert_eq!(
            decision_status(&members(), &positions),
            DecisionStatus::Blocked
        );
        let tally = consensus_tally(&members(), &positions);
        assert_eq!(tally.objecting, vec![code(AH)]);
        assert_eq!(tally.pending, [SH, JS, ZJ].map(code).to_vec());
    }

    #[test]
    fn an_objection_blocks_despite_three_consents() {
        let mut positions = all(Stance::Consent);
        positions[0] = pos(SH, Stance::Object);
        assert_eq!(
            decision_status(&members(), &positions),
            DecisionStatus::Blocked
        );
    }

    #[test]
    fn positions_of_non_members_are_ignored() {
        // A non-member's objection does not block …
        let mut positions = all(Stance::Consent);
        positions.push(pos("110000", Stance::Object));
        // … nor does a member's city speak for the member.
        positions.push(pos("320100", Stance::Object));
        assert_eq!(
            decision_status(&members(), &positions),
            DecisionStatus::Adopted
        );

        // A non-member's consent does not stand in for a missing member.
        let positions = vec![
            pos(SH, Stance::Consent),
            pos(JS, Stance::Consent),
            pos(ZJ, Stance::Consent),
            pos("340100", Stance::Consent),
        ];
        assert_eq!(
            decision_status(&members(), &positions),
            DecisionStatus::Pending
        );
    }

    #[test]
    fn a_later_position_supersedes_an_earlier_one() {
        let mut positions = all(Stance::Consent);
        positions.insert(0, pos(AH, Stance::Object));
        assert_eq!(
            decision_status(&members(), &positions),
            DecisionStatus::Adopted
        );

        let mut positions = all(Stance::Consent);
        positions.push(pos(JS, Stance::Object));
        assert_eq!(
            decision_status(&members(), &positions),
            DecisionStatus::Blocked
        );

        let mut positions = all(Stance::ConsentInPrinciple);
        positions.extend(all(Stance::Consent));
        assert_eq!(
            decision_status(&members(), &positions),
            DecisionStatus::Adopted
        );
        assert_eq!(
            effective_stance(code(SH), &positions),
            Some(Stance::Consent)
        );
        assert_eq!(effective_stance(code("110000"), &positions), None);
    }

    #[test]
    fn a_body_without_members_is_pending() {
        assert_eq!(decision_status(&[], &[]), DecisionStatus::Pending);
        assert_eq!(
            decision_status(&[], &all(Stance::Consent)),
            DecisionStatus::Pending
        );
    }

    #[test]
    fn a_member_listed_twice_is_counted_once() {
        let members = [SH, JS, SH].map(code);
        let positions = vec![pos(SH, Stance::Consent), pos(JS, Stance::Consent)];
        let tally = consensus_tally(&members, &positions);
        assert_eq!(tally.status, DecisionStatus::Adopted);
        assert_eq!(tally.consenting, [SH, JS].map(code).to_vec());
    }

    #[test]
    fn two_member_body() {
        let members = [SH, ZJ].map(code);
        let positions = vec![
            pos(ZJ, Stance::ConsentInPrinciple),
            pos(SH, Stance::Consent),
        ];
        assert_eq!(
            decision_status(&members, &positions),
            DecisionStatus::AdoptedInPrinciple
        );
    }
}
