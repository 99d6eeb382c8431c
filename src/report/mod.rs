//! Reports: Markdown (the guide's `LOAD_TESTING_RESULTS.md`), one self-contained HTML file with
//! SVG charts, and Locust-compatible CSV. Each renders the same [`Report`], which holds analysis
//! values only: the GUI shows the same numbers.

pub mod charts;
pub mod csv;
pub mod html;
pub mod markdown;
pub mod svg;
pub mod tables;

use std::path::{Path, PathBuf};

use crate::analysis::baseline::{DegradationRow, baselines_for, degradation_rows};
use crate::analysis::comparison::{Comparison, compare};
use crate::analysis::findings::find;
use crate::run::{BaselineRecord, Finding, RunRecord, Verdict};

/// A report's formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Markdown, ready to commit as LOAD_TESTING_RESULTS.md.
    Md,
    /// One self-contained HTML file (charts as SVG, no network at view time).
    Html,
    /// Locust-compatible `*_stats.csv`, `*_stats_history.csv`, `*_failures.csv`.
    Csv,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Md => "md",
            Format::Html => "html",
            Format::Csv => "csv",
        }
    }
}

/// Everything a report shows, computed once from run records.
#[derive(Debug, Clone)]
pub struct Report<'a> {
    pub run: &'a RunRecord,
    /// Per scenario of `run`: its baseline (an outside baseline run wins over the recorded one).
    pub baselines: Vec<Option<BaselineRecord>>,
    /// Per scenario of `run`: degradation against its baseline (empty without one).
    pub degradation: Vec<Vec<DegradationRow>>,
    pub findings: Vec<Finding>,
    /// `run` and the runs it is compared with, `run` first (the comparison's baseline).
    pub compared: Vec<&'a RunRecord>,
    pub comparison: Option<Comparison>,
}

impl<'a> Report<'a> {
    /// The report of `run`, compared with `others` when there are any, and measured against
    /// `baseline_run` (with the words naming it) when given.
    pub fn new(run: &'a RunRecord, others: &[&'a RunRecord], baseline_run: Option<(&RunRecord, &str)>) -> Report<'a> {
        let baselines = baselines_for(run, baseline_run);
        let degradation = run
            .scenarios
            .iter()
            .zip(&baselines)
            .map(|(scenario, baseline)| {
                baseline
                    .as_ref()
                    .map(|baseline| degradation_rows(scenario, baseline))
                    .unwrap_or_default()
            })
            .collect();
        let mut compared = vec![run];
        compared.extend_from_slice(others);
        let comparison = (!others.is_empty()).then(|| compare(&compared, 0));
        Report {
            run,
            baselines,
            degradation,
            findings: find(run),
            compared,
            comparison,
        }
    }

    /// Every verdict of the run, with its scenario's name.
    pub fn verdicts(&self) -> impl Iterator<Item = (&'a str, &'a str, &'a Verdict)> {
        self.run.scenarios.iter().flat_map(|scenario| {
            scenario.levels.iter().flat_map(move |level| {
                level
                    .verdicts
                    .iter()
                    .map(move |verdict| (scenario.name.as_str(), level.name.as_str(), verdict))
            })
        })
    }

    /// "All 7 target checks passed" / "2 of 7 target checks failed" / "No targets".
    pub fn verdict_line(&self) -> String {
        let total = self.verdicts().count();
        let failed = self.verdicts().filter(|(_, _, verdict)| !verdict.passed).count();
        match (total, failed) {
            (0, _) => "No targets were checked".into(),
            (total, 0) => format!("All {total} target checks passed"),
            (total, failed) => format!("{failed} of {total} target checks failed"),
        }
    }
}

/// Said when no finding showed.
pub const NO_FINDINGS: &str = "None of the bottleneck indicators showed (error rate rising with users, latency knee, GPU memory near full, connection errors or timeouts appearing, cascading failure, no recovery, saturated load generator, late starts).";

/// `PASS`, `FAIL` or `no verdict`.
pub fn verdict_word(passed: Option<bool>) -> &'static str {
    match passed {
        Some(true) => "PASS",
        Some(false) => "FAIL",
        None => "no verdict",
    }
}

/// `GPU unavailable: ...; containers off; host ...; Prometheus off`.
pub fn monitors_line(monitors: &crate::monitor::MonitorStatus) -> String {
    format!(
        "GPU {}; containers {}; host {}; Prometheus {}",
        monitors.gpu.describe(),
        monitors.containers.describe(),
        monitors.host.describe(),
        monitors.prometheus.describe()
    )
}

/// `Gateway / Level 3`, or the scenario alone.
pub fn finding_place(finding: &Finding) -> String {
    match &finding.level_name {
        Some(level) => format!("{} / {level}", finding.scenario),
        None => finding.scenario.clone(),
    }
}

/// `48.6 req/s at Level 2 (12 users)`, or why there is none.
pub fn peak_line(run: &RunRecord) -> String {
    match crate::analysis::headline::headline(run).peak_rps_within_targets {
        Some((rps, label)) => format!("{rps:.1} req/s at {label}"),
        None => "no level held all its targets".into(),
    }
}

/// Renders and writes a report; returns the files written (none when Markdown went to
/// standard output).
pub fn write(report: &Report, format: Format, out: Option<&Path>, run_path: &Path) -> Result<Vec<PathBuf>, String> {
    let stem = run_path
        .file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .unwrap_or_else(|| "run".into());
    let write_file = |path: &Path, text: &str| {
        crate::run::save::write_atomic(path, text.as_bytes())
            .map(|_| vec![path.to_path_buf()])
            .map_err(|err| {
                format!(
                    "cannot write {}: {err} (check the folder exists and is writable, or pass --out)",
                    path.display()
                )
            })
    };
    match format {
        Format::Md => {
            let text = markdown::render(report);
            match out {
                Some(path) => write_file(path, &text),
                None => {
                    print!("{text}");
                    Ok(Vec::new())
                }
            }
        }
        Format::Html => {
            let path = out.map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from(format!("{stem}.html")));
            write_file(&path, &html::render_report(report))
        }
        Format::Csv => {
            let prefix = out.map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from(&stem));
            csv::write_all(report.run, &prefix).map_err(|err| format!("cannot write CSV files at {}: {err}", prefix.display()))
        }
    }
}
