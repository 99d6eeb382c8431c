//! `loadscope runs`: the saved runs, newest first, and the files that could not be read.

use std::path::PathBuf;

use super::table::truncate;
use super::{EXIT_BAD_INPUT, EXIT_PASSED};
use crate::preset::target::format_micros;
use crate::run::library::{LibraryEntry, default_runs_dir, list};

/// Lists the runs in `dir` (default: the data dir's runs/).
pub fn runs(dir: Option<PathBuf>) -> u8 {
    let dir = dir.unwrap_or_else(default_runs_dir);
    let entries = match list(&dir) {
        Ok(entries) => entries,
        Err(err) => {
            eprintln!("cannot list runs in {}: {err}", dir.display());
            return EXIT_BAD_INPUT;
        }
    };
    if entries.is_empty() {
        println!("No runs in {} yet. Start one with: loadscope run demo --demo-stack", dir.display());
        return EXIT_PASSED;
    }
    println!(
        "{:<20} {:<16} {:<28} {:<11} {:<7} {:>9} {:>8}  File",
        "Started (UTC)", "Preset", "Scenarios", "Status", "Verdict", "Requests", "p95"
    );
    for entry in &entries {
        match entry {
            LibraryEntry::Run { path, record } => {
                let scenarios: Vec<&str> = record.scenarios.iter().map(|scenario| scenario.name.as_str()).collect();
                let verdict = match record.passed {
                    Some(true) => "pass",
                    Some(false) => "FAIL",
                    None => "-",
                };
                let (requests, p95) = match &record.total {
                    Some(total) if total.stats.requests > 0 => {
                        (total.stats.requests.to_string(), format_micros(total.stats.p95_micros as f64))
                    }
                    _ => ("0".into(), "-".into()),
                };
                let started: String = record.started_at.chars().take(19).collect::<String>().replace('T', " ");
                println!(
                    "{:<20} {:<16} {:<28} {:<11} {:<7} {:>9} {:>8}  {}",
                    started,
                    truncate(&record.preset.name, 16),
                    truncate(&scenarios.join(", "), 28),
                    record.status.label(),
                    verdict,
                    requests,
                    p95,
                    path.display()
                );
            }
            LibraryEntry::Unreadable { path, error } => {
                println!("{:<20} unreadable: {error}  {}", "?", path.display());
            }
        }
    }
    EXIT_PASSED
}
