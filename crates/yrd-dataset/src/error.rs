//! The errors `read_dir` and `validate` report: one line per problem, `file:line: reason`.

use std::fmt;

/// One problem in a dataset, located where a person editing the files has to look.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct RowError {
    /// The file name, relative to the dataset directory (`meetings.toml`).
    pub file: String,
    /// The 1-based line of the offending row, record or field; `0` when the problem concerns
    /// the file as a whole, or a record that was built in code and so has no line.
    pub line: usize,
    /// The field at fault and why, e.g. `host: unknown jurisdiction code 330399`.
    pub reason: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.reason)
        } else {
            write!(f, "{}:{}: {}", self.file, self.line, self.reason)
        }
    }
}

/// Every problem found in a dataset, in file and line order. Never empty.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct DatasetErrors {
    pub errors: Vec<RowError>,
}

impl fmt::Display for DatasetErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.errors.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl DatasetErrors {
    /// Orders the errors by file, then line; errors on one line keep the order they were found
    /// in, which follows the order of the fields.
    pub(crate) fn sorted(mut errors: Vec<RowError>) -> DatasetErrors {
        errors.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
        DatasetErrors { errors }
    }
}
