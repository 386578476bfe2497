//! CSV files: a header row naming the columns (in any order), then one record per row.

use super::Ctx;
use crate::kind::Kind;

/// One data row, its cells in the order of the kind's column list.
pub(super) struct Row {
    pub line: usize,
    columns: &'static [&'static str],
    cells: Vec<String>,
}

impl Row {
    /// The cell of a column, as written (`""` where the row is too short).
    pub fn cell(&self, column: &str) -> &str {
        self.columns
            .iter()
            .position(|c| *c == column)
            .and_then(|i| self.cells.get(i))
            .map_or("", String::as_str)
    }

    /// The cell of an optional column: `None` when empty.
    pub fn opt(&self, column: &str) -> Option<&str> {
        Some(self.cell(column)).filter(|cell| !cell.is_empty())
    }
}

/// Reads the rows of a CSV file whose header must name exactly `columns`, less any of
/// `optional` it leaves out (their cells then read as empty: files written before those
/// columns existed stay valid). Returns `None` if a required column is missing, since then no
/// row can be read; rows of the wrong length are reported and returned as `Err` with the row's
/// key cell so that references to it can be recognised.
pub(super) fn rows(
    ctx: &mut Ctx,
    kind: Kind,
    text: &str,
    columns: &'static [&'static str],
    optional: &[&str],
) -> Option<Vec<Result<Row, String>>> {
    let file = kind.file();
    if text.trim().is_empty() {
        return Some(Vec::new());
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut record = csv::StringRecord::new();
    let mut header: Option<(usize, Vec<Option<usize>>)> = None;
    let mut rows = Vec::new();
    let mut last_line = 0;
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line() as usize);
                ctx.error(file, line, format!("CSV syntax error: {e}"));
                if header.is_none() || line <= last_line {
                    return None;
                }
                last_line = line;
                continue;
            }
        }
        let line = record.position().map_or(0, |p| p.line() as usize);
        last_line = line;
        let Some((width, slots)) = &header else {
            header = Some((
                record.len(),
                read_header(ctx, file, line, &record, columns, optional)?,
            ));
            continue;
        };
        // Each column's cell, in the order of `columns`.
        let mut cells = vec![String::new(); columns.len()];
        for (slot, cell) in slots.iter().zip(record.iter()) {
            if let Some(i) = slot {
                cells[*i] = cell.to_owned();
            }
        }
        let row = Row {
            line,
            columns,
            cells,
        };
        if record.len() != *width {
            ctx.error(
                file,
                line,
                format!(
                    "the row has {} fields, but the header has {width}",
                    record.len()
                ),
            );
            let key = row.cell(columns[0]).to_owned();
            rows.push(Err(key));
        } else {
            rows.push(Ok(row));
        }
    }
    Some(rows)
}

/// Maps each header cell to its column in `columns`; reports unknown, repeated and missing
/// columns. `None` if a column that is not `optional` is missing.
fn read_header(
    ctx: &mut Ctx,
    file: &str,
    line: usize,
    header: &csv::StringRecord,
    columns: &[&str],
    optional: &[&str],
) -> Option<Vec<Option<usize>>> {
    let mut slots = Vec::with_capacity(header.len());
    let mut seen = vec![false; columns.len()];
    for name in header.iter() {
        match columns.iter().position(|c| *c == name) {
            Some(i) if seen[i] => {
                ctx.error(
                    file,
                    line,
                    format!("{name}: the column appears twice in the header"),
                );
                slots.push(None);
            }
            Some(i) => {
                seen[i] = true;
                slots.push(Some(i));
            }
            None => {
                ctx.error(
                    file,
                    line,
                    format!(
                        "{name:?}: unknown column (the columns are {})",
                        columns.join(", ")
                    ),
                );
                slots.push(None);
            }
        }
    }
    let missing: Vec<&str> = columns
        .iter()
        .zip(&seen)
        .filter(|&(c, seen)| !seen && !optional.contains(c))
        .map(|(c, _)| *c)
        .collect();
    if missing.is_empty() {
        Some(slots)
    } else {
        ctx.error(
            file,
            line,
            format!("{}: missing column(s) in the header", missing.join(", ")),
        );
        None
    }
}
