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

/// The unit a column's numbers copy with.
#[derive(Debug, Clone, Copy, PartialEq)]
enum ColumnUnit {
    /// Text, bare counts, or nothing to copy.
    None,
    /// One unit: it goes into the column's header.
    One(&'static str),
    /// Rows of different units (a targets table's observed values): a column of units follows.
    Mixed,
}

/// A table's headers and rows, as a spreadsheet takes them: a cell that has a number for the
/// clipboard gives it bare, and its unit goes into the column's header (`p95 (ms)`) when the
/// column has one unit, into the row's name (`p95 latency (ms)`) in a table of metrics down and
/// levels across, else into a column of its own after the number when the rows' units differ
/// (`Observed`, `Observed unit`: a targets table).
pub(crate) fn table(table: &Table) -> String {
    let units_of = |cells: &mut dyn Iterator<Item = &super::tables::Cell>| -> ColumnUnit {
        let mut units = cells
            .filter_map(|cell| cell.copy.as_ref().map(|copy| copy.unit))
            .filter(|unit| !unit.is_empty());
        let Some(first) = units.next() else {
            return ColumnUnit::None;
        };
        if units.all(|unit| unit == first) {
            ColumnUnit::One(first)
        } else {
            ColumnUnit::Mixed
        }
    };
    let column_units: Vec<ColumnUnit> = (0..table.headers.len())
        .map(|column| units_of(&mut table.rows.iter().filter_map(|row| row.get(column))))
        .collect();
    // A table of metrics down and levels across (the results table): several columns of mixed
    // units, and each row of one unit.
    let metrics_down = column_units.iter().all(|unit| !matches!(unit, ColumnUnit::One(_)))
        && column_units.iter().filter(|unit| **unit == ColumnUnit::Mixed).count() >= 2
        && table.rows.iter().all(|row| units_of(&mut row.iter()) != ColumnUnit::Mixed);
    let column_units: Vec<ColumnUnit> = if metrics_down {
        vec![ColumnUnit::None; column_units.len()]
    } else {
        column_units
    };
    let mut out = String::new();
    let headers: Vec<String> = table
        .headers
        .iter()
        .zip(&column_units)
        .flat_map(|(header, unit)| match unit {
            ColumnUnit::One(unit) => vec![clean(&format!("{header} ({unit})"))],
            ColumnUnit::Mixed => vec![clean(header), clean(&format!("{header} unit"))],
            ColumnUnit::None => vec![clean(header)],
        })
        .collect();
    let _ = writeln!(out, "{}", headers.join("\t"));
    for row in &table.rows {
        // Metrics down, levels across: the unit goes after the row's name.
        let row_unit = if metrics_down {
            match units_of(&mut row.iter()) {
                ColumnUnit::One(unit) => Some(unit),
                _ => None,
            }
        } else {
            None
        };
        // The row's name is its last text cell before its numbers ("p95 latency", or the
        // measure after a comparison's scenario and level).
        let name_column = row.iter().take_while(|cell| !cell.numeric).count().saturating_sub(1);
        // Text cells (names, messages) follow the CSV rule against formulas; numbers stay.
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .flat_map(|(column, cell)| {
                let value = match (&cell.copy, cell.numeric) {
                    (Some(copy), _) => copy.number.clone(),
                    // A number that was not measured: an empty cell, not a dash a sum trips on.
                    (None, true) if cell.text == "-" => String::new(),
                    (None, true) => clean(&cell.text),
                    (None, false) => match row_unit {
                        Some(unit) if column == name_column => text_cell(&format!("{} ({unit})", cell.text)),
                        _ => text_cell(&cell.text),
                    },
                };
                match column_units.get(column) {
                    Some(ColumnUnit::Mixed) => vec![value, cell.copy.as_ref().map(|copy| copy.unit.to_string()).unwrap_or_default()],
                    _ => vec![value],
                }
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
        // A comparison: measures down after the place, runs across; the unit after the measure.
        let compared = Table {
            title: None,
            caption: None,
            headers: vec!["Scenario / level / task".into(), "Measure".into(), "A".into(), "B".into()],
            rows: vec![
                vec![
                    Cell::plain("Gateway / Level 1 / all"),
                    Cell::plain("p95"),
                    Cell::number("65.4ms -36.2ms -36% better").copy_as("65.400", "ms"),
                    Cell::number("102ms").copy_as("101.600", "ms"),
                ],
                vec![
                    Cell::plain("Gateway / Level 1 / all"),
                    Cell::plain("RPS"),
                    Cell::number("5.0/s").copy_as("5.000", "req/s"),
                    Cell::number("4.4/s").copy_as("4.400", "req/s"),
                ],
            ],
        };
        assert_eq!(
            table(&compared),
            "Scenario / level / task\tMeasure\tA\tB\nGateway / Level 1 / all\tp95 (ms)\t65.400\t101.600\nGateway / Level 1 / all\tRPS (req/s)\t5.000\t4.400\n"
        );
        // One column of values in different units (targets on latency and error rate): the
        // unit in a column after it.
        let targets = Table {
            title: None,
            caption: None,
            headers: vec!["Target".into(), "Observed".into()],
            rows: vec![
                vec![Cell::code("p95 < 500ms"), Cell::number("379ms").copy_as("379.000", "ms")],
                vec![Cell::code("error_rate < 1%"), Cell::number("0.20%").copy_as("0.2000", "%")],
                vec![Cell::code("ttft_p95 < 1s"), Cell::number("no requests").copy_as("", "")],
            ],
        };
        assert_eq!(
            table(&targets),
            "Target\tObserved\tObserved unit\np95 < 500ms\t379.000\tms\nerror_rate < 1%\t0.2000\t%\nttft_p95 < 1s\t\t\n"
        );
    }
}
