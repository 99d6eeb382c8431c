//! Comparison: two or more runs side by side, level by level and task by task, each number
//! against the baseline run's with its absolute and relative change and whether that change is
//! better, worse or not clearly either (within noise, see [`super::noise`]). Also the runs'
//! time series on a common axis for overlay charts.

use super::TaskRow;
use super::noise::{self, Interval};
use crate::analysis::verdicts::all_passed;
use crate::format;
use crate::measure::MetricUnit;
use crate::run::{LevelRecord, RunRecord, TaskSummary, histogram};

/// Changes smaller than this (percent) are too small to call, however sure they are.
pub(crate) const SAME_BAND_PERCENT: f64 = 5.0;

/// Requests each side needs in a level before a change there is called better or worse.
pub(crate) const MIN_COMPARED_REQUESTS: u64 = 100;

/// Said under every comparison table: what the intervals are, and what they are not.
pub(crate) const INTERVALS_NOTE: &str = "Intervals are within-run sampling intervals (95%); a rerun of the same load can spread wider. Measure that spread with `loadscope run --repeat N`. Better or worse is called only beyond noise, with at least 100 requests on each side, and never between levels whose loads differ.";

/// What a level asked of the service: its load model, planned length and task mix. Numbers
/// from levels whose loads differ are not better or worse than each other, only different.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadSignature {
    pub load: crate::measure::LoadModel,
    pub planned_secs: f64,
    /// Each task and its weight, in the scenario's order.
    pub mix: Vec<(String, f64)>,
}

impl LoadSignature {
    /// Whether two levels ran the same load (durations within 1%).
    pub fn matches(&self, other: &LoadSignature) -> bool {
        let close = |a: f64, b: f64| (a - b).abs() <= a.abs().max(b.abs()) * 0.01 + 1e-9;
        let load = match (self.load, other.load) {
            (
                crate::measure::LoadModel::Closed { users, spawn_rate },
                crate::measure::LoadModel::Closed {
                    users: other_users,
                    spawn_rate: other_spawn,
                },
            ) => {
                users == other_users
                    && match (spawn_rate, other_spawn) {
                        (Some(a), Some(b)) => close(a, b),
                        (None, None) => true,
                        _ => false,
                    }
            }
            (
                crate::measure::LoadModel::Open {
                    rate_per_sec,
                    max_in_flight,
                },
                crate::measure::LoadModel::Open {
                    rate_per_sec: other_rate,
                    max_in_flight: other_cap,
                },
            ) => close(rate_per_sec, other_rate) && max_in_flight == other_cap,
            _ => false,
        };
        let mix = self.mix.len() == other.mix.len()
            && self
                .mix
                .iter()
                .zip(&other.mix)
                .all(|((name, weight), (other_name, other_weight))| name == other_name && close(*weight, *other_weight));
        load && close(self.planned_secs, other.planned_secs) && mix
    }

    /// The load in a few words; with `detail`, its spawn rate, length and task mix too (for
    /// loads whose brief words are the same but that differ).
    pub fn describe(&self, detail: bool) -> String {
        let brief = self.load.brief();
        if !detail {
            return brief;
        }
        let spawn = match self.load {
            crate::measure::LoadModel::Closed {
                spawn_rate: Some(rate), ..
            } => format!(", spawn {rate}/s"),
            crate::measure::LoadModel::Open { max_in_flight, .. } => format!(", at most {max_in_flight} in flight"),
            _ => String::new(),
        };
        let mix: Vec<String> = self.mix.iter().map(|(name, weight)| format!("{name} ×{weight}")).collect();
        format!(
            "{brief}{spawn} for {}, tasks {}",
            format::duration_secs(self.planned_secs),
            mix.join(" ")
        )
    }
}

/// A run as a column of the comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct RunColumn {
    /// `A`, `B`, `C`...: short names for tables.
    pub letter: String,
    pub name: String,
    pub id: String,
    pub started_at: String,
    pub passed: Option<bool>,
    /// The tool that measured an imported run (`locust`); None for Loadscope's own.
    pub imported_from: Option<String>,
}

/// The numbers of one level and task of one run.
#[derive(Debug, Clone, PartialEq)]
pub struct CompareCell {
    pub load: String,
    /// What the level asked of the service, to tell whether two cells may be compared.
    pub signature: LoadSignature,
    pub requests: u64,
    pub failures: u64,
    pub p50_micros: u64,
    pub p95_micros: u64,
    pub p99_micros: u64,
    pub error_rate_percent: f64,
    pub rps: f64,
    pub ttft_p95_micros: Option<u64>,
    /// Whether the targets checking this level (and task) held; None when none check it.
    pub verdict: Option<bool>,
    /// The targets that failed, as written.
    pub failed_targets: Vec<String>,
    /// Each number's 95% confidence interval.
    pub intervals: CellIntervals,
    /// The level's spread over the run's repeats (`run --repeat N`, all tasks together), when
    /// the run has them: a comparison then uses it as the noise instead of the intervals.
    pub spread: Option<CellSpread>,
}

/// A level's numbers over a run's repeats.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CellSpread {
    pub runs: usize,
    pub p95: Option<super::spread::Range>,
    pub rps: Option<super::spread::Range>,
    pub error_rate: Option<super::spread::Range>,
}

/// The 95% intervals of a cell's numbers (None where the run holds too little to say).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct CellIntervals {
    pub p50: Option<Interval>,
    pub p95: Option<Interval>,
    pub p99: Option<Interval>,
    pub error_rate: Option<Interval>,
    pub rps: Option<Interval>,
    pub ttft_p95: Option<Interval>,
}

/// One level x task row: a cell per run (None where that run lacks the level or task).
#[derive(Debug, Clone, PartialEq)]
pub struct CompareRow {
    pub scenario: String,
    pub level: usize,
    pub level_name: String,
    pub task: TaskRow,
    pub cells: Vec<Option<CompareCell>>,
}

impl CompareRow {
    /// Whether a run's level asked a different load of the service than the baseline's.
    pub fn load_differs(&self, baseline: usize) -> bool {
        let Some(Some(base)) = self.cells.get(baseline) else { return false };
        self.cells.iter().flatten().any(|cell| !cell.signature.matches(&base.signature))
    }

    /// The row's load: `20 users`, or each run's when they differ (`20 users vs 40 users`).
    pub fn load_label(&self, baseline: usize) -> String {
        let present: Vec<&CompareCell> = self.cells.iter().flatten().collect();
        let Some(first) = present.first() else { return String::new() };
        if !self.load_differs(baseline) {
            return first.load.clone();
        }
        let briefs_differ = present.iter().any(|cell| cell.load != first.load);
        let mut loads: Vec<String> = Vec::new();
        for cell in &present {
            let text = cell.signature.describe(!briefs_differ);
            if !loads.contains(&text) {
                loads.push(text);
            }
        }
        loads.join(" vs ")
    }
}

/// Runs compared: the columns, which one is the baseline, and the rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub runs: Vec<RunColumn>,
    pub baseline: usize,
    pub rows: Vec<CompareRow>,
}

impl Comparison {
    /// The levels whose runs put different loads on the service than the baseline did, as
    /// `Gateway / Level 3: 20 users vs 40 users`: no better or worse is called for them.
    pub fn load_differences(&self) -> Vec<String> {
        self.rows
            .iter()
            .filter(|row| row.task.is_aggregated() && row.load_differs(self.baseline))
            .map(|row| format!("{} / {}: {}", row.scenario, row.level_name, row.load_label(self.baseline)))
            .collect()
    }
}

/// The numbers a comparison shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    P50,
    P95,
    P99,
    ErrorRate,
    Rps,
    TtftP95,
}

impl Measure {
    pub const ALL: [Measure; 6] = [
        Measure::P50,
        Measure::P95,
        Measure::P99,
        Measure::ErrorRate,
        Measure::Rps,
        Measure::TtftP95,
    ];

    /// Its name in machine-read output (`--json`): `p50`, `error_rate`, `ttft_p95`...
    pub fn key(self) -> &'static str {
        match self {
            Measure::P50 => "p50",
            Measure::P95 => "p95",
            Measure::P99 => "p99",
            Measure::ErrorRate => "error_rate",
            Measure::Rps => "rps",
            Measure::TtftP95 => "ttft_p95",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Measure::P50 => "p50",
            Measure::P95 => "p95",
            Measure::P99 => "p99",
            Measure::ErrorRate => "error rate",
            Measure::Rps => "RPS",
            Measure::TtftP95 => "TTFT p95",
        }
    }

    /// Whether a smaller number is the better one.
    pub fn lower_is_better(self) -> bool {
        !matches!(self, Measure::Rps)
    }

    /// The cell's number (None for latency and error rate when the cell had no requests).
    pub fn value(self, cell: &CompareCell) -> Option<f64> {
        if cell.requests == 0 && self != Measure::Rps {
            return None;
        }
        match self {
            Measure::P50 => Some(cell.p50_micros as f64),
            Measure::P95 => Some(cell.p95_micros as f64),
            Measure::P99 => Some(cell.p99_micros as f64),
            Measure::ErrorRate => Some(cell.error_rate_percent),
            Measure::Rps => Some(cell.rps),
            Measure::TtftP95 => cell.ttft_p95_micros.map(|micros| micros as f64),
        }
    }

    /// The 95% interval of the cell's number.
    pub fn interval(self, cell: &CompareCell) -> Option<Interval> {
        let intervals = &cell.intervals;
        match self {
            Measure::P50 => intervals.p50,
            Measure::P95 => intervals.p95,
            Measure::P99 => intervals.p99,
            Measure::ErrorRate => intervals.error_rate,
            Measure::Rps => intervals.rps,
            Measure::TtftP95 => intervals.ttft_p95,
        }
    }

    /// The run-to-run spread of the cell's number, where the run has repeats and the measure
    /// is one the spread keeps (p95, error rate, RPS).
    pub fn spread(self, cell: &CompareCell) -> Option<super::spread::Range> {
        let spread = cell.spread.as_ref()?;
        match self {
            Measure::P95 => spread.p95,
            Measure::ErrorRate => spread.error_rate,
            Measure::Rps => spread.rps,
            Measure::P50 | Measure::P99 | Measure::TtftP95 => None,
        }
    }

    /// A value for a spreadsheet: the bare number and its unit (`412.000`, `ms`).
    pub fn copy(self, value: f64) -> (String, &'static str) {
        match self {
            Measure::P50 | Measure::P95 | Measure::P99 | Measure::TtftP95 => MetricUnit::LatencyMicros.copy(value),
            Measure::ErrorRate => MetricUnit::Percent.copy(value),
            Measure::Rps => (format!("{value:.3}"), "req/s"),
        }
    }

    /// A value in this measure's unit: `412ms`, `0.52%`, `18.3/s`.
    pub fn format(self, value: f64) -> String {
        match self {
            Measure::ErrorRate => format!("{value:.2}%"),
            Measure::Rps => format!("{value:.1}/s"),
            _ => format::micros(value),
        }
    }

    /// An absolute change in this measure's unit, signed.
    pub fn format_change(self, change: f64) -> String {
        let sign = if change < 0.0 { "-" } else { "+" };
        match self {
            Measure::ErrorRate => format!("{sign}{:.2} pt", change.abs()),
            _ => format!("{sign}{}", self.format(change.abs())),
        }
    }
}

/// Whether a change is an improvement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Better,
    Worse,
    /// Within noise, or too small to matter.
    Same,
    /// Big enough to matter, but a run has no interval to tell it from noise (too few
    /// requests, or an imported run with no histogram).
    Unknown,
    /// The levels ran different loads (users, rate, spawn rate, length or task mix): their
    /// numbers differ for that reason, not better or worse.
    LoadDiffers,
    /// A side has fewer than [`MIN_COMPARED_REQUESTS`] requests in the level.
    TooFewRequests,
}

impl Change {
    pub fn label(self) -> &'static str {
        match self {
            Change::Better => "better",
            Change::Worse => "worse",
            Change::Same => "no clear change",
            Change::Unknown => "cannot tell from noise",
            Change::LoadDiffers => "load differs",
            Change::TooFewRequests => "too few requests",
        }
    }

    /// Its name in machine-read output (`--json`).
    pub fn key(self) -> &'static str {
        match self {
            Change::Better => "better",
            Change::Worse => "worse",
            Change::Same => "same",
            Change::Unknown => "unknown",
            Change::LoadDiffers => "load_differs",
            Change::TooFewRequests => "too_few_requests",
        }
    }
}

/// A number against the baseline's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Delta {
    pub absolute: f64,
    /// None when the baseline's number is zero.
    pub percent: Option<f64>,
    pub change: Change,
    /// The baseline's and this run's 95% intervals (None where a run holds too little).
    pub base_interval: Option<Interval>,
    pub interval: Option<Interval>,
    /// When both runs have repeats: how many each, and their spreads, which were the noise.
    pub spreads: Option<((usize, super::spread::Range), (usize, super::spread::Range))>,
}

impl Delta {
    /// Why the change is called what it is, with both intervals, for a hover text.
    pub fn explain(&self, measure: Measure) -> String {
        if let Some(((base_runs, base), (runs, other))) = self.spreads {
            let rule = match self.change {
                Change::Better | Change::Worse => "The ranges do not overlap: the change is beyond run-to-run spread.",
                Change::Same => "The ranges overlap, so reruns of either could land here (or the change is under 5%).",
                _ => self.change.label(),
            };
            let show = |range: super::spread::Range| {
                format!(
                    "{} to {} (median {})",
                    measure.format(range.min),
                    measure.format(range.max),
                    measure.format(range.median)
                )
            };
            return format!(
                "Run-to-run spread over repeats\nbaseline ({base_runs} runs): {}\nthis run ({runs} runs): {}\n{rule}",
                show(base),
                show(other)
            );
        }
        let show = |interval: Option<Interval>| match interval {
            Some(interval) => format!("{} to {}", measure.format(interval.low), measure.format(interval.high)),
            None => "unknown".to_string(),
        };
        let rule = match (self.change, measure) {
            (Change::Same, Measure::ErrorRate) => {
                "The difference could be chance (two-proportion test at 5%), or is under 5% of the baseline."
            }
            (Change::Same, _) => "The intervals overlap, so the difference could be noise (or it is under 5%).",
            (Change::Unknown, _) => {
                "A run has no interval (too few requests, or no histogram: an imported run), so noise cannot be ruled out."
            }
            (Change::LoadDiffers, _) => {
                "The runs put different loads on this level, so its numbers differ for that reason: neither is better."
            }
            (Change::TooFewRequests, _) => "A run has fewer than 100 requests in this level: too few to call a change.",
            (_, Measure::ErrorRate) => "The difference is beyond chance (two-proportion test at 5%).",
            _ => "The intervals do not overlap: the change is beyond run-to-run noise.",
        };
        format!(
            "95% confidence intervals\nbaseline: {}\nthis run: {}\n{rule}",
            show(self.base_interval),
            show(self.interval)
        )
    }
}

/// How `other` compares with `base` on `measure` (None when either lacks the number). The
/// change is better or worse only when it is both beyond noise (see [`noise`]) and at least
/// [`SAME_BAND_PERCENT`] of the baseline.
pub fn delta(measure: Measure, base: &CompareCell, other: &CompareCell) -> Option<Delta> {
    let (base_value, value) = (measure.value(base)?, measure.value(other)?);
    let absolute = value - base_value;
    let percent = (base_value != 0.0).then(|| absolute / base_value * 100.0);
    // Error rates are compared in points: 0% -> 0.3% can matter though it has no percent.
    let size = match measure {
        Measure::ErrorRate => absolute.abs() * 100.0 / base_value.max(1.0),
        _ => percent.map(f64::abs).unwrap_or(if absolute == 0.0 { 0.0 } else { f64::INFINITY }),
    };
    let (base_interval, interval) = (measure.interval(base), measure.interval(other));
    // Both runs repeated: their run-to-run spreads are the noise (wider than one run's
    // sampling interval, and what a rerun would show).
    let spreads = match (measure.spread(base), measure.spread(other), &base.spread, &other.spread) {
        (Some(base_range), Some(range), Some(base_spread), Some(spread)) if base_spread.runs >= 2 && spread.runs >= 2 => {
            Some(((base_spread.runs, base_range), (spread.runs, range)))
        }
        _ => None,
    };
    let beyond_noise = match (spreads, measure) {
        (Some(((_, base_range), (_, range))), _) => !base_range.overlaps(&range),
        (None, Measure::ErrorRate) => noise::error_rates_differ(base.failures, base.requests, other.failures, other.requests),
        (None, _) => matches!((base_interval, interval), (Some(base), Some(other)) if !base.overlaps(other)),
    };
    let unknown = spreads.is_none() && measure != Measure::ErrorRate && (base_interval.is_none() || interval.is_none());
    let change = if !base.signature.matches(&other.signature) {
        Change::LoadDiffers
    } else if size < SAME_BAND_PERCENT {
        Change::Same
    } else if base.requests < MIN_COMPARED_REQUESTS || other.requests < MIN_COMPARED_REQUESTS {
        Change::TooFewRequests
    } else if unknown {
        Change::Unknown
    } else if !beyond_noise {
        Change::Same
    } else if (absolute < 0.0) == measure.lower_is_better() {
        Change::Better
    } else {
        Change::Worse
    };
    Some(Delta {
        absolute,
        percent,
        change,
        base_interval,
        interval,
        spreads,
    })
}

/// A run's short label: its name and start time (`Demo 2026-11-27 10:33:05`).
pub(crate) fn run_label(run: &RunRecord) -> String {
    let started: String = run.started_at.chars().take(19).collect::<String>().replace('T', " ");
    format!("{} {started}", run.display_name())
}

/// The 95% intervals of a task's numbers, from its stored histograms. A histogram that does not
/// decode leaves its intervals unknown, and its changes are then never called.
fn intervals(summary: &TaskSummary, level_secs: f64) -> CellIntervals {
    let stats = &summary.stats;
    let latency = histogram::decode(&summary.histogram).ok();
    let quantile = |quantile: f64| latency.as_ref().and_then(|latency| noise::quantile_interval(latency, quantile));
    let ttft = summary
        .chat_histograms
        .as_ref()
        .and_then(|chat| histogram::decode(&chat.ttft).ok())
        .and_then(|ttft| noise::quantile_interval(&ttft, 0.95));
    CellIntervals {
        p50: quantile(0.50),
        p95: quantile(0.95),
        p99: quantile(0.99),
        error_rate: noise::error_rate_interval_percent(stats.failures, stats.requests),
        rps: noise::rate_interval(stats.requests, level_secs),
        ttft_p95: ttft,
    }
}

/// A scenario's tasks and their weights, from the preset document the run kept (weight 1 where
/// the document does not say).
fn task_mix(run: &RunRecord, scenario: &crate::run::ScenarioRecord) -> Vec<(String, f64)> {
    let documented = run
        .preset
        .document
        .get("scenario")
        .and_then(serde_json::Value::as_array)
        .and_then(|scenarios| {
            scenarios
                .iter()
                .find(|candidate| candidate.get("name").and_then(serde_json::Value::as_str) == Some(scenario.name.as_str()))
        })
        .and_then(|found| found.get("task"))
        .and_then(serde_json::Value::as_array);
    scenario
        .tasks
        .iter()
        .map(|name| {
            let weight = documented
                .and_then(|tasks| {
                    tasks.iter().find(|task| {
                        let task = task.get("value").unwrap_or(task);
                        task.get("name").and_then(serde_json::Value::as_str) == Some(name.as_str())
                    })
                })
                .map(|task| task.get("value").unwrap_or(task))
                .and_then(|task| task.get("weight"))
                .and_then(serde_json::Value::as_f64)
                .unwrap_or(1.0);
            (name.clone(), weight)
        })
        .collect()
}

/// The targets among `verdicts` that failed, as written.
fn failed_targets(verdicts: &[&crate::run::Verdict]) -> Vec<String> {
    verdicts
        .iter()
        .filter(|verdict| !verdict.passed)
        .map(|verdict| verdict.target.clone())
        .collect()
}

/// What a level asked of the service, with the scenario's task mix.
fn signature(level: &LevelRecord, mix: &[(String, f64)]) -> LoadSignature {
    LoadSignature {
        load: level.load,
        planned_secs: level.planned_duration_secs,
        mix: mix.to_vec(),
    }
}

/// The seconds a rate was measured over: the count over the rate, or the level's own length.
fn measured_secs(count: u64, per_sec: f64, level: &LevelRecord) -> f64 {
    if per_sec > 0.0 {
        count as f64 / per_sec
    } else {
        level.duration_secs()
    }
}

fn cell(level: &LevelRecord, task: Option<&str>, summary: &TaskSummary, mix: &[(String, f64)]) -> CompareCell {
    let stats = &summary.stats;
    let verdicts: Vec<&crate::run::Verdict> = level.verdicts.iter().filter(|verdict| verdict.task.as_deref() == task).collect();
    // The seconds the rate was measured over: requests / rate, or the level's own length.
    let level_secs = measured_secs(stats.requests, stats.rps, level);
    CompareCell {
        load: level.load.brief(),
        signature: signature(level, mix),
        requests: stats.requests,
        failures: stats.failures,
        p50_micros: stats.p50_micros,
        p95_micros: stats.p95_micros,
        p99_micros: stats.p99_micros,
        error_rate_percent: stats.error_rate_percent(),
        rps: stats.rps,
        ttft_p95_micros: stats
            .chat
            .as_ref()
            .filter(|chat| chat.streamed > 0)
            .map(|chat| chat.ttft_p95_micros),
        verdict: all_passed(verdicts.iter().copied()),
        failed_targets: failed_targets(&verdicts),
        intervals: intervals(summary, level_secs),
        spread: None,
    }
}

/// A journey's cell: its end-to-end latency (completed journeys), the share of journeys that
/// failed as its error rate, completed journeys per second as its rate, each with its 95%
/// interval (from its histogram and counts), so the same noise rule calls its changes.
fn journey_cell(level: &LevelRecord, journey: &crate::run::JourneySummary, mix: &[(String, f64)]) -> CompareCell {
    let stats = &journey.stats;
    let ended = stats.ended();
    let verdicts: Vec<&crate::run::Verdict> = level
        .verdicts
        .iter()
        .filter(|verdict| verdict.journey.as_deref() == Some(journey.name.as_str()))
        .collect();
    let level_secs = measured_secs(stats.completed, stats.journeys_per_sec, level);
    let latency = histogram::decode(&journey.histogram).ok();
    let quantile = |quantile: f64| latency.as_ref().and_then(|latency| noise::quantile_interval(latency, quantile));
    CompareCell {
        load: level.load.brief(),
        signature: signature(level, mix),
        requests: ended,
        failures: stats.failed,
        p50_micros: stats.latency_p50_micros,
        p95_micros: stats.latency_p95_micros,
        p99_micros: stats.latency_p99_micros,
        error_rate_percent: if ended > 0 {
            stats.failed as f64 * 100.0 / ended as f64
        } else {
            0.0
        },
        rps: stats.journeys_per_sec,
        ttft_p95_micros: None,
        verdict: all_passed(verdicts.iter().copied()),
        failed_targets: failed_targets(&verdicts),
        intervals: CellIntervals {
            p50: quantile(0.50),
            p95: quantile(0.95),
            p99: quantile(0.99),
            error_rate: noise::error_rate_interval_percent(stats.failed, ended),
            rps: noise::rate_interval(stats.completed, level_secs),
            ttft_p95: None,
        },
        spread: None,
    }
}

/// Lays `runs` side by side; `baseline` is the index of the run the others are measured
/// against. Levels match by scenario name and level position; tasks by name.
pub fn compare(runs: &[&RunRecord], baseline: usize) -> Comparison {
    compare_with_spreads(runs, baseline, &[])
}

/// [`compare`], with each run's repeat spread where it has one (`spreads[i]` for `runs[i]`):
/// between two runs that both have repeats, p95, error rate and RPS are called better or worse
/// only when their run-to-run ranges do not overlap.
pub(crate) fn compare_with_spreads(runs: &[&RunRecord], baseline: usize, spreads: &[Option<super::spread::Spread>]) -> Comparison {
    let columns = runs
        .iter()
        .enumerate()
        .map(|(index, run)| RunColumn {
            letter: column_letter(index),
            name: run.display_name().to_string(),
            id: run.id.clone(),
            started_at: run.started_at.clone(),
            passed: run.passed,
            imported_from: run.imported.as_ref().map(|imported| imported.tool.clone()),
        })
        .collect();
    // Row keys in order of first appearance over the runs.
    let mut keys: Vec<(String, usize, String, TaskRow)> = Vec::new();
    for run in runs {
        for scenario in &run.scenarios {
            for level in &scenario.levels {
                let tasks = std::iter::once(TaskRow::Aggregated)
                    .chain(level.journeys.iter().map(|journey| TaskRow::Journey(journey.name.clone())))
                    .chain(level.tasks.iter().map(|task| TaskRow::Task(task.task.clone())));
                for task in tasks {
                    if !keys
                        .iter()
                        .any(|(name, index, _, known)| name == &scenario.name && *index == level.index && known == &task)
                    {
                        keys.push((scenario.name.clone(), level.index, level.name.clone(), task));
                    }
                }
            }
        }
    }
    // Keep each scenario's rows together, levels in order, Aggregated first.
    let scenario_order: Vec<String> = keys.iter().fold(Vec::new(), |mut order, key| {
        if !order.contains(&key.0) {
            order.push(key.0.clone());
        }
        order
    });
    keys.sort_by_key(|(scenario, level, _, task)| {
        (
            scenario_order.iter().position(|known| known == scenario),
            *level,
            !task.is_aggregated(),
        )
    });
    let rows = keys
        .into_iter()
        .map(|(scenario_name, level_index, level_name, task)| {
            let cells = runs
                .iter()
                .enumerate()
                .map(|(run_index, run)| {
                    let scenario = run.scenarios.iter().find(|scenario| scenario.name == scenario_name)?;
                    let level = scenario.levels.iter().find(|level| level.index == level_index)?;
                    let mix = task_mix(run, scenario);
                    match &task {
                        TaskRow::Aggregated => {
                            let mut cell = cell(level, None, &level.total, &mix);
                            cell.spread = spreads
                                .get(run_index)
                                .and_then(Option::as_ref)
                                .and_then(|spread| spread.level(&scenario_name, level_index))
                                .map(|level| CellSpread {
                                    runs: level.runs,
                                    p95: level.p95_micros,
                                    rps: level.rps,
                                    error_rate: level.error_rate_percent,
                                });
                            Some(cell)
                        }
                        TaskRow::Task(name) => {
                            let summary = level.tasks.iter().find(|summary| &summary.task == name)?;
                            Some(cell(level, Some(name), summary, &mix))
                        }
                        TaskRow::Journey(name) => {
                            let journey = level.journeys.iter().find(|journey| &journey.name == name)?;
                            Some(journey_cell(level, journey, &mix))
                        }
                    }
                })
                .collect();
            CompareRow {
                scenario: scenario_name,
                level: level_index,
                level_name,
                task,
                cells,
            }
        })
        .collect();
    Comparison {
        runs: columns,
        baseline: baseline.min(runs.len().saturating_sub(1)),
        rows,
    }
}

/// `A`..`Z`, then `AA`...
pub(crate) fn column_letter(index: usize) -> String {
    let mut index = index;
    let mut letters = Vec::new();
    loop {
        letters.push((b'A' + (index % 26) as u8) as char);
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    letters.iter().rev().collect()
}

/// How overlay charts line runs up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Seconds since each run started.
    Elapsed,
    /// Each level starts at the same x in every run (levels matched by scenario and position).
    ByLevel,
}

/// What an overlay chart draws from each second of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SeriesMeasure {
    P95,
    Rps,
    FailuresPerSec,
    Users,
}

impl SeriesMeasure {
    pub(crate) fn label(self) -> &'static str {
        match self {
            SeriesMeasure::P95 => "Latency p95",
            SeriesMeasure::Rps => "Throughput",
            SeriesMeasure::FailuresPerSec => "Failures",
            SeriesMeasure::Users => "Users",
        }
    }

    /// The unit of [`SeriesMeasure::value`], for the chart's axis.
    pub(crate) fn unit(self) -> &'static str {
        match self {
            SeriesMeasure::P95 => "ms",
            SeriesMeasure::Rps => "req/s",
            SeriesMeasure::FailuresPerSec => "failures/s",
            SeriesMeasure::Users => "users",
        }
    }

    /// The second's value in the chart's unit (latency in milliseconds).
    pub(crate) fn value(self, point: &crate::run::SeriesPoint) -> Option<f64> {
        match self {
            SeriesMeasure::P95 => point.requests.p95_micros.map(|micros| micros as f64 / 1000.0),
            SeriesMeasure::Rps => Some(point.requests.rps),
            SeriesMeasure::FailuresPerSec => Some(point.requests.failures_per_sec),
            SeriesMeasure::Users => Some(point.users as f64),
        }
    }
}

/// A level's place on a by-level axis.
#[derive(Debug, Clone, PartialEq)]
pub struct LevelSlot {
    pub scenario: String,
    pub level: usize,
    pub label: String,
    pub start_secs: f64,
    pub end_secs: f64,
}

/// Every run's series on a common axis: one line of `[x seconds, value]` per run, and the
/// level slots (for by-level alignment the levels' common starts; for elapsed time, the
/// first run's levels).
pub(crate) fn overlay(runs: &[&RunRecord], measure: SeriesMeasure, align: Align) -> (Vec<Vec<[f64; 2]>>, Vec<LevelSlot>) {
    let slots = level_slots(runs, align);
    let lines = runs
        .iter()
        .map(|run| {
            run.series
                .iter()
                .filter_map(|point| {
                    let value = measure.value(point)?;
                    let x = match align {
                        Align::Elapsed => point.second as f64,
                        Align::ByLevel => {
                            let scenario = run.scenarios.get(point.scenario)?;
                            let level = scenario.levels.iter().find(|level| level.index == point.level)?;
                            let slot = slots
                                .iter()
                                .find(|slot| slot.scenario == scenario.name && slot.level == level.index)?;
                            let x = slot.start_secs + (point.second as f64 - level.started_offset_secs);
                            if x > slot.end_secs {
                                return None;
                            }
                            x
                        }
                    };
                    Some([x, value])
                })
                .collect()
        })
        .collect();
    (lines, slots)
}

fn level_slots(runs: &[&RunRecord], align: Align) -> Vec<LevelSlot> {
    match align {
        Align::Elapsed => runs
            .first()
            .map(|run| {
                run.scenarios
                    .iter()
                    .flat_map(|scenario| {
                        scenario.levels.iter().map(|level| LevelSlot {
                            scenario: scenario.name.clone(),
                            level: level.index,
                            label: level.name.clone(),
                            start_secs: level.started_offset_secs,
                            end_secs: level.started_offset_secs + level.duration_secs(),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default(),
        Align::ByLevel => {
            let mut slots: Vec<LevelSlot> = Vec::new();
            for run in runs {
                for scenario in &run.scenarios {
                    for level in &scenario.levels {
                        let width = level.duration_secs().ceil();
                        match slots
                            .iter_mut()
                            .find(|slot| slot.scenario == scenario.name && slot.level == level.index)
                        {
                            Some(slot) => slot.end_secs = slot.end_secs.max(width),
                            None => slots.push(LevelSlot {
                                scenario: scenario.name.clone(),
                                level: level.index,
                                label: level.name.clone(),
                                start_secs: 0.0,
                                end_secs: width,
                            }),
                        }
                    }
                }
            }
            // Widths were collected in end_secs; lay the slots end to end.
            let mut start = 0.0;
            for slot in &mut slots {
                let width = slot.end_secs;
                slot.start_secs = start;
                slot.end_secs = start + width;
                start += width;
            }
            slots
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A cell of 10,000 requests whose p95 is known to within 2%.
    fn cell(p95_micros: u64, error_rate_percent: f64, rps: f64) -> CompareCell {
        let requests = 10_000;
        let p95 = p95_micros as f64;
        CompareCell {
            load: "10 users".into(),
            signature: LoadSignature {
                load: crate::measure::LoadModel::Closed {
                    users: 10,
                    spawn_rate: None,
                },
                planned_secs: 30.0,
                mix: vec![("chat".into(), 1.0)],
            },
            requests,
            failures: (error_rate_percent / 100.0 * requests as f64).round() as u64,
            p50_micros: 0,
            p95_micros,
            p99_micros: 0,
            error_rate_percent,
            rps,
            ttft_p95_micros: None,
            verdict: None,
            failed_targets: Vec::new(),
            intervals: CellIntervals {
                p95: Some(Interval {
                    low: p95 * 0.99,
                    high: p95 * 1.01,
                }),
                rps: noise::rate_interval(requests, requests as f64 / rps),
                ..CellIntervals::default()
            },
            spread: None,
        }
    }

    #[test]
    fn deltas_know_which_way_is_better() {
        let base = cell(1_000_000, 0.0, 20.0);
        let faster = cell(800_000, 0.0, 25.0);
        let p95 = delta(Measure::P95, &base, &faster).expect("delta");
        assert_eq!(p95.change, Change::Better);
        assert_eq!(p95.percent, Some(-20.0));
        assert_eq!(p95.absolute, -200_000.0);
        assert_eq!(delta(Measure::Rps, &base, &faster).expect("delta").change, Change::Better);
        let small = cell(1_030_000, 0.0, 20.0);
        assert_eq!(
            delta(Measure::P95, &base, &small).expect("delta").change,
            Change::Same,
            "3% is under the band"
        );
        let failing = cell(1_000_000, 0.4, 20.0);
        let errors = delta(Measure::ErrorRate, &base, &failing).expect("delta");
        assert_eq!(errors.change, Change::Worse, "0% -> 0.4% of 10,000 requests is worse");
        assert_eq!(errors.percent, None);
        assert_eq!(delta(Measure::TtftP95, &base, &failing), None);
    }

    #[test]
    fn a_large_change_within_noise_is_no_clear_change() {
        // +13% on a short run whose p95 could be anywhere from 0.8 s to 1.4 s.
        let mut base = cell(1_000_000, 0.0, 20.0);
        let mut other = cell(1_130_000, 1.0, 20.0);
        for (cell, low, high) in [(&mut base, 800_000.0, 1_200_000.0), (&mut other, 950_000.0, 1_400_000.0)] {
            cell.requests = 134;
            cell.failures = (cell.error_rate_percent * 1.34).round() as u64;
            cell.intervals.p95 = Some(Interval { low, high });
        }
        let p95 = delta(Measure::P95, &base, &other).expect("delta");
        assert_eq!(p95.change, Change::Same);
        assert!(
            p95.explain(Measure::P95).contains("could be noise"),
            "{}",
            p95.explain(Measure::P95)
        );
        assert_eq!(
            delta(Measure::ErrorRate, &base, &other).expect("delta").change,
            Change::Same,
            "0 vs 1 failure in 134"
        );
        // Without an interval (an imported run has no histogram) a change past the band is
        // neither better nor worse, and says why rather than "no clear change".
        other.intervals.p95 = None;
        let unknown = delta(Measure::P95, &base, &other).expect("delta");
        assert_eq!(unknown.change, Change::Unknown);
        assert_eq!(unknown.change.label(), "cannot tell from noise");
        assert!(
            unknown.explain(Measure::P95).contains("no histogram"),
            "{}",
            unknown.explain(Measure::P95)
        );
        other.p95_micros = 1_020_000;
        assert_eq!(
            delta(Measure::P95, &base, &other).expect("delta").change,
            Change::Same,
            "2% is under the band either way"
        );
    }

    #[test]
    fn a_halved_load_is_not_better_and_a_few_requests_say_so() {
        let base = cell(1_000_000, 0.0, 20.0);
        let mut halved = cell(379_000, 0.0, 10.0);
        halved.signature.load = crate::measure::LoadModel::Closed {
            users: 5,
            spawn_rate: None,
        };
        halved.load = "5 users".into();
        for measure in [Measure::P95, Measure::Rps, Measure::ErrorRate] {
            let change = delta(measure, &base, &halved).expect("delta");
            assert_eq!(change.change, Change::LoadDiffers, "{measure:?}");
            assert_eq!(change.change.key(), "load_differs");
        }
        let row = CompareRow {
            scenario: "Gateway".into(),
            level: 2,
            level_name: "Level 3".into(),
            task: TaskRow::Aggregated,
            cells: vec![Some(base.clone()), Some(halved.clone())],
        };
        assert!(row.load_differs(0));
        assert_eq!(row.load_label(0), "10 users vs 5 users");
        // Same users, other length: the words say what differs.
        let mut longer = base.clone();
        longer.signature.planned_secs = 60.0;
        let row = CompareRow {
            cells: vec![Some(base.clone()), Some(longer.clone())],
            ..row
        };
        assert_eq!(
            row.load_label(0),
            "10 users for 30s, tasks chat ×1 vs 10 users for 1m 00s, tasks chat ×1"
        );
        assert_eq!(delta(Measure::P95, &base, &longer).expect("delta").change, Change::LoadDiffers);
        // 14 requests: a 61% faster p95 is too few requests to call.
        let mut few = cell(288, 0.0, 20.0);
        few.requests = 14;
        few.intervals.p95 = Some(Interval { low: 200.0, high: 300.0 });
        let mut few_base = cell(740, 0.0, 20.0);
        few_base.requests = 14;
        few_base.intervals.p95 = Some(Interval { low: 700.0, high: 780.0 });
        let change = delta(Measure::P95, &few_base, &few).expect("delta");
        assert_eq!(change.change, Change::TooFewRequests);
        assert_eq!(change.change.label(), "too few requests");
    }

    #[test]
    fn letters() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
    }
}
