//! Tables and chart data as tab-separated text, for the clipboard: a spreadsheet or a terminal
//! takes them as they are. Tabs and line breaks inside a cell become spaces.

use std::fmt::Write as _;

use super::tables::Table;

fn clean(text: &str) -> String {
    text.replace(['\t', '\n', '\r'], " ")
}

/// A text cell (a name, a message) as a spreadsheet should take it: on one line, and a
/// leading `=`/`+`/`-`/`@` defused as the CSV export does.
pub(crate) fn text_cell(text: &str) -> String {
    clean(&super::csv::text_cell(text))
}

/// A table's headers and rows.
pub(crate) fn table(table: &Table) -> String {
    let mut out = String::new();
    let headers: Vec<String> = table.headers.iter().map(|header| clean(header)).collect();
    let _ = writeln!(out, "{}", headers.join("\t"));
    for row in &table.rows {
        // Text cells (names, messages) follow the CSV rule against formulas; numbers stay.
        let cells: Vec<String> = row
            .iter()
            .map(|cell| match cell.numeric {
                true => clean(&cell.text),
                false => clean(&super::csv::text_cell(&cell.text)),
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
}
