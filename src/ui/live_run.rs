//! What the Live tab shows, built from the engine's events (or from a saved run): the
//! one-second series, the latest snapshot, level boundaries, verdicts and where the run is
//! saved. Every statistic is one the engine computed; this only arranges them for the tab
//! (bands from the series, each task's share of requests and weights, failures merged
//! across levels).

use std::path::PathBuf;
use std::time::Instant;

use crate::analysis::TaskRow;
use crate::engine::{Event, HealthReport, Phase, SaveOutcome, Snapshot};
use crate::measure::capacity::CapacityAxis;
use crate::measure::{LoadModel, Metric};
use crate::preset::CompiledPreset;
use crate::report::charts::CurveTarget;
use crate::run::{FailureRow, LevelRecord, RunRecord, RunStatus, SeriesPoint, TaskStats, Verdict};

/// Where a run is, as the top bar and status bar say it.
#[derive(Debug, Clone, PartialEq)]
pub enum RunState {
    /// Nothing started yet.
    Idle,
    /// Health checks are running.
    Preflight,
    /// Preflight finished: every check passed (a preflight-only check) or one failed.
    Checked {
        passed: bool,
    },
    Running,
    /// The run ended (completed, stopped, aborted).
    Ended(RunStatus),
    /// A saved run opened from the Runs tab.
    Saved(RunStatus),
}

impl RunState {
    pub fn is_active(&self) -> bool {
        matches!(self, RunState::Preflight | RunState::Running)
    }

    pub fn label(&self) -> String {
        match self {
            RunState::Idle => "idle".to_string(),
            RunState::Preflight => "preflight".to_string(),
            RunState::Checked { passed: true } => "preflight passed".to_string(),
            RunState::Checked { passed: false } => "preflight failed".to_string(),
            RunState::Running => "running".to_string(),
            RunState::Ended(status) | RunState::Saved(status) => status.label().to_string(),
        }
    }
}

/// A stretch of the run at one level, for the chart bands.
#[derive(Debug, Clone, PartialEq)]
pub struct LevelBand {
    pub start_secs: f64,
    pub end_secs: f64,
    pub scenario: usize,
    pub level: usize,
    /// The level's name.
    pub label: String,
    /// The scenario's name, on the band where it starts (when the run has several).
    pub scenario_start: Option<String>,
}

/// One task's share of a level's (or the run's) requests.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskShare {
    pub task: String,
    pub requests: u64,
    /// Its share of all requests (None before any).
    pub observed_percent: Option<f64>,
    /// Its share of the scenario's task weights (None when not known: a saved run).
    pub planned_percent: Option<f64>,
}

/// A latency target drawn as a line on a chart.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetLine {
    pub scenario: usize,
    /// The level the target checks; None for every level.
    pub level: Option<usize>,
    /// The task the target checks; None for all of them together.
    pub task: Option<String>,
    pub metric: Metric,
    pub threshold: f64,
    pub label: String,
}

impl TargetLine {
    /// Whether the charts draw this target while they show `view`: one task of a scenario
    /// (its index and name), or every task together (None).
    pub fn shown_for(&self, view: Option<(usize, &str)>) -> bool {
        match (view, self.task.as_deref()) {
            (None, task) => self.metric.charted(task.is_some()),
            (Some((scenario, name)), Some(task)) => scenario == self.scenario && name == task && self.metric.charted(false),
            // Ceilings on the machines (GPU, CPU) hold whichever task is charted.
            (Some(_), None) => self.metric.is_resource(),
        }
    }
}

/// A task the charts can show alone.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskChoice {
    pub scenario: usize,
    pub task: usize,
    pub name: String,
    /// The task's name, after its scenario's when the run has several.
    pub label: String,
}

/// Everything the Live tab draws.
pub struct LiveRun {
    pub state: RunState,
    pub preset_name: String,
    /// `(scenario name, level names)` of the preset run, for band labels.
    levels: Vec<(String, Vec<String>)>,
    pub targets: Vec<TargetLine>,
    /// Per scenario of the preset run: each task's name and weight (empty for a saved run).
    task_weights: Vec<Vec<(String, u32)>>,
    pub series: Vec<SeriesPoint>,
    pub snapshot: Option<Snapshot>,
    pub preflight: Vec<HealthReport>,
    /// Levels that have ended, with their final numbers and verdicts.
    pub finished_levels: Vec<(String, LevelRecord)>,
    pub out_path: Option<PathBuf>,
    pub last_saved: Option<Instant>,
    pub save_error: Option<String>,
    pub record: Option<Box<RunRecord>>,
    pub messages: Vec<String>,
    /// What the engine warned about (the run goes on): https not verified, too few descriptors.
    pub warnings: Vec<crate::engine::RunWarning>,
    /// Where the final save went, once the run has ended.
    pub saved: Option<SaveOutcome>,
    /// Per scenario: its capacity search's axis and its latency targets (metric, threshold,
    /// text), None for fixed levels.
    searches: Vec<Option<(CapacityAxis, Vec<CurveTarget>)>>,
}

impl Default for LiveRun {
    fn default() -> Self {
        LiveRun {
            state: RunState::Idle,
            preset_name: String::new(),
            levels: Vec::new(),
            targets: Vec::new(),
            task_weights: Vec::new(),
            series: Vec::new(),
            snapshot: None,
            preflight: Vec::new(),
            finished_levels: Vec::new(),
            out_path: None,
            last_saved: None,
            save_error: None,
            record: None,
            messages: Vec::new(),
            searches: Vec::new(),
            warnings: Vec::new(),
            saved: None,
        }
    }
}

/// Each scenario's name with its levels' names, for labels and the level picker.
fn level_names<S>(scenarios: &[S], names: impl Fn(&S) -> (&String, Vec<&String>)) -> Vec<(String, Vec<String>)> {
    scenarios
        .iter()
        .map(|scenario| {
            let (name, levels) = names(scenario);
            (name.clone(), levels.into_iter().cloned().collect())
        })
        .collect()
}

/// One target check in the top bar: where it was checked, and how it went.
#[derive(Debug, Clone)]
pub struct VerdictLight {
    pub scenario: String,
    /// The level's name (`Level 3`).
    pub level: String,
    pub verdict: Verdict,
}

impl LiveRun {
    /// A fresh view for a run (or preflight) of `preset`.
    pub fn for_preset(preset: &CompiledPreset, state: RunState) -> LiveRun {
        let levels = level_names(&preset.scenarios, |scenario| {
            (&scenario.name, scenario.levels.iter().map(|level| &level.name).collect())
        });
        let targets = preset
            .scenarios
            .iter()
            .enumerate()
            .flat_map(|(scenario_index, scenario)| {
                scenario.targets.iter().filter_map(move |target| {
                    let metric = target.expr.metric;
                    metric.charted(false).then(|| TargetLine {
                        scenario: scenario_index,
                        level: target.level,
                        task: target.task.and_then(|task| scenario.tasks.get(task)).map(|task| task.name.clone()),
                        metric,
                        threshold: target.expr.threshold,
                        label: target.text.clone(),
                    })
                })
            })
            .collect();
        let task_weights = preset
            .scenarios
            .iter()
            .map(|scenario| scenario.tasks.iter().map(|task| (task.name.clone(), task.weight)).collect())
            .collect();
        let searches = preset
            .scenarios
            .iter()
            .map(|scenario| {
                let capacity = scenario.capacity.as_ref()?;
                let targets = scenario
                    .targets
                    .iter()
                    .map(|target| CurveTarget {
                        metric: target.expr.metric,
                        threshold: target.expr.threshold,
                        text: target.text.clone(),
                    })
                    .collect();
                Some((capacity.rule.axis, targets))
            })
            .collect();
        LiveRun {
            state,
            preset_name: preset.name.clone(),
            levels,
            targets,
            task_weights,
            searches,
            ..LiveRun::default()
        }
    }

    /// A saved run, shown as it ended.
    pub fn from_record(record: RunRecord, path: PathBuf) -> LiveRun {
        let levels = level_names(&record.scenarios, |scenario| {
            (&scenario.name, scenario.levels.iter().map(|level| &level.name).collect())
        });
        let finished_levels = record
            .scenarios
            .iter()
            .flat_map(|scenario| scenario.levels.iter().map(|level| (scenario.name.clone(), level.clone())))
            .collect();
        // The targets as the run recorded them, so a saved run shows its target lines too.
        let targets = record
            .scenarios
            .iter()
            .enumerate()
            .flat_map(|(scenario_index, scenario)| {
                scenario.targets.iter().filter_map(move |target| {
                    let expr = crate::measure::TargetExpr::parse(&target.expr).ok()?;
                    expr.metric.charted(false).then(|| TargetLine {
                        scenario: scenario_index,
                        level: target.level,
                        task: target.task.clone(),
                        metric: expr.metric,
                        threshold: expr.threshold,
                        label: target.expr.clone(),
                    })
                })
            })
            .collect();
        let searches = record
            .scenarios
            .iter()
            .map(|scenario| {
                let capacity = scenario.capacity.as_ref()?;
                let targets = CurveTarget::of_records(&scenario.targets);
                Some((capacity.axis, targets))
            })
            .collect();
        LiveRun {
            state: RunState::Saved(record.status),
            preset_name: record.preset.name.clone(),
            searches,
            levels,
            targets,
            series: record.series.clone(),
            finished_levels,
            out_path: Some(path),
            record: Some(Box::new(record)),
            ..LiveRun::default()
        }
    }

    /// The load curves of each capacity search so far, from its finished steps.
    pub fn capacity_curves(&self) -> Vec<crate::report::charts::ChartData> {
        let mut charts = Vec::new();
        for (index, search) in self.searches.iter().enumerate() {
            let (Some((axis, targets)), Some((name, _))) = (search, self.levels.get(index)) else {
                continue;
            };
            let steps: Vec<(f64, &LevelRecord)> = self
                .finished_levels
                .iter()
                .filter(|(scenario, _)| scenario == name)
                .map(|(_, level)| {
                    let load = match level.load {
                        LoadModel::Closed { users, .. } => f64::from(users),
                        LoadModel::Open { rate_per_sec, .. } => rate_per_sec,
                    };
                    (load, level)
                })
                .collect();
            // After the run, its answer and objectives as the run file has them.
            let scenario = self
                .record
                .as_ref()
                .and_then(|record| record.scenarios.iter().find(|scenario| &scenario.name == name));
            let context = crate::report::charts::CurveContext {
                capacity: scenario
                    .and_then(|scenario| scenario.capacity.as_ref())
                    .and_then(|capacity| capacity.capacity),
                objectives: scenario.and_then(|scenario| scenario.objectives.as_ref()),
            };
            charts.extend(crate::report::charts::load_curves(name, *axis, steps, targets, &context));
        }
        charts
    }

    /// Takes in one engine event.
    pub fn apply(&mut self, event: Event) {
        match event {
            Event::PreflightStarted => self.state = RunState::Preflight,
            Event::PreflightPassed(reports) => {
                self.preflight = reports;
                // A run goes on to Started; a preflight-only check ends here.
                if self.state == RunState::Preflight {
                    self.state = RunState::Checked { passed: true };
                }
            }
            Event::PreflightFailed(reports) | Event::SetupFailed(reports) => {
                self.preflight = reports;
                self.state = RunState::Checked { passed: false };
            }
            Event::SetupPassed(reports) => self.preflight.extend(reports),
            Event::StartFailed(why) => {
                self.messages.push(format!("The run did not start: {why}"));
                self.state = RunState::Checked { passed: false };
            }
            Event::Cancelled => {
                self.messages.push("Stopped before any load was sent; nothing was saved.".into());
                self.state = RunState::Idle;
            }
            Event::Warning(message) => self.warnings.push(message),
            Event::Started { out_path, .. } => {
                self.state = RunState::Running;
                self.out_path = Some(out_path);
            }
            Event::Snapshot(mut snapshot) => {
                self.series.append(&mut snapshot.new_series);
                // A capacity search names its steps as it makes them (`level_count` 0): the
                // bands read "Step 3 · 24 users".
                if snapshot.level_count == 0
                    && let Some((_, names)) = self.levels.get_mut(snapshot.scenario_index)
                {
                    if names.len() <= snapshot.level_index {
                        names.resize(snapshot.level_index + 1, String::new());
                    }
                    let step = snapshot.level_name.trim_end_matches(" warm-up");
                    names[snapshot.level_index] = format!("{step} · {}", snapshot.load.brief());
                }
                if snapshot.phase == Phase::Running {
                    self.state = RunState::Running;
                }
                self.snapshot = Some(*snapshot);
            }
            Event::LevelFinished { scenario, level } => self.finished_levels.push((scenario, *level)),
            Event::Saved { .. } => {
                self.last_saved = Some(Instant::now());
                self.save_error = None;
            }
            Event::SaveFailed { path, error } => self.save_error = Some(format!("{}: {}", path.display(), error.reason())),
            Event::Finished { record, saved } => {
                self.state = RunState::Ended(record.status);
                match &saved {
                    SaveOutcome::Saved(path) => {
                        self.out_path = Some(path.clone());
                        self.save_error = None;
                    }
                    SaveOutcome::Fallback { path, planned, error } => {
                        self.out_path = Some(path.clone());
                        self.save_error = Some(format!(
                            "could not save to {} ({error}); the run was saved to {} instead",
                            planned.display(),
                            path.display()
                        ));
                    }
                    SaveOutcome::NotSaved { error } => {
                        self.out_path = None;
                        self.save_error = Some(format!("the run could not be saved anywhere: {error}"));
                    }
                }
                self.saved = Some(saved);
                if record.series.len() > self.series.len() {
                    self.series = record.series.clone();
                }
                self.record = Some(record);
            }
            Event::Rejected(message) => self.messages.push(message),
        }
    }

    /// Locust's "current ratio": each task's share of the requests (of the current level, or
    /// the whole run) beside its share of the weights the preset gave it (while running).
    pub fn task_ratio(&self, whole_run: bool) -> Vec<TaskShare> {
        let rows = self.stats_rows(whole_run);
        let total: u64 = rows
            .iter()
            .filter(|(task, _)| !task.is_aggregated())
            .map(|(_, stats)| stats.requests)
            .sum();
        let weights = self
            .snapshot
            .as_ref()
            .filter(|_| self.record.is_none())
            .and_then(|snapshot| self.task_weights.get(snapshot.scenario_index));
        let weight_total: u32 = weights.map(|weights| weights.iter().map(|(_, weight)| weight).sum()).unwrap_or(0);
        rows.into_iter()
            .filter_map(|(task, stats)| {
                let TaskRow::Task(name) = task else { return None };
                let planned_percent = weights
                    .and_then(|weights| weights.iter().find(|(known, _)| *known == name))
                    .filter(|_| weight_total > 0)
                    .map(|(_, weight)| f64::from(*weight) * 100.0 / f64::from(weight_total));
                Some(TaskShare {
                    observed_percent: (total > 0).then(|| stats.requests as f64 * 100.0 / total as f64),
                    task: name,
                    requests: stats.requests,
                    planned_percent,
                })
            })
            .collect()
    }

    /// The tasks the charts can show one at a time: none for a run recorded without per-task
    /// seconds, or with a single task.
    pub fn task_choices(&self) -> Vec<TaskChoice> {
        if !self.series.iter().any(|point| !point.tasks.is_empty()) {
            return Vec::new();
        }
        let names: Vec<Vec<String>> = match &self.record {
            Some(record) => record.scenarios.iter().map(|scenario| scenario.tasks.clone()).collect(),
            None => self
                .task_weights
                .iter()
                .map(|tasks| tasks.iter().map(|(name, _)| name.clone()).collect())
                .collect(),
        };
        let several_scenarios = names.len() > 1;
        let choices: Vec<TaskChoice> = names
            .iter()
            .enumerate()
            .flat_map(|(scenario, tasks)| {
                let scenario_name = self.levels.get(scenario).map(|(name, _)| name.as_str()).unwrap_or("");
                tasks.iter().enumerate().map(move |(task, name)| TaskChoice {
                    scenario,
                    task,
                    name: name.clone(),
                    label: if several_scenarios {
                        format!("{scenario_name} / {name}")
                    } else {
                        name.clone()
                    },
                })
            })
            .collect();
        if choices.len() > 1 { choices } else { Vec::new() }
    }

    /// The run's seconds as `choice`'s task saw them (its requests, latency and tokens; the
    /// users and monitors as they were), over the seconds its scenario ran.
    pub fn task_series(&self, choice: &TaskChoice) -> Vec<SeriesPoint> {
        self.series
            .iter()
            .filter_map(|point| point.for_task(choice.scenario, choice.task))
            .collect()
    }

    /// The stretches of the run at each level, from the series.
    pub fn bands(&self) -> Vec<LevelBand> {
        let mut bands: Vec<LevelBand> = Vec::new();
        for point in &self.series {
            let start = f64::from(point.second);
            match bands.last_mut() {
                Some(band) if band.scenario == point.scenario && band.level == point.level => band.end_secs = start + 1.0,
                _ => bands.push(LevelBand {
                    start_secs: start,
                    end_secs: start + 1.0,
                    scenario: point.scenario,
                    level: point.level,
                    label: self.band_label(point.scenario, point.level),
                    scenario_start: self.scenario_start(point.scenario, bands.last().map(|band| band.scenario)),
                }),
            }
        }
        bands
    }

    /// A band's name: the level's; a capacity search's steps are named while it runs ("Step 3
    /// · 24 users") and not after, when its answer and steps table say it once.
    fn band_label(&self, scenario: usize, level: usize) -> String {
        let searched = self.searches.get(scenario).is_some_and(Option::is_some);
        if searched && self.record.is_some() {
            String::new()
        } else {
            self.level_name(scenario, level)
        }
    }

    fn level_name(&self, scenario: usize, level: usize) -> String {
        self.levels
            .get(scenario)
            .and_then(|(_, levels)| levels.get(level).cloned())
            .unwrap_or_else(|| format!("level {}", level + 1))
    }

    /// The scenario's name where it starts (its first band), when the run has several.
    fn scenario_start(&self, scenario: usize, previous: Option<usize>) -> Option<String> {
        if self.levels.len() < 2 || previous == Some(scenario) {
            return None;
        }
        self.levels.get(scenario).map(|(name, _)| name.clone())
    }

    /// Seconds since the run started, as far as the engine has reported.
    pub fn elapsed_secs(&self) -> f64 {
        let from_series = self.series.last().map(|point| f64::from(point.second) + 1.0).unwrap_or(0.0);
        match &self.snapshot {
            Some(snapshot) if self.record.is_none() => snapshot.elapsed_secs.max(from_series),
            _ => from_series,
        }
    }

    /// The stats rows to show: per task plus the total, for the current level or the whole run.
    pub fn stats_rows(&self, whole_run: bool) -> Vec<(TaskRow, TaskStats)> {
        if let Some(snapshot) = &self.snapshot
            && self.record.is_none()
        {
            let (tasks, total) = if whole_run {
                (&snapshot.run_tasks, &snapshot.run_total)
            } else {
                (&snapshot.level_tasks, &snapshot.level_total)
            };
            let mut rows: Vec<(TaskRow, TaskStats)> = tasks
                .iter()
                .map(|(name, stats)| (TaskRow::Task(name.clone()), stats.clone()))
                .collect();
            rows.push((TaskRow::Aggregated, total.clone()));
            return rows;
        }
        let Some(record) = &self.record else { return Vec::new() };
        if whole_run {
            // A saved run keeps whole-run totals per scenario (per task only per level).
            let mut rows: Vec<(TaskRow, TaskStats)> = record
                .scenarios
                .iter()
                .filter_map(|scenario| {
                    let total = scenario.total.as_ref()?;
                    Some((TaskRow::Task(scenario.name.clone()), total.stats.clone()))
                })
                .collect();
            if let Some(total) = &record.total {
                rows.push((TaskRow::Aggregated, total.stats.clone()));
            }
            rows
        } else {
            match self.finished_levels.last() {
                Some((_, level)) => {
                    let mut rows: Vec<(TaskRow, TaskStats)> = level
                        .tasks
                        .iter()
                        .map(|task| (TaskRow::Task(task.task.clone()), task.stats.clone()))
                        .collect();
                    rows.push((TaskRow::Aggregated, level.total.stats.clone()));
                    rows
                }
                None => Vec::new(),
            }
        }
    }

    /// The failures with their scenario, most frequent first: the current level's, or the whole
    /// run's (the finished levels and the one running).
    pub fn failure_rows(&self, whole_run: bool) -> Vec<(String, FailureRow)> {
        let live = self.snapshot.as_ref().filter(|_| self.record.is_none());
        // The running level, unless it has just been reported finished.
        let running: Vec<(&str, &FailureRow)> = live
            .filter(|snapshot| {
                self.finished_levels
                    .last()
                    .is_none_or(|(scenario, level)| !(scenario == &snapshot.scenario_name && level.name == snapshot.level_name))
            })
            .map(|snapshot| snapshot.failures.iter().map(|row| (snapshot.scenario_name.as_str(), row)).collect())
            .unwrap_or_default();
        fn finished((scenario, level): &(String, LevelRecord)) -> impl Iterator<Item = (&str, &FailureRow)> {
            level.failures.iter().map(move |row| (scenario.as_str(), row))
        }
        let rows: Vec<(&str, &FailureRow)> = if whole_run {
            self.finished_levels.iter().flat_map(finished).chain(running).collect()
        } else if live.is_some() && !running.is_empty() {
            running
        } else if live.is_some() {
            Vec::new()
        } else {
            self.finished_levels
                .last()
                .map(|level| finished(level).collect())
                .unwrap_or_default()
        };
        let mut merged: Vec<(String, FailureRow)> = Vec::new();
        for (scenario, row) in rows {
            match merged.iter_mut().find(|(known_scenario, known)| {
                known_scenario == scenario && known.task == row.task && known.kind == row.kind && known.message == row.message
            }) {
                Some((_, known)) => known.count += row.count,
                None => merged.push((scenario.to_string(), row.clone())),
            }
        }
        merged.sort_by_key(|(_, row)| std::cmp::Reverse(row.count));
        merged
    }

    /// The verdict lights: the current level's while running, every level's once ended. A
    /// capacity search's steps have none: failing steps are how it finds its answer, which
    /// [`Self::search_lines`] says instead.
    pub fn verdict_lights(&self) -> Vec<VerdictLight> {
        if self.state == RunState::Running
            && let Some(snapshot) = &self.snapshot
        {
            if snapshot.capacity.is_some() || snapshot.level_count == 0 {
                return Vec::new();
            }
            return snapshot
                .verdicts
                .iter()
                .map(|verdict| VerdictLight {
                    scenario: snapshot.scenario_name.clone(),
                    level: snapshot.level_name.clone(),
                    verdict: verdict.clone(),
                })
                .collect();
        }
        self.finished_levels
            .iter()
            .filter(|(scenario, _)| !self.searched(scenario))
            .flat_map(|(scenario, level)| {
                level.verdicts.iter().map(|verdict| VerdictLight {
                    scenario: scenario.clone(),
                    level: level.name.clone(),
                    verdict: verdict.clone(),
                })
            })
            .collect()
    }

    /// Whether the scenario of this name ran a capacity search.
    fn searched(&self, scenario: &str) -> bool {
        self.levels
            .iter()
            .position(|(name, _)| name == scenario)
            .is_some_and(|index| self.searches.get(index).is_some_and(Option::is_some))
    }

    /// Where each capacity search stands, and whether it has its answer: while running, the
    /// running one's steps so far and the step now measured; after the run, each search's
    /// answer.
    pub fn search_lines(&self) -> Vec<(String, bool)> {
        if let Some(record) = &self.record {
            return record
                .scenarios
                .iter()
                .filter_map(|scenario| scenario.capacity.as_ref())
                .map(|capacity| {
                    let answered = capacity.done || capacity.stopped.is_some();
                    (crate::report::lines::search_state(capacity, None), answered)
                })
                .collect();
        }
        let Some(snapshot) = &self.snapshot else { return Vec::new() };
        let searching = snapshot.level_count == 0 || snapshot.capacity.is_some();
        if !searching {
            return Vec::new();
        }
        let line = match &snapshot.capacity {
            Some(capacity) => crate::report::lines::search_state(capacity, Some((snapshot.level_name.as_str(), snapshot.load))),
            None => format!("capacity search: {} at {}", snapshot.level_name, snapshot.load.brief()),
        };
        vec![(line, false)]
    }
}

/// Metrics drawn as target lines on the latency and TTFT charts.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::SecondStats;

    fn point(second: u32, scenario: usize, level: usize) -> SeriesPoint {
        SeriesPoint {
            second,
            scenario,
            level,
            users: 1,
            requests: SecondStats {
                rps: 1.0,
                ..SecondStats::default()
            },
            resources: None,
            tasks: Vec::new(),
            journeys: None,
        }
    }

    #[test]
    fn preflight_alone_ends_checked_and_a_run_goes_on_running() {
        let mut live = LiveRun {
            state: RunState::Preflight,
            ..LiveRun::default()
        };
        live.apply(Event::PreflightStarted);
        live.apply(Event::PreflightPassed(Vec::new()));
        assert_eq!(live.state, RunState::Checked { passed: true });
        live.apply(Event::Started {
            out_path: PathBuf::from("run.json"),
            stages: 1,
            run_id: "run".into(),
        });
        assert_eq!(live.state, RunState::Running);
        assert!(live.state.is_active());
        let insecure = crate::engine::RunWarning::InsecureTls {
            scenario: "Gateway".into(),
            base_url: "https://gateway.test".into(),
        };
        live.apply(Event::Warning(insecure.clone()));
        assert_eq!(live.state, RunState::Running, "a warning does not end the run");
        assert_eq!(live.warnings, vec![insecure]);
        assert!(live.messages.is_empty(), "warnings are not shown as errors");
        live.apply(Event::SaveFailed {
            path: PathBuf::from("run.json"),
            error: std::sync::Arc::new(crate::run::RunFileError::Write {
                path: PathBuf::from("run.json"),
                source: std::io::Error::new(std::io::ErrorKind::StorageFull, "disk full"),
            }),
        });
        assert_eq!(live.save_error.as_deref(), Some("run.json: disk full"));
    }

    #[test]
    fn a_saved_runs_task_ratio_is_its_share_of_requests() {
        let record: RunRecord = serde_json::from_str(include_str!("../../tests/fixtures/ui-run.json")).expect("fixture");
        let live = LiveRun::from_record(record, PathBuf::from("run.json"));
        let shares = live.task_ratio(false);
        assert!(shares.len() >= 2, "{shares:?}");
        let total: f64 = shares.iter().filter_map(|share| share.observed_percent).sum();
        assert!((total - 100.0).abs() < 1e-6, "{total}");
        assert!(
            shares.iter().all(|share| share.planned_percent.is_none()),
            "a saved run has no weights"
        );
    }

    #[test]
    fn bands_follow_the_series_and_name_each_scenario_where_it_starts() {
        let mut live = LiveRun {
            levels: vec![
                ("Gateway".into(), vec!["Level 1".into(), "Level 2".into()]),
                ("RAG".into(), vec!["Level 1".into()]),
            ],
            ..LiveRun::default()
        };
        live.series = vec![point(0, 0, 0), point(1, 0, 0), point(2, 0, 1), point(3, 1, 0), point(4, 1, 0)];
        let bands = live.bands();
        let spans: Vec<(f64, f64, &str)> = bands
            .iter()
            .map(|band| (band.start_secs, band.end_secs, band.label.as_str()))
            .collect();
        assert_eq!(spans, [(0.0, 2.0, "Level 1"), (2.0, 3.0, "Level 2"), (3.0, 5.0, "Level 1")]);
        let starts: Vec<Option<&str>> = bands.iter().map(|band| band.scenario_start.as_deref()).collect();
        assert_eq!(starts, [Some("Gateway"), None, Some("RAG")]);
        assert_eq!(live.elapsed_secs(), 5.0);
    }
}
