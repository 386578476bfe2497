//! The built-in YRD dataset, compiled into the binary so that `yrd serve` works from any
//! directory on first run.

use yrd_domain::Dataset;

/// The files of `data/yrd/`, as they were when the binary was built.
const FILES: &[(&str, &str)] = &[
    (
        "jurisdictions.csv",
        include_str!("../../../data/yrd/jurisdictions.csv"),
    ),
    ("zones.toml", include_str!("../../../data/yrd/zones.toml")),
    ("bodies.toml", include_str!("../../../data/yrd/bodies.toml")),
    ("seats.csv", include_str!("../../../data/yrd/seats.csv")),
    (
        "meetings.toml",
        include_str!("../../../data/yrd/meetings.toml"),
    ),
    ("plans.toml", include_str!("../../../data/yrd/plans.toml")),
    (
        "matters.toml",
        include_str!("../../../data/yrd/matters.toml"),
    ),
    ("tasks.csv", include_str!("../../../data/yrd/tasks.csv")),
    ("reports.csv", include_str!("../../../data/yrd/reports.csv")),
    (
        "problems.csv",
        include_str!("../../../data/yrd/problems.csv"),
    ),
    (
        "agreements.toml",
        include_str!("../../../data/yrd/agreements.toml"),
    ),
    (
        "indicators.toml",
        include_str!("../../../data/yrd/indicators.toml"),
    ),
    (
        "observations.csv",
        include_str!("../../../data/yrd/observations.csv"),
    ),
];

/// Reads the built-in dataset through the same validating reader as `yrd import`, by laying
/// its files out in a temporary directory.
pub fn yrd_dataset() -> anyhow::Result<Dataset> {
    let dir = tempfile::tempdir()?;
    for (name, content) in FILES {
        std::fs::write(dir.path().join(name), content)?;
    }
    yrd_dataset::read_dir(dir.path())
        .map_err(|errors| anyhow::anyhow!("the built-in dataset is invalid:\n{errors}"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn builtin_dataset_is_valid_and_complete() {
        let dataset = super::yrd_dataset().expect("valid");
        assert!(
            dataset
                .jurisdictions
                .iter()
                .any(|j| j.code.to_string() == "330300")
        );
        let on_disk = yrd_dataset::read_dir(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/yrd"),
        )
        .expect("data/yrd is valid");
        assert_eq!(dataset, on_disk, "every file of data/yrd is compiled in");
    }
}
