//! `loadscope run --repeat N`: the preset run N times, each run kept in the library with its
//! place in the group, then the spread of each level's p95, RPS and error rate over the runs,
//! printed and saved as `runs/repeats/GROUP.json`. `compare` reads a group's runs back to use
//! that spread as its noise.

use std::fmt::Write as _;

use super::{EXIT_BAD_INPUT, EXIT_NOT_SAVED, RunArgs};
use crate::analysis::spread::{Range, Spread, spread};
use crate::format;
use crate::run::{RepeatRecord, RunRecord};

/// Where a repeat group's spread is saved, beside the runs (a folder of its own, so the
/// library never reads it as a run).
pub(crate) fn spread_path(runs_dir: &std::path::Path, group: &str) -> std::path::PathBuf {
    runs_dir.join("repeats").join(format!("{group}.json"))
}

/// One run of the preset: its exit code, and its record when it ran to a saved end.
pub(crate) type RunOnce<'a> = dyn Fn(&RunArgs, Option<RepeatRecord>) -> (u8, Option<RunRecord>) + 'a;

/// Runs the preset `count` times with `run_once` and prints the spread. Exit code: the worst
/// of the runs' (a run that fails its targets fails the whole).
pub(crate) fn run_repeated(args: &RunArgs, count: u32, run_once: &RunOnce) -> u8 {
    let refused = [
        (args.target.out.is_some(), "--out"),
        (args.target.junit.is_some(), "--junit"),
        (args.target.segment.is_some(), "--segment"),
        (args.target.run_id.is_some(), "--run-id"),
        (args.target.start_at.is_some(), "--start-at"),
    ];
    if let Some((_, flag)) = refused.iter().find(|(given, _)| *given) {
        eprintln!("--repeat {count} with {flag}: repeated runs are saved one by one in the run library; leave out {flag} (or run once)");
        return EXIT_BAD_INPUT;
    }
    let group = crate::run::library::new_run_id(std::time::SystemTime::now());
    let mut records: Vec<RunRecord> = Vec::new();
    let mut worst = 0u8;
    for index in 1..=count {
        eprintln!("Repeat {index} of {count} (group {group})");
        let repeat = RepeatRecord {
            group: group.clone(),
            index,
            count,
        };
        let (code, record) = run_once(args, Some(repeat));
        worst = worst.max(code);
        match record {
            Some(record) => {
                let stopped = record.status != crate::run::RunStatus::Completed;
                records.push(record);
                if stopped || super::stop_signals::stop_requested() {
                    eprintln!("Repeat {index} did not complete; no further repeats are run.");
                    break;
                }
            }
            None => {
                eprintln!("Repeat {index} did not run to a saved end; no further repeats are run.");
                break;
            }
        }
    }
    let runs: Vec<&RunRecord> = records.iter().collect();
    let found = spread(&group, &runs);
    let text = spread_text(&found, count);
    if args.target.json {
        eprint!("{text}");
    } else {
        print!("{text}");
    }
    let path = spread_path(&crate::run::library::default_runs_dir(), &group);
    let saved = path
        .parent()
        .map(std::fs::create_dir_all)
        .unwrap_or(Ok(()))
        .and_then(|()| serde_json::to_vec_pretty(&found).map_err(std::io::Error::other))
        .and_then(|bytes| crate::run::save::write_atomic(&path, &bytes));
    match saved {
        Ok(()) => {
            let line = format!("Spread saved to {}", path.display());
            if args.target.json {
                eprintln!("{line}");
            } else {
                println!("{line}");
            }
        }
        Err(err) => {
            eprintln!("error: could not save the spread to {} ({err})", path.display());
            worst = worst.max(EXIT_NOT_SAVED);
        }
    }
    if args.target.json {
        super::json::print(&super::json::SpreadDocument::new(&found));
    }
    worst
}

/// The spread for a terminal: a line per level with each measure's lowest, median and highest.
pub(crate) fn spread_text(found: &Spread, asked: u32) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\nSpread over {} of {asked} runs of {} (lowest / median / highest per level):",
        found.run_ids.len(),
        found.preset
    );
    let micros = |range: Option<Range>| {
        range
            .map(|range| {
                format!(
                    "{} / {} / {}",
                    format::micros(range.min),
                    format::micros(range.median),
                    format::micros(range.max)
                )
            })
            .unwrap_or_else(|| "-".into())
    };
    let plain = |range: Option<Range>, unit: &str| {
        range
            .map(|range| format!("{:.1} / {:.1} / {:.1}{unit}", range.min, range.median, range.max))
            .unwrap_or_else(|| "-".into())
    };
    for level in &found.levels {
        let _ = writeln!(
            out,
            "  {} / {} ({}, {} runs): p95 {}; RPS {}; error rate {}",
            level.scenario,
            level.level_name,
            level.load,
            level.runs,
            micros(level.p95_micros),
            plain(level.rps, "/s"),
            plain(level.error_rate_percent, "%"),
        );
    }
    let _ = writeln!(out, "Runs: {}", found.run_ids.join(", "));
    out
}
