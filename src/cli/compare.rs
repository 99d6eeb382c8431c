//! `loadscope compare A B [C...] [--baseline A]`: runs side by side, level by level and task by
//! task, each number against the baseline run's (the first unless `--baseline` names another).

use std::fmt::Write as _;
use std::path::PathBuf;

use super::{EXIT_BAD_INPUT, EXIT_PASSED};
use crate::analysis::comparison::{Comparison, Measure, compare_with_spreads};
use crate::format;
use crate::report::tables::compared_cell;
use crate::run::RunRecord;
use crate::run::library::{LibraryError, default_runs_dir, resolve};

/// Loads runs by reference (path, id, file name or `latest`), naming the one that fails.
pub(crate) fn load_runs(references: &[String], dir: &std::path::Path) -> Result<Vec<(PathBuf, RunRecord)>, LibraryError> {
    references
        .iter()
        .map(|reference| {
            let path = resolve(reference, dir)?;
            let record = crate::run::load(&path)?;
            Ok((path, record))
        })
        .collect()
}

/// Runs `loadscope compare`.
pub(crate) fn compare_runs(references: &[String], baseline: Option<&str>, dir: Option<PathBuf>, json: bool) -> u8 {
    let dir = dir.unwrap_or_else(default_runs_dir);
    let runs = match load_runs(references, &dir) {
        Ok(runs) => runs,
        Err(why) => {
            eprintln!("{why}");
            return EXIT_BAD_INPUT;
        }
    };
    let baseline_index = match baseline {
        None => 0,
        Some(wanted) => match pick_baseline(wanted, references, &runs) {
            Some(index) => index,
            None => {
                eprintln!(
                    "--baseline {wanted:?} is not one of the compared runs; give one of: {} (or its letter A, B, ...)",
                    references.join(", ")
                );
                return EXIT_BAD_INPUT;
            }
        },
    };
    let records: Vec<&RunRecord> = runs.iter().map(|(_, record)| record).collect();
    // Runs with repeats (`run --repeat N`) bring their group's spread, read from the folder
    // each was saved in.
    let spreads: Vec<Option<crate::analysis::spread::Spread>> = runs
        .iter()
        .map(|(path, record)| crate::analysis::spread::spread_in_folder(record, path.parent().unwrap_or(&dir)))
        .collect();
    let comparison = compare_with_spreads(&records, baseline_index, &spreads);
    if json {
        super::json::print(&super::json::ComparisonDocument::new(&comparison));
    } else {
        print!("{}", format::terminal(&comparison_text(&comparison)));
    }
    EXIT_PASSED
}

/// The run `--baseline` names: by the reference as given, its letter, id or file.
fn pick_baseline(wanted: &str, references: &[String], runs: &[(PathBuf, RunRecord)]) -> Option<usize> {
    references.iter().position(|reference| reference == wanted).or_else(|| {
        runs.iter().enumerate().position(|(index, (path, record))| {
            crate::analysis::comparison::column_letter(index).eq_ignore_ascii_case(wanted)
                || record.id == wanted
                || path.file_stem().is_some_and(|stem| stem.to_string_lossy() == wanted)
        })
    })
}

/// The comparison for a terminal: the runs, then a block per level and task with one line per
/// measure; every number beside the baseline's with its change and whether it is better.
pub fn comparison_text(comparison: &Comparison) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Runs:");
    for (index, run) in comparison.runs.iter().enumerate() {
        let verdict = match run.passed {
            Some(true) => "pass",
            Some(false) => "FAIL",
            None => "-",
        };
        let _ = writeln!(
            out,
            "  {} {:<10} {:<28} {:<20} {verdict:<5} {}",
            run.letter,
            if index == comparison.baseline { "(baseline)" } else { "" },
            format::truncate(
                &match &run.imported_from {
                    Some(tool) => format!("{} ({tool})", run.name),
                    None => run.name.clone(),
                },
                28
            ),
            format::started_at(&run.started_at),
            run.id
        );
    }
    // Columns as wide as the longest cell ("412ms -88ms -18% no clear change") and a gap.
    let longest = comparison
        .rows
        .iter()
        .flat_map(|row| {
            let base = row.cells.get(comparison.baseline).and_then(Option::as_ref);
            Measure::ALL.into_iter().flat_map(move |measure| {
                row.cells.iter().enumerate().map(move |(index, cell)| {
                    let base = base.filter(|_| index != comparison.baseline);
                    compared_cell(measure, base, cell.as_ref()).text.chars().count()
                })
            })
        })
        .max()
        .unwrap_or(0);
    let width = (longest + 2).max(34);
    let differing = comparison.load_differences();
    if !differing.is_empty() {
        let _ = writeln!(out, "\nLoad differs (no better or worse is called there):");
        for line in &differing {
            let _ = writeln!(out, "  {line}");
        }
    }
    for row in &comparison.rows {
        let load = Some(row.load_label(comparison.baseline))
            .filter(|load| !load.is_empty())
            .map(|load| format!(" ({load})"))
            .unwrap_or_default();
        let _ = writeln!(out, "\n{} / {}{load} / {}", row.scenario, row.level_name, row.task);
        let _ = write!(out, "  {:<11}", "");
        for run in &comparison.runs {
            let _ = write!(out, "{:<width$}", run.letter);
        }
        out.truncate(out.trim_end_matches(' ').len());
        out.push('\n');
        let base = row.cells.get(comparison.baseline).and_then(Option::as_ref);
        for measure in Measure::ALL {
            if row.cells.iter().flatten().all(|cell| measure.value(cell).is_none()) {
                continue;
            }
            let _ = write!(out, "  {:<11}", measure.label());
            for (index, cell) in row.cells.iter().enumerate() {
                let base = base.filter(|_| index != comparison.baseline);
                let _ = write!(out, "{:<width$}", compared_cell(measure, base, cell.as_ref()).text);
            }
            out.truncate(out.trim_end_matches(' ').len());
            out.push('\n');
        }
        let _ = write!(out, "  {:<11}", "verdict");
        for cell in &row.cells {
            let text = match cell.as_ref().map(|cell| (cell.verdict, &cell.failed_targets)) {
                None | Some((None, _)) => "-".to_string(),
                Some((Some(true), _)) => "PASS".to_string(),
                Some((Some(false), failed)) => format!("FAIL {}", failed.join(", ")),
            };
            let _ = write!(out, "{:<width$}", text);
        }
        out.truncate(out.trim_end_matches(' ').len());
        out.push('\n');
    }
    let _ = writeln!(out, "\n{}", crate::analysis::comparison::INTERVALS_NOTE);
    out
}
