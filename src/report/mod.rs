//! Reports: Markdown (the guide's `LOAD_TESTING_RESULTS.md`), one self-contained HTML file with
//! SVG charts, and Locust-compatible CSV. Each renders the same [`Report`], which holds analysis
//! values only: the GUI shows the same numbers.

pub(crate) mod catalogue;
pub(crate) mod charts;
pub(crate) mod csv;
pub(crate) mod html;
pub(crate) mod journey_table;
pub(crate) mod junit;
pub(crate) mod lines;
pub(crate) mod markdown;
mod output;
pub(crate) mod stats_table;
pub(crate) mod svg;
pub(crate) mod tables;
pub(crate) mod tsv;

pub(crate) use output::write;

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
    /// JUnit XML for CI: a test suite per scenario, a test case per target and level.
    Junit,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Md => "md",
            Format::Html => "html",
            Format::Csv => "csv",
            Format::Junit => "xml",
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

    /// The comparison again with each compared run's repeat spread (`spreads[i]` for
    /// `compared[i]`), as `compare` weighs it, so a report and the comparison agree.
    pub fn with_spreads(mut self, spreads: &[Option<crate::analysis::spread::Spread>]) -> Report<'a> {
        if self.comparison.is_some() && spreads.iter().any(Option::is_some) {
            self.comparison = Some(crate::analysis::comparison::compare_with_spreads(&self.compared, 0, spreads));
        }
        self
    }

    /// Every level's target checks; a capacity search's steps are its evidence, not checks.
    pub fn verdicts(&self) -> impl Iterator<Item = (&'a str, &'a str, &'a Verdict)> {
        self.run
            .checked_verdicts()
            .map(|(scenario, level, verdict)| (scenario.name.as_str(), level.name.as_str(), verdict))
    }

    /// "All 7 target checks passed" / "2 of 7 target checks failed" / "No targets".
    pub fn verdict_line(&self) -> String {
        let total = self.verdicts().count();
        let failed = self.verdicts().filter(|(_, _, verdict)| !verdict.passed).count();
        let levels = match (total, failed) {
            (0, _) => None,
            (total, 0) => Some(format!("All {total} target checks passed")),
            (total, failed) => Some(format!("{failed} of {total} target checks failed")),
        };
        // A capacity search's verdict is its result.
        let searches = self.run.scenarios.iter().filter_map(|scenario| {
            let capacity = scenario.capacity.as_ref()?;
            let found = match capacity.capacity {
                Some(load) => format!("capacity {}", capacity.axis.format(load)),
                None => "no load held".into(),
            };
            let checks = match capacity.verdicts.iter().filter(|verdict| !verdict.passed).count() {
                _ if capacity.verdicts.is_empty() => String::new(),
                0 => ", capacity targets passed".into(),
                failed => format!(", {failed} capacity target(s) failed"),
            };
            Some(format!("{}: {found}{checks}", scenario.name))
        });
        let lines: Vec<String> = levels.into_iter().chain(searches).collect();
        if lines.is_empty() {
            "No targets were checked".into()
        } else {
            lines.join("; ")
        }
    }
}
