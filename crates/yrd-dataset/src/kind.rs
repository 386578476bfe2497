//! The kinds of record in a dataset and the file each lives in.

/// A kind of record. Decisions are a kind of their own although they are written inside
/// their meetings in `meetings.toml`: their keys are unique across the dataset, not per
/// meeting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Kind {
    Jurisdiction,
    Zone,
    Body,
    Seat,
    Meeting,
    Decision,
    Plan,
    Matter,
    Task,
    Report,
    Problem,
    Agreement,
    MemberKey,
    Indicator,
    Observation,
}

/// The files of a dataset, in the order they are read and written.
pub(crate) const FILES: [&str; 14] = [
    "jurisdictions.csv",
    "zones.toml",
    "bodies.toml",
    "seats.csv",
    "meetings.toml",
    "plans.toml",
    "matters.toml",
    "tasks.csv",
    "reports.csv",
    "problems.csv",
    "agreements.toml",
    "member_keys.csv",
    "indicators.toml",
    "observations.csv",
];

impl Kind {
    pub(crate) const ALL: [Kind; 15] = [
        Kind::Jurisdiction,
        Kind::Zone,
        Kind::Body,
        Kind::Seat,
        Kind::Meeting,
        Kind::Decision,
        Kind::Plan,
        Kind::Matter,
        Kind::Task,
        Kind::Report,
        Kind::Problem,
        Kind::Agreement,
        Kind::MemberKey,
        Kind::Indicator,
        Kind::Observation,
    ];

    pub(crate) fn file(self) -> &'static str {
        match self {
            Kind::Jurisdiction => "jurisdictions.csv",
            Kind::Zone => "zones.toml",
            Kind::Body => "bodies.toml",
            Kind::Seat => "seats.csv",
            Kind::Meeting | Kind::Decision => "meetings.toml",
            Kind::Plan => "plans.toml",
            Kind::Matter => "matters.toml",
            Kind::Task => "tasks.csv",
            Kind::Report => "reports.csv",
            Kind::Problem => "problems.csv",
            Kind::Agreement => "agreements.toml",
            Kind::MemberKey => "member_keys.csv",
            Kind::Indicator => "indicators.toml",
            Kind::Observation => "observations.csv",
        }
    }

    pub(crate) fn is_csv(self) -> bool {
        self.file().ends_with(".csv")
    }

    /// How a field path of this kind is shown to a person: CSV fields by their column
    /// (`name.zh` is the column `name_zh`), TOML fields by their dotted key without array
    /// indices (the line already says which element), decisions under the `decisions` table of
    /// their meeting.
    pub(crate) fn display_field(self, path: &str) -> String {
        if self.is_csv() {
            return path.replace('.', "_");
        }
        let mut shown = String::with_capacity(path.len() + 10);
        if self == Kind::Decision {
            shown.push_str("decisions");
            if !path.is_empty() {
                shown.push('.');
            }
        }
        let mut in_index = false;
        for c in path.chars() {
            match c {
                '[' => in_index = true,
                ']' => in_index = false,
                _ if !in_index => shown.push(c),
                _ => {}
            }
        }
        shown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_shown_as_the_file_spells_them() {
        assert_eq!(Kind::Task.display_field("title.zh"), "title_zh");
        assert_eq!(
            Kind::Meeting.display_field("attendees[2].name.zh"),
            "attendees.name.zh"
        );
        assert_eq!(
            Kind::Decision.display_field("positions[0].jurisdiction"),
            "decisions.positions.jurisdiction"
        );
        assert_eq!(Kind::Decision.display_field(""), "decisions");
    }
}
