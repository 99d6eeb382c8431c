//! Tables and chart data as tab-separated text, for the clipboard: a spreadsheet or a terminal
//! takes them as they are. Tabs and line breaks inside a cell become spaces.

use std::fmt::Write as _;

use super::tables::Table;

fn clean(text: &str) -> String {
    text.replace(['\t', '\n', '\r'], " ")
}

/// A text cell (a name, a message) as a spreadsheet should take it: on one line, and a
/// leading `=`/`+`/`-`/`@` defused as the CSV export does.
fn text_cell(text: &str) -> String {
    clean(&super::csv::text_cell(text))
}

/// A table's headers and rows, as a spreadsheet takes them: a cell that has a number for the
/// clipboard gives it bare, and its unit goes into the column's header (`p95 (ms)`) when the
/// column has one unit, else into the row's name (`p95 latency (ms)`, a table of metrics down).
pub(crate) fn table(table: &Table) -> String {
    let unit_of = |cells: &mut dyn Iterator<Item = &super::tables::Cell>| -> Option<&'static str> {
        let mut units = cells.filter_map(|cell| cell.copy.as_ref().map(|copy| copy.unit));
        let first = units.next()?;
        units.all(|unit| unit == first).then_some(first).filter(|unit| !unit.is_empty())
    };
    let column_units: Vec<Option<&'static str>> = (0..table.headers.len())
        .map(|column| unit_of(&mut table.rows.iter().filter_map(|row| row.get(column))))
        .collect();
    let mut out = String::new();
    let headers: Vec<String> = table
        .headers
        .iter()
        .zip(&column_units)
        .map(|(header, unit)| match unit {
            Some(unit) => clean(&format!("{header} ({unit})")),
            None => clean(header),
        })
        .collect();
    let _ = writeln!(out, "{}", headers.join("\t"));
    for row in &table.rows {
        // A row of one unit whose columns carry none: the unit goes after the row's name.
        let row_unit = if column_units.iter().all(Option::is_none) {
            unit_of(&mut row.iter())
        } else {
            None
        };
        // Text cells (names, messages) follow the CSV rule against formulas; numbers stay.
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(column, cell)| match (&cell.copy, cell.numeric) {
                (Some(copy), _) => copy.number.clone(),
                // A number that was not measured: an empty cell, not a dash a sum trips on.
                (None, true) if cell.text == "-" => String::new(),
                (None, true) => clean(&cell.text),
                (None, false) => match (column, row_unit) {
                    (0, Some(unit)) => text_cell(&format!("{} ({unit})", cell.text)),
                    _ => text_cell(&cell.text),
                },
            })
            .collect();
        let _ = writeln!(out, "{}", cells.join("\t"));
    }
    out
}

/// Lines of a chart: one row per x value any line has, a column per line (empty where that
/// line has no point at that x).
pub(crate) fn chart(x_label: &str, lines: &[(String, Vec<[f64; 2]>)]) -> String {
    let mut xs: Vec<f64> = lines.iter().flat_map(|(_, points)| points.iter().map(|point| point[0])).collect();
    xs.sort_by(f64::total_cmp);
    xs.dedup();
    let mut out = String::new();
    let names: Vec<String> = lines.iter().map(|(name, _)| clean(name)).collect();
    let _ = writeln!(out, "{}\t{}", clean(x_label), names.join("\t"));
    // Each line's points in x order, one cursor per line walking them with the rows (an hour
    // of seconds copies in one pass, not a search per cell).
    let sorted: Vec<Vec<[f64; 2]>> = lines
        .iter()
        .map(|(_, points)| {
            let mut points = points.clone();
            points.sort_by(|a, b| a[0].total_cmp(&b[0]));
            points
        })
        .collect();
    let mut cursors = vec![0usize; lines.len()];
    for x in xs {
        let cells: Vec<String> = sorted
            .iter()
            .zip(cursors.iter_mut())
            .map(|(points, cursor)| {
                while points.get(*cursor).is_some_and(|point| point[0] < x) {
                    *cursor += 1;
                }
                match points.get(*cursor) {
                    Some(point) if point[0] == x => format!("{}", point[1]),
                    _ => String::new(),
                }
            })
            .collect();
        let _ = writeln!(out, "{x}\t{}", cells.join("\t"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tables::Cell;

    #[test]
    fn tables_and_charts_become_tab_separated_rows() {
        let t = Table {
            title: Some("Per task".into()),
            caption: None,
            headers: vec!["Task".into(), "p95".into()],
            rows: vec![vec![Cell::plain("chat\tcompletion"), Cell::plain("1.2s")]],
        };
        assert_eq!(table(&t), "Task\tp95\nchat completion\t1.2s\n");
        let lines = vec![
            ("p50".to_string(), vec![[1.0, 10.0], [2.0, 12.5]]),
            ("p95".to_string(), vec![[2.0, 30.0]]),
        ];
        let unsorted = vec![("p50".to_string(), vec![[2.0, 12.5], [1.0, 10.0]])];
        assert_eq!(chart("second", &unsorted), "second\tp50\n1\t10\n2\t12.5\n");
        assert_eq!(chart("second", &lines), "second\tp50\tp95\n1\t10\t\n2\t12.5\t30\n");
    }

    #[test]
    fn numbers_copy_bare_with_their_unit_in_the_header_or_the_rows_name() {
        // A column of one unit: the unit in its header; a number not measured: empty.
        let across = Table {
            title: None,
            caption: None,
            headers: vec!["Task".into(), "p95".into(), "Requests".into()],
            rows: vec![
                vec![
                    Cell::plain("=chat"),
                    Cell::number("157ms").copy_as("157.000", "ms"),
                    Cell::number("3").copy_as("3", ""),
                ],
                vec![Cell::plain("idle"), Cell::number("-"), Cell::number("0").copy_as("0", "")],
            ],
        };
        assert_eq!(table(&across), "Task\tp95 (ms)\tRequests\n'=chat\t157.000\t3\nidle\t\t0\n");
        // Metrics down, levels across: each row's unit after its name.
        let down = Table {
            title: None,
            caption: None,
            headers: vec!["Metric".into(), "Level 1".into(), "Level 2".into()],
            rows: vec![
                vec![
                    Cell::plain("p95 latency"),
                    Cell::number("41.0ms").copy_as("41.000", "ms"),
                    Cell::number("1.20s").copy_as("1200.000", "ms"),
                ],
                vec![
                    Cell::plain("Error rate"),
                    Cell::number("0.00%").copy_as("0.0000", "%"),
                    Cell::number("1.50%").copy_as("1.5000", "%"),
                ],
            ],
        };
        assert_eq!(
            table(&down),
            "Metric\tLevel 1\tLevel 2\np95 latency (ms)\t41.000\t1200.000\nError rate (%)\t0.0000\t1.5000\n"
        );
    }
}
