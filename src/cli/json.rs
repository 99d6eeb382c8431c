//! `--json`: what `runs`, `compare`, `validate`, `probe` and the run summary (`run`,
//! `capacity`) print for scripts and CI, as typed documents. Each starts with `"kind"` (which
//! document) and `"version"` ([`JSON_VERSION`]): within a version fields are only added, never
//! renamed, retyped or removed. The README's "JSON output" section documents every field. Values
//! come from the same computations as the text the commands print.

use serde::Serialize;

use crate::analysis::comparison::{CompareCell, Comparison, Measure, delta};
use crate::analysis::noise::Interval;
use crate::monitor::{MonitorStatus, ResourceSample};
use crate::preset::{CompiledPreset, Diagnostic};
use crate::run::library::RunRow;
use crate::run::{Finding, LevelRecord, RunRecord, RunStatus, ScenarioRecord, TaskSummary};

/// The version of every `--json` document.
pub(crate) const JSON_VERSION: u32 = 1;

/// Prints a document on standard output, one line.
pub(crate) fn print<T: Serialize>(document: &T) {
    match serde_json::to_string(document) {
        Ok(text) => println!("{text}"),
        // Only non-string map keys or a failing Serialize impl can get here; neither exists.
        Err(err) => eprintln!("cannot write JSON: {err}"),
    }
}

/// `loadscope runs --json`.
#[derive(Debug, Serialize)]
pub(crate) struct RunsDocument {
    pub kind: &'static str,
    pub version: u32,
    /// The library folder listed.
    pub dir: String,
    /// In the order asked for (`--sort`, `--asc`), after `--filter` and `--tag`.
    pub runs: Vec<RunsEntry>,
    /// Files in the folder that are not readable runs, and why.
    pub unreadable: Vec<UnreadableEntry>,
}

#[derive(Debug, Serialize)]
pub(crate) struct RunsEntry {
    pub id: String,
    pub path: String,
    /// The name given in the library, else the preset's.
    pub name: String,
    pub preset: String,
    /// Scenario names, comma-separated.
    pub scenarios: String,
    /// RFC 3339, UTC.
    pub started_at: String,
    pub duration_secs: f64,
    /// `running`, `completed`, `stopped`, `aborted` or `interrupted`.
    pub status: RunStatus,
    /// Every target held (null: no targets).
    pub passed: Option<bool>,
    pub requests: u64,
    /// Null when the run has no requests.
    pub p95_micros: Option<u64>,
    pub error_rate_percent: f64,
    pub tags: Vec<String>,
    pub notes: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct UnreadableEntry {
    pub path: String,
    pub error: String,
}

impl RunsDocument {
    pub(crate) fn new(dir: &std::path::Path, rows: &[RunRow], unreadable: Vec<UnreadableEntry>) -> RunsDocument {
        RunsDocument {
            kind: "runs",
            version: JSON_VERSION,
            dir: dir.display().to_string(),
            runs: rows
                .iter()
                .map(|row| RunsEntry {
                    id: row.id.clone(),
                    path: row.path.display().to_string(),
                    name: row.name.clone(),
                    preset: row.preset.clone(),
                    scenarios: row.scenarios.clone(),
                    started_at: row.started_at.clone(),
                    duration_secs: row.duration_secs,
                    status: row.status,
                    passed: row.passed,
                    requests: row.requests,
                    p95_micros: row.p95_micros,
                    error_rate_percent: row.error_rate_percent,
                    tags: row.tags.clone(),
                    notes: row.notes.clone(),
                })
                .collect(),
            unreadable,
        }
    }
}

/// `loadscope run --repeat N --json`: each level's spread over the repeats.
#[derive(Debug, Serialize)]
pub(crate) struct SpreadDocument<'a> {
    pub kind: &'static str,
    pub version: u32,
    #[serde(flatten)]
    pub spread: &'a crate::analysis::spread::Spread,
}

impl<'a> SpreadDocument<'a> {
    pub(crate) fn new(spread: &'a crate::analysis::spread::Spread) -> SpreadDocument<'a> {
        SpreadDocument {
            kind: "repeat",
            version: JSON_VERSION,
            spread,
        }
    }
}

/// `loadscope compare --json`.
#[derive(Debug, Serialize)]
pub(crate) struct ComparisonDocument {
    pub kind: &'static str,
    pub version: u32,
    /// The letter of the run the others are measured against.
    pub baseline: String,
    pub runs: Vec<ComparedRun>,
    /// One per scenario, level and task, in the runs' order.
    pub rows: Vec<ComparedRow>,
}

#[derive(Debug, Serialize)]
pub(crate) struct ComparedRun {
    pub letter: String,
    pub name: String,
    pub id: String,
    pub started_at: String,
    pub passed: Option<bool>,
    /// The tool that measured an imported run (`locust`); null for Loadscope's own runs.
    pub imported_from: Option<String>,
}

#[derive(Debug, Serialize)]
pub(crate) struct ComparedRow {
    pub scenario: String,
    /// 0-based level index, and its name.
    pub level: usize,
    pub level_name: String,
    /// A task's name, or `Aggregated` for all tasks together.
    pub task: String,
    /// `compared`, or `load_differs` when a run's level asked a different load of the service
    /// than the baseline's (users, rate, spawn rate, length or task mix): no better or worse is
    /// called for it.
    pub verdict: &'static str,
    /// The row's load, or each run's joined by ` vs ` when they differ.
    pub load: String,
    /// One per run, in the runs' order; null where that run lacks the level or task.
    pub cells: Vec<Option<ComparedCell>>,
}

/// `CompareCell`'s numbers, copied on purpose: the JSON contract stays put when the internal
/// type changes.
#[derive(Debug, Serialize)]
pub(crate) struct ComparedCell {
    pub run: String,
    /// The level's load as text (`40 users`, `20 req/s`).
    pub load: String,
    pub requests: u64,
    pub failures: u64,
    pub p50_micros: u64,
    pub p95_micros: u64,
    pub p99_micros: u64,
    pub error_rate_percent: f64,
    pub rps: f64,
    pub ttft_p95_micros: Option<u64>,
    /// Whether the targets on this level (and task) held; null when none check it.
    pub verdict: Option<bool>,
    pub failed_targets: Vec<String>,
    /// Each measure's 95% confidence interval, where the run holds enough to say.
    pub intervals: Vec<MeasureInterval>,
    /// Each measure against the baseline run's (empty in the baseline's own cells).
    pub changes: Vec<MeasureChange>,
}

#[derive(Debug, Serialize)]
pub(crate) struct MeasureInterval {
    /// `p50`, `p95`, `p99`, `error_rate`, `rps` or `ttft_p95`.
    pub measure: &'static str,
    pub low: f64,
    pub high: f64,
}

#[derive(Debug, Serialize)]
pub(crate) struct MeasureChange {
    pub measure: &'static str,
    /// This run's value minus the baseline's, in the measure's unit (µs, percent points, req/s).
    pub absolute: f64,
    /// Null when the baseline's value is zero.
    pub percent: Option<f64>,
    /// `better`, `worse`, `same` (within noise, or under 5%), `unknown` (5% or more, but a
    /// run has no interval to tell it from noise), `load_differs` (the levels ran different
    /// loads) or `too_few_requests` (under 100 requests on a side).
    pub change: &'static str,
    /// What the change was weighed against: `spread` (both runs have repeats: their
    /// run-to-run ranges) or `interval` (each run's 95% sampling interval).
    pub noise: &'static str,
}

impl ComparisonDocument {
    pub(crate) fn new(comparison: &Comparison) -> ComparisonDocument {
        let letter = |index: usize| comparison.runs.get(index).map(|run| run.letter.clone()).unwrap_or_default();
        ComparisonDocument {
            kind: "comparison",
            version: JSON_VERSION,
            baseline: letter(comparison.baseline),
            runs: comparison
                .runs
                .iter()
                .map(|run| ComparedRun {
                    letter: run.letter.clone(),
                    name: run.name.clone(),
                    id: run.id.clone(),
                    started_at: run.started_at.clone(),
                    passed: run.passed,
                    imported_from: run.imported_from.clone(),
                })
                .collect(),
            rows: comparison
                .rows
                .iter()
                .map(|row| {
                    let base = row.cells.get(comparison.baseline).and_then(Option::as_ref);
                    ComparedRow {
                        scenario: row.scenario.clone(),
                        level: row.level,
                        level_name: row.level_name.clone(),
                        task: row.task.to_string(),
                        verdict: if row.load_differs(comparison.baseline) {
                            "load_differs"
                        } else {
                            "compared"
                        },
                        load: row.load_label(comparison.baseline),
                        cells: row
                            .cells
                            .iter()
                            .enumerate()
                            .map(|(index, cell)| {
                                let base = base.filter(|_| index != comparison.baseline);
                                cell.as_ref().map(|cell| compared_cell(letter(index), base, cell))
                            })
                            .collect(),
                    }
                })
                .collect(),
        }
    }
}

fn compared_cell(run: String, base: Option<&CompareCell>, cell: &CompareCell) -> ComparedCell {
    let interval = |measure: Measure, interval: Option<Interval>| {
        interval.map(|interval| MeasureInterval {
            measure: measure.key(),
            low: interval.low,
            high: interval.high,
        })
    };
    ComparedCell {
        run,
        load: cell.load.clone(),
        requests: cell.requests,
        failures: cell.failures,
        p50_micros: cell.p50_micros,
        p95_micros: cell.p95_micros,
        p99_micros: cell.p99_micros,
        error_rate_percent: cell.error_rate_percent,
        rps: cell.rps,
        ttft_p95_micros: cell.ttft_p95_micros,
        verdict: cell.verdict,
        failed_targets: cell.failed_targets.clone(),
        intervals: Measure::ALL
            .into_iter()
            .filter_map(|measure| interval(measure, measure.interval(cell)))
            .collect(),
        changes: base
            .map(|base| {
                Measure::ALL
                    .into_iter()
                    .filter_map(|measure| {
                        let change = delta(measure, base, cell)?;
                        Some(MeasureChange {
                            measure: measure.key(),
                            absolute: change.absolute,
                            percent: change.percent,
                            change: change.change.key(),
                            noise: if change.spreads.is_some() { "spread" } else { "interval" },
                        })
                    })
                    .collect()
            })
            .unwrap_or_default(),
    }
}

/// `loadscope validate --json`.
#[derive(Debug, Serialize)]
pub(crate) struct ValidationDocument {
    pub kind: &'static str,
    pub version: u32,
    /// One per preset named, in order.
    pub presets: Vec<PresetValidation>,
}

#[derive(Debug, Serialize)]
pub(crate) struct PresetValidation {
    /// The preset as named on the command line.
    pub preset: String,
    pub ok: bool,
    /// What it holds (zero when it has mistakes).
    pub scenarios: usize,
    pub levels: usize,
    pub capacity_searches: usize,
    pub targets: usize,
    pub errors: Vec<PresetError>,
}

#[derive(Debug, Serialize)]
pub(crate) struct PresetError {
    /// The file's path, or `shipped:NAME`.
    pub source: String,
    /// 1-based; null when the mistake has no place (a file that cannot be read).
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

impl PresetValidation {
    pub(crate) fn ok(preset: &str, compiled: &CompiledPreset) -> PresetValidation {
        PresetValidation {
            preset: preset.to_string(),
            ok: true,
            scenarios: compiled.scenarios.len(),
            levels: compiled.scenarios.iter().map(|scenario| scenario.levels.len()).sum(),
            capacity_searches: compiled.scenarios.iter().filter(|scenario| scenario.capacity.is_some()).count(),
            targets: compiled.scenarios.iter().map(|scenario| scenario.targets.len()).sum(),
            errors: Vec::new(),
        }
    }

    pub(crate) fn failed(preset: &str, diagnostics: &[Diagnostic]) -> PresetValidation {
        PresetValidation {
            preset: preset.to_string(),
            ok: false,
            scenarios: 0,
            levels: 0,
            capacity_searches: 0,
            targets: 0,
            errors: diagnostics
                .iter()
                .map(|diagnostic| PresetError {
                    source: diagnostic.source.clone(),
                    line: diagnostic.line,
                    column: diagnostic.column,
                    message: diagnostic.message.clone(),
                })
                .collect(),
        }
    }
}

/// `loadscope probe --json`.
#[derive(Debug, Serialize)]
pub(crate) struct ProbeDocument<'a> {
    pub kind: &'static str,
    pub version: u32,
    /// Per monitor (`gpu`, `containers`, `host`, `prometheus`): `{"state": "available" |
    /// "unavailable" | "off", "detail": "..."}`, as in run files.
    pub monitors: &'a MonitorStatus,
    /// One sample, in the run file's shape.
    pub sample: &'a ResourceSample,
}

/// The summary `run --json` and `capacity --json` print when the run ends.
#[derive(Debug, Serialize)]
pub(crate) struct RunSummaryDocument<'a> {
    pub kind: &'static str,
    pub version: u32,
    pub id: &'a str,
    /// Where the run file was written (null: nowhere).
    pub path: Option<String>,
    pub status: RunStatus,
    pub stop_reason: Option<&'a str>,
    /// Every target held (null: no targets).
    pub passed: Option<bool>,
    /// The process's exit code.
    pub exit_code: u8,
    pub total: Option<Numbers>,
    pub scenarios: Vec<ScenarioSummary<'a>>,
    pub findings: Vec<Finding>,
}

#[derive(Debug, Serialize)]
pub(crate) struct ScenarioSummary<'a> {
    pub name: &'a str,
    pub levels: Vec<LevelSummary<'a>>,
    /// A capacity search's result, when the scenario ran one.
    pub capacity: Option<CapacitySummary>,
}

#[derive(Debug, Serialize)]
pub(crate) struct LevelSummary<'a> {
    pub name: &'a str,
    /// The load as text (`40 users, spawn 20/s`).
    pub load: String,
    /// All tasks together, then each task.
    pub total: Numbers,
    pub tasks: Vec<TaskNumbers>,
    /// Each journey's numbers, as the run file keeps them (without the histogram); absent
    /// for scenarios without journeys.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub journeys: Vec<JourneyNumbers<'a>>,
    pub verdicts: Vec<VerdictSummary>,
}

#[derive(Debug, Serialize)]
pub(crate) struct JourneyNumbers<'a> {
    pub name: &'a str,
    #[serde(flatten)]
    pub stats: &'a crate::run::JourneyStats,
    pub success_rate_percent: Option<f64>,
    pub tool_calls_per_journey: Option<f64>,
}

/// A span's numbers (µs for latencies).
#[derive(Debug, Serialize)]
pub(crate) struct Numbers {
    pub requests: u64,
    pub failures: u64,
    /// Requests their users stopped part way (`cancel_after`): in `requests`, not failures.
    pub cancelled: u64,
    pub error_rate_percent: f64,
    pub rps: f64,
    pub p50_micros: u64,
    pub p95_micros: u64,
    pub p99_micros: u64,
    pub max_micros: u64,
    /// Chat tasks: time to first token, p95 (null otherwise).
    pub ttft_p95_micros: Option<u64>,
    pub output_tokens_per_sec: Option<f64>,
}

#[derive(Debug, Serialize)]
pub(crate) struct TaskNumbers {
    pub task: String,
    #[serde(flatten)]
    pub numbers: Numbers,
}

#[derive(Debug, Serialize)]
pub(crate) struct VerdictSummary {
    /// The target as written (`p95 < 2s`).
    pub target: String,
    pub task: Option<String>,
    /// A journey target's journey.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub journey: Option<String>,
    pub passed: bool,
    /// The value checked, in the metric's own unit, and as the CLI prints it.
    pub observed: Option<f64>,
    pub observed_text: Option<String>,
    pub threshold: f64,
}

#[derive(Debug, Serialize)]
pub(crate) struct CapacitySummary {
    /// `users` or `rate`.
    pub over: &'static str,
    /// The highest load at which every target held (null: none).
    pub capacity: Option<f64>,
    pub capacity_text: Option<String>,
    pub steps: usize,
    pub held_steps: usize,
    /// The search reached its precision.
    pub done: bool,
    /// Every step held up to the maximum tried: the capacity is at least `capacity`.
    pub held_at_max: bool,
    /// Why the search has no answer about the service (`capacity` is then null):
    /// `{"cause": "unreachable" | "generator_limit", "step": N, "first_error": "..."}`.
    pub stopped: Option<crate::measure::capacity::SearchStop>,
    /// The answer as the CLI's last line says it (`24 users`, `unknown (service unreachable
    /// during step 2: ...)`).
    pub answer: String,
}

fn numbers(summary: &TaskSummary) -> Numbers {
    let stats = &summary.stats;
    Numbers {
        requests: stats.requests,
        failures: stats.failures,
        cancelled: stats.cancelled,
        error_rate_percent: stats.error_rate_percent(),
        rps: stats.rps,
        p50_micros: stats.p50_micros,
        p95_micros: stats.p95_micros,
        p99_micros: stats.p99_micros,
        max_micros: stats.max_micros,
        ttft_p95_micros: stats.chat.as_ref().map(|chat| chat.ttft_p95_micros),
        output_tokens_per_sec: stats.chat.as_ref().map(|chat| chat.output_tokens_per_sec),
    }
}

fn level_summary(level: &LevelRecord) -> LevelSummary<'_> {
    LevelSummary {
        name: &level.name,
        load: level.load.to_string(),
        total: numbers(&level.total),
        tasks: level
            .tasks
            .iter()
            .map(|task| TaskNumbers {
                task: task.task.clone(),
                numbers: numbers(task),
            })
            .collect(),
        journeys: level
            .journeys
            .iter()
            .map(|journey| JourneyNumbers {
                name: &journey.name,
                stats: &journey.stats,
                success_rate_percent: journey.stats.success_rate_percent(),
                tool_calls_per_journey: journey.stats.tool_calls_per_journey(),
            })
            .collect(),
        verdicts: level
            .verdicts
            .iter()
            .map(|verdict| VerdictSummary {
                target: verdict.target.clone(),
                task: verdict.task.clone(),
                journey: verdict.journey.clone(),
                passed: verdict.passed,
                observed: verdict.observed,
                observed_text: verdict.observed.map(|value| verdict.metric.format_value(value)),
                threshold: verdict.threshold,
            })
            .collect(),
    }
}

fn scenario_summary(scenario: &ScenarioRecord) -> ScenarioSummary<'_> {
    ScenarioSummary {
        name: &scenario.name,
        levels: scenario.levels.iter().map(level_summary).collect(),
        capacity: scenario.capacity.as_ref().map(|capacity| CapacitySummary {
            over: match capacity.axis {
                crate::measure::capacity::CapacityAxis::Users => "users",
                crate::measure::capacity::CapacityAxis::Rate => "rate",
            },
            capacity: capacity.capacity,
            capacity_text: capacity.capacity.map(|load| capacity.axis.format(load)),
            steps: capacity.steps.len(),
            held_steps: capacity.steps.iter().filter(|step| step.held).count(),
            done: capacity.done,
            held_at_max: crate::measure::capacity::CapacitySearch::held_at_max(&capacity.steps, &capacity.rule),
            stopped: capacity.stopped.clone(),
            answer: capacity.answer(),
        }),
    }
}

impl<'a> RunSummaryDocument<'a> {
    pub(crate) fn new(record: &'a RunRecord, path: Option<&std::path::Path>, exit_code: u8) -> RunSummaryDocument<'a> {
        RunSummaryDocument {
            kind: "run",
            version: JSON_VERSION,
            id: &record.id,
            path: path.map(|path| path.display().to_string()),
            status: record.status,
            stop_reason: record.stop_reason.as_deref(),
            passed: record.passed,
            exit_code,
            total: record.total.as_ref().map(numbers),
            scenarios: record.scenarios.iter().map(scenario_summary).collect(),
            findings: crate::analysis::findings::find(record),
        }
    }
}
