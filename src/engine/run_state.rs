//! What the controller knows of a run while it runs: the stages so far, the workers' merged
//! recordings, the per-second series, monitor samples and target states; and the snapshots,
//! level records and run records built from them.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use super::autosave::RunSaver;
use super::controller::EventSink;
use super::plan::RunPlan;
use super::recorder::{FailureCount, FailureKey, Recorder, TaskAccum, TaskSecondAccum};
use super::summary::{TaskBuckets, merged, stats, summary};
use super::worker::WorkerReport;
use super::{Event, Phase, Snapshot};
use crate::analysis::verdicts::{all_passed, evaluate_level};
use crate::measure::LoadModel;
use crate::monitor::{MonitorReport, MonitorStatus, ResourcePeaks, ResourceSample};
use crate::preset::compiled::{CompiledBaseline, CompiledLevel};
use crate::preset::secrets::redact_header_value;
use crate::run::{
    BaselineRecord, CapacityRecord, FailureRow, GeneratorLoad, HostInfo, LevelRecord, PresetRecord, RUN_FORMAT, RUN_VERSION, RunRecord,
    RunStatus, ScenarioRecord, SeriesPoint, TargetRecord, TaskSecond, TaskStats,
};

/// A stage: one level of one scenario, as it ran.
pub(super) struct StageInfo {
    pub(super) scenario: usize,
    pub(super) level: usize,
    /// The level's name and planned duration (a capacity search makes its levels as it goes).
    pub(super) name: String,
    pub(super) planned: Duration,
    /// A capacity step's warm-up: its requests are not counted in any level.
    pub(super) warmup: bool,
    pub(super) load: LoadModel,
    pub(super) started_secs: f64,
    pub(super) ended_secs: Option<f64>,
    /// Open model: requests in flight at its start and end.
    pub(super) in_flight_at_start: Option<u32>,
    pub(super) in_flight_at_end: Option<u32>,
}

/// What the controller knows of a worker's progress through the stages.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct WorkerProgress {
    /// The stage it records new requests into.
    pub(super) stage: u32,
    /// The earliest stage it still has requests in flight for.
    pub(super) oldest_open_stage: Option<u32>,
    pub(super) finished: bool,
}

/// The run as the controller knows it.
pub(super) struct RunState {
    pub(super) plan: Arc<RunPlan>,
    pub(super) run_start: Instant,
    pub(super) started_at: SystemTime,
    pub(super) id: String,
    pub(super) recorded: Recorder,
    pub(super) stages: Vec<StageInfo>,
    pub(super) series: Vec<SeriesPoint>,
    pub(super) series_reported: usize,
    /// The next second to close into a series point.
    pub(super) next_second: u32,
    /// Users and stage at each second's end, for series points.
    pub(super) users_at_second: BTreeMap<u32, (u32, usize)>,
    pub(super) worker_users: Vec<u32>,
    pub(super) worker_in_flight: Vec<u32>,
    pub(super) stop_reason: Option<String>,
    pub(super) targets: Vec<Vec<TargetRecord>>,
    /// Monitor samples by the second they were taken in, until that second is closed.
    pub(super) resource_seconds: BTreeMap<u32, ResourceSample>,
    pub(super) latest_resources: Option<ResourceSample>,
    pub(super) monitor_status: Option<MonitorStatus>,
    /// Resource peaks per stage.
    pub(super) stage_peaks: Vec<ResourcePeaks>,
    pub(super) worker_progress: Vec<WorkerProgress>,
    /// Stages that ended but whose LevelFinished has not gone out, oldest first.
    pub(super) unreported_stages: std::collections::VecDeque<usize>,
    /// What the run warned about as it started.
    pub(super) warnings: Vec<String>,
    /// A segment with `--start-at`: when its first level began against that time, in ms.
    pub(super) start_offset_millis: Option<f64>,
    /// Each scenario's capacity search so far (None for fixed levels).
    pub(super) capacity: Vec<Option<CapacityRecord>>,
}

/// Requests a capacity step needs before half of them failing stops it early.
const STEP_BREAKDOWN_MIN_REQUESTS: u64 = 20;
/// Seconds of a capacity step before its latency trend can stop it early.
const STEP_BREAKDOWN_MIN_SECONDS: usize = 6;

/// Host CPU at or above this (with the generator keeping up) is noted as a busy host.
pub(super) const HOST_BUSY_PERCENT: f64 = 90.0;

impl RunState {
    pub(super) fn new(plan: Arc<RunPlan>, run_start: Instant) -> RunState {
        let started_at = SystemTime::now();
        let id = plan.run_id.clone();
        let targets = plan
            .scenarios
            .iter()
            .map(|scenario| {
                scenario
                    .compiled
                    .targets
                    .iter()
                    .map(|target| TargetRecord {
                        expr: target.text.clone(),
                        level: target.level,
                        task: target.task.map(|task| scenario.compiled.tasks[task].name.clone()),
                        abort_on_fail: target.abort_on_fail,
                    })
                    .collect()
            })
            .collect();
        RunState {
            plan,
            run_start,
            started_at,
            id,
            recorded: Recorder::default(),
            stages: Vec::new(),
            series: Vec::new(),
            series_reported: 0,
            next_second: 0,
            users_at_second: BTreeMap::new(),
            worker_users: Vec::new(),
            worker_in_flight: Vec::new(),
            stop_reason: None,
            targets,
            resource_seconds: BTreeMap::new(),
            latest_resources: None,
            monitor_status: None,
            stage_peaks: Vec::new(),
            worker_progress: Vec::new(),
            unreported_stages: std::collections::VecDeque::new(),
            warnings: Vec::new(),
            start_offset_millis: None,
            capacity: Vec::new(),
        }
    }

    /// Sends LevelFinished for each ended stage whose numbers are final: every worker has
    /// moved past it with nothing of it in flight (or `all`: every worker has stopped).
    pub(super) fn emit_finished_levels(&mut self, sink: &EventSink, all: bool) {
        while let Some(&stage) = self.unreported_stages.front() {
            let stage_u32 = stage as u32;
            let settled = all
                || self.worker_progress.iter().all(|worker| {
                    worker.finished || (worker.stage > stage_u32 && worker.oldest_open_stage.is_none_or(|open| open > stage_u32))
                });
            if !settled {
                break;
            }
            self.unreported_stages.pop_front();
            if let Some(record) = self.level_record(stage) {
                let scenario = self.stages[stage].scenario;
                sink.send(Event::LevelFinished {
                    scenario: self.plan.scenarios[scenario].compiled.name.clone(),
                    level: Box::new(record),
                });
            }
        }
    }

    /// Takes in a monitor report: onto the timeline, into the current stage's peaks.
    pub(super) fn absorb_resources(&mut self, report: MonitorReport) {
        let second = report.taken_at.saturating_duration_since(self.run_start).as_secs() as u32;
        if let Some(peaks) = self.stage_peaks.last_mut() {
            peaks.add(&report.sample);
        }
        self.monitor_status = Some(report.status);
        self.latest_resources = Some(report.sample.clone());
        // A second closed already (a late report) keeps what it had.
        if second >= self.next_second {
            self.resource_seconds.insert(second, report.sample);
        }
    }

    /// Why a stage's numbers are doubtful, if they are.
    pub(super) fn stage_warnings(&self, stage: usize) -> Vec<String> {
        let mut warnings = Vec::new();
        let generator = self.generator_load(stage);
        if let Some(why) = generator.as_ref().and_then(GeneratorLoad::saturation) {
            warnings.push(format!(
                "{why}: latency and throughput may be Loadscope's own limits, not the service's (use fewer users per machine, or more machines)"
            ));
        } else if let Some(host) = self.stage_peaks.get(stage).and_then(|peaks| peaks.host_cpu_max_percent)
            && host >= HOST_BUSY_PERCENT
        {
            warnings.push(format!(
                "the host was busy ({host:.0}% CPU) with other work, while the load generator itself kept up: its numbers stand, but the service may share this machine's CPU"
            ));
        }
        if let Some(info) = self.stages.get(stage) {
            let compiled = &self.plan.scenarios[info.scenario].compiled;
            let checks_degradation = compiled
                .targets
                .iter()
                .any(|target| target.expr.metric == crate::measure::Metric::Degradation);
            if checks_degradation
                && let Some(CompiledBaseline::Scenario(name)) = &compiled.baseline
                && self.baseline(info.scenario).is_none()
            {
                warnings.push(format!(
                    "degradation targets unchecked: the baseline scenario {name:?} did not run in this run (run the whole preset, or set baseline = {{ run = \"<a saved run>\" }})"
                ));
            }
        }
        warnings
    }

    /// Where a scenario's capacity search stands.
    pub(super) fn set_capacity(&mut self, scenario: usize, record: CapacityRecord) {
        if self.capacity.len() <= scenario {
            self.capacity.resize(scenario + 1, None);
        }
        self.capacity[scenario] = Some(record);
    }

    pub(super) fn elapsed_secs(&self) -> f64 {
        self.run_start.elapsed().as_secs_f64()
    }

    pub(super) fn begin_stage(&mut self, stage: usize, scenario: usize, level: usize, spec: &CompiledLevel, warmup: bool) {
        debug_assert_eq!(stage, self.stages.len());
        self.stage_peaks.push(ResourcePeaks::default());
        self.stages.push(StageInfo {
            scenario,
            level,
            name: spec.name.clone(),
            planned: spec.duration,
            warmup,
            load: spec.load,
            started_secs: self.elapsed_secs(),
            ended_secs: None,
            in_flight_at_start: self.open_in_flight(spec.load),
            in_flight_at_end: None,
        });
    }

    /// Requests in flight as the workers last reported, for an open-model load.
    fn open_in_flight(&self, load: LoadModel) -> Option<u32> {
        matches!(load, LoadModel::Open { .. }).then(|| self.worker_in_flight.iter().sum())
    }

    pub(super) fn end_stage(&mut self, stage: usize) {
        let now = self.elapsed_secs();
        let in_flight = self.stages.get(stage).and_then(|info| self.open_in_flight(info.load));
        if let Some(info) = self.stages.get_mut(stage) {
            info.ended_secs = Some(now);
            info.in_flight_at_end = in_flight;
        }
    }

    /// The generator's own load during a stage (so far, while it runs): its worker threads'
    /// CPU and timer lateness.
    pub(super) fn generator_load(&self, stage: usize) -> Option<GeneratorLoad> {
        self.stages.get(stage)?;
        let wall_secs = self.stage_duration_secs(stage);
        let workers = self.worker_progress.len().max(1);
        let cpu_percent = self
            .recorded
            .worker_cpu_micros
            .get(&(stage as u32))
            .filter(|_| wall_secs > 0.0)
            .map(|micros| *micros as f64 / 1e6 / wall_secs / workers as f64 * 100.0);
        let lag = self.recorded.scheduling_lag.get(&(stage as u32));
        Some(GeneratorLoad {
            cpu_percent,
            workers,
            scheduling_lag_p99_micros: lag.map(|lag| lag.value_at_quantile(0.99)).unwrap_or(0),
            scheduling_lag_max_micros: lag.map(|lag| lag.max()).unwrap_or(0),
            scheduling_lag_samples: lag.map(|lag| lag.len()).unwrap_or(0),
        })
    }

    pub(super) fn absorb(&mut self, report: WorkerReport) {
        if let Some(users) = self.worker_users.get_mut(report.worker) {
            *users = report.active_users;
        }
        if let Some(progress) = self.worker_progress.get_mut(report.worker) {
            *progress = WorkerProgress {
                stage: report.stage,
                oldest_open_stage: report.oldest_open_stage,
                finished: report.finished,
            };
        }
        if let Some(in_flight) = self.worker_in_flight.get_mut(report.worker) {
            *in_flight = report.in_flight;
        }
        self.recorded.merge(report.recorded);
    }

    pub(super) fn current_users(&self, stage: usize) -> u32 {
        match self.stages.get(stage).map(|info| info.load) {
            Some(LoadModel::Open { .. }) => self.worker_in_flight.iter().sum(),
            _ => self.worker_users.iter().sum(),
        }
    }

    /// Closes every second that ended at least one second ago (all of them when `all`), so
    /// workers' 250 ms hand-overs have arrived.
    pub(super) fn close_seconds(&mut self, all: bool) {
        let now_secs = self.elapsed_secs();
        let current = now_secs as u32;
        let stage = self.stages.len().saturating_sub(1);
        let users = self.current_users(stage);
        self.users_at_second.insert(current, (users, stage));
        let last_closable = if all { current + 1 } else { current.saturating_sub(1) };
        while self.next_second < last_closable {
            let second = self.next_second;
            let (users, stage) = self
                .users_at_second
                .range(second..)
                .next()
                .map(|(_, value)| *value)
                .unwrap_or((users, stage));
            let accum = self.recorded.seconds.remove(&second).unwrap_or_default();
            let total = accum.total();
            let info = self.stages.get(stage);
            let scenario = info.map(|info| info.scenario).unwrap_or(0);
            // Each task of the point's scenario, merged over the levels that shared the second
            // (a level change mid-second); a scenario that ended in this second is in the totals.
            let mut tasks: Vec<(usize, TaskSecondAccum)> = Vec::new();
            for ((task_stage, task), part) in &accum.tasks {
                if self.stages.get(*task_stage as usize).map(|info| info.scenario) != Some(scenario) {
                    continue;
                }
                match tasks.iter_mut().find(|(known, _)| *known == *task as usize) {
                    Some((_, merged)) => merged.merge(part),
                    None => tasks.push((*task as usize, part.clone())),
                }
            }
            tasks.sort_by_key(|(task, _)| *task);
            self.series.push(SeriesPoint {
                second,
                scenario,
                level: info.map(|info| info.level).unwrap_or(0),
                users,
                requests: total.stats(),
                resources: self.resource_seconds.remove(&second),
                tasks: tasks
                    .iter()
                    .map(|(task, part)| TaskSecond {
                        task: *task,
                        requests: part.stats(),
                    })
                    .collect(),
            });
            self.users_at_second.remove(&second);
            self.next_second += 1;
        }
    }

    /// What scenario `scenario_index`'s `degradation` targets compare with: a saved run's
    /// numbers, or an earlier scenario of this run once it has run (None when it did not run).
    pub(super) fn baseline(&self, scenario_index: usize) -> Option<BaselineRecord> {
        let compiled = &self.plan.scenarios.get(scenario_index)?.compiled;
        match compiled.baseline.as_ref()? {
            CompiledBaseline::Run(record) => Some((**record).clone()),
            // `RunPlan::new` reads every saved baseline run, so none is left unread here.
            CompiledBaseline::SavedRun(_) => None,
            CompiledBaseline::Scenario(name) => {
                let base_index = self.plan.scenarios.iter().position(|scenario| &scenario.compiled.name == name)?;
                let stages: Vec<usize> = (0..self.stages.len())
                    .filter(|&stage| self.stages[stage].scenario == base_index)
                    .collect();
                if stages.is_empty() {
                    return None;
                }
                let duration: f64 = stages.iter().map(|&stage| self.stage_duration_secs(stage)).sum();
                let base = &self.plan.scenarios[base_index];
                let per_task: Vec<TaskAccum> = (0..base.tasks.len())
                    .map(|task| {
                        merged(
                            stages
                                .iter()
                                .filter_map(|&stage| self.recorded.tasks.get(&(stage as u32, task as u32))),
                        )
                    })
                    .collect();
                Some(BaselineRecord {
                    source: format!("scenario {name:?} of this run"),
                    scenario: name.clone(),
                    run_id: None,
                    total: stats(&merged(&per_task), duration),
                    tasks: base
                        .tasks
                        .iter()
                        .zip(&per_task)
                        .map(|(task, accum)| (task.name.clone(), stats(accum, duration)))
                        .collect(),
                })
            }
        }
    }

    pub(super) fn stage_duration_secs(&self, stage: usize) -> f64 {
        let Some(info) = self.stages.get(stage) else { return 0.0 };
        info.ended_secs.unwrap_or_else(|| self.elapsed_secs()) - info.started_secs
    }

    /// Per-task accumulations of a stage, in task order (empty ones for tasks not yet seen).
    pub(super) fn stage_tasks(&self, stage: usize) -> Vec<TaskAccum> {
        let Some(info) = self.stages.get(stage) else { return Vec::new() };
        let task_count = self.plan.scenarios[info.scenario].tasks.len();
        (0..task_count)
            .map(|task| self.recorded.tasks.get(&(stage as u32, task as u32)).cloned().unwrap_or_default())
            .collect()
    }

    /// Why a capacity step cannot hold, seen before it ends: most requests failing, or latency
    /// growing without bound (each third of the step's seconds slower than the one before, the
    /// last at least twice the first: requests queue faster than they are served).
    pub(super) fn step_breakdown(&self, stage: usize) -> Option<String> {
        let info = self.stages.get(stage)?;
        let total = merged(&self.stage_tasks(stage));
        if total.requests >= STEP_BREAKDOWN_MIN_REQUESTS && total.failures * 2 >= total.requests {
            return Some(format!("stopped early: {} of {} requests failed", total.failures, total.requests));
        }
        let medians: Vec<f64> = self
            .series
            .iter()
            .filter(|point| point.scenario == info.scenario && f64::from(point.second) >= info.started_secs.ceil())
            .filter_map(|point| point.requests.p50_micros.map(|micros| micros as f64))
            .collect();
        if medians.len() < STEP_BREAKDOWN_MIN_SECONDS {
            return None;
        }
        crate::measure::capacity::rising_without_bound(&medians).map(|[first, middle, last]| {
            format!(
                "stopped early: over-saturated, median latency rising without bound ({} to {} to {} over the step)",
                crate::format::micros(first),
                crate::format::micros(middle),
                crate::format::micros(last)
            )
        })
    }

    pub(super) fn stage_failures(&self, stage: usize) -> Vec<FailureRow> {
        let Some(info) = self.stages.get(stage) else { return Vec::new() };
        let scenario = &self.plan.scenarios[info.scenario];
        let mut rows: Vec<(&FailureKey, &FailureCount)> =
            self.recorded.failures.iter().filter(|(key, _)| key.stage == stage as u32).collect();
        rows.sort_by(|a, b| b.1.count.cmp(&a.1.count).then_with(|| a.0.cmp(b.0)));
        rows.into_iter()
            .map(|(key, count)| FailureRow {
                task: scenario
                    .tasks
                    .get(key.task as usize)
                    .map(|task| task.name.clone())
                    .unwrap_or_default(),
                kind: key.kind,
                message: key.message.clone(),
                count: count.count,
                first_seen_secs: Some(count.first_second),
                last_seen_secs: Some(count.last_second),
            })
            .collect()
    }

    /// Every task of every scenario run so far, over all its levels (named `scenario: task`
    /// when the suite has more than one scenario).
    pub(super) fn run_tasks(&self) -> Vec<(String, TaskStats)> {
        let mut scenarios: Vec<usize> = self.stages.iter().map(|info| info.scenario).collect();
        scenarios.dedup();
        let several = self.plan.scenarios.len() > 1;
        let mut rows = Vec::new();
        for scenario_index in scenarios {
            let scenario = &self.plan.scenarios[scenario_index];
            let stages: Vec<usize> = (0..self.stages.len())
                .filter(|&stage| self.stages[stage].scenario == scenario_index)
                .collect();
            let duration: f64 = stages.iter().map(|&stage| self.stage_duration_secs(stage)).sum();
            for (task_index, task) in scenario.tasks.iter().enumerate() {
                let accum = merged(
                    stages
                        .iter()
                        .filter_map(|&stage| self.recorded.tasks.get(&(stage as u32, task_index as u32))),
                );
                let name = if several {
                    format!("{}: {}", scenario.compiled.name, task.name)
                } else {
                    task.name.clone()
                };
                rows.push((name, stats(&accum, duration)));
            }
        }
        rows
    }

    /// The failures of the whole run, grouped by task, kind and message, most frequent first.
    pub(super) fn run_failures(&self) -> Vec<FailureRow> {
        let mut groups: std::collections::BTreeMap<(String, crate::run::FailureKind, String), FailureRow> =
            std::collections::BTreeMap::new();
        for stage in 0..self.stages.len() {
            for row in self.stage_failures(stage) {
                match groups.entry((row.task.clone(), row.kind, row.message.clone())) {
                    std::collections::btree_map::Entry::Vacant(slot) => {
                        slot.insert(row);
                    }
                    std::collections::btree_map::Entry::Occupied(mut slot) => {
                        let group = slot.get_mut();
                        group.count += row.count;
                        group.first_seen_secs = group.first_seen_secs.min(row.first_seen_secs).or(row.first_seen_secs);
                        group.last_seen_secs = group.last_seen_secs.max(row.last_seen_secs);
                    }
                }
            }
        }
        let mut rows: Vec<FailureRow> = groups.into_values().collect();
        rows.sort_by_key(|row| std::cmp::Reverse(row.count));
        rows
    }

    pub(super) fn stage_verdicts(&self, stage: usize, task_stats: &[(String, TaskStats)], total: &TaskStats) -> Vec<crate::run::Verdict> {
        let Some(info) = self.stages.get(stage) else { return Vec::new() };
        let tasks: Vec<(&str, &TaskStats)> = task_stats.iter().map(|(name, stats)| (name.as_str(), stats)).collect();
        let classes = &self.plan.scenarios[info.scenario].compiled.failure_classes;
        let class_names: Vec<String> = classes.iter().map(|class| class.name.clone()).collect();
        evaluate_level(
            &self.targets[info.scenario],
            &class_names,
            info.level,
            &tasks,
            total,
            self.stage_peaks.get(stage).filter(|peaks| !peaks.is_empty()),
            self.baseline(info.scenario).as_ref(),
        )
    }

    /// The first abort_on_fail target of this stage that fails, once the level has run past
    /// that target's delay.
    pub(super) fn abort_reason(&self, stage: usize, level_elapsed: Duration) -> Option<String> {
        let info = self.stages.get(stage)?;
        let scenario = &self.plan.scenarios[info.scenario];
        let due: Vec<&crate::preset::compiled::CompiledTarget> = scenario
            .compiled
            .targets
            .iter()
            .filter(|target| {
                target.abort_on_fail && target.level.is_none_or(|level| level == info.level) && level_elapsed >= target.abort_delay
            })
            .collect();
        if due.is_empty() {
            return None;
        }
        let duration = self.stage_duration_secs(stage);
        let accums = self.stage_tasks(stage);
        let task_stats: Vec<(String, TaskStats)> = scenario
            .tasks
            .iter()
            .zip(&accums)
            .map(|(task, accum)| (task.name.clone(), stats(accum, duration)))
            .collect();
        let total = stats(&merged(&accums), duration);
        let verdicts = self.stage_verdicts(stage, &task_stats, &total);
        let level_name = &info.name;
        verdicts
            .iter()
            .filter(|verdict| !verdict.passed && due.iter().any(|target| target.text == verdict.target))
            .map(|verdict| {
                let observed = verdict
                    .observed
                    .map(|value| verdict.metric.format_value(value))
                    .unwrap_or_else(|| "no requests".into());
                format!(
                    "target {:?} failed in {} / {} (observed {observed}); abort_on_fail stopped the run",
                    verdict.target, scenario.compiled.name, level_name
                )
            })
            .next()
    }

    /// `with_buckets`: count the level's distributions at fixed bounds (for an observer that
    /// exports them; nobody else reads them).
    pub(super) fn snapshot(&mut self, stage: usize, phase: Phase, with_buckets: bool) -> Snapshot {
        let info = self.stages.get(stage);
        let scenario_index = info.map(|info| info.scenario).unwrap_or(0);
        let level_index = info.map(|info| info.level).unwrap_or(0);
        let scenario = &self.plan.scenarios[scenario_index];
        let (level_name, planned) = info
            .map(|info| (info.name.clone(), info.planned))
            .unwrap_or_else(|| (String::new(), Duration::ZERO));
        let duration = self.stage_duration_secs(stage);
        let accums = self.stage_tasks(stage);
        let level_tasks: Vec<(String, TaskStats)> = scenario
            .tasks
            .iter()
            .zip(&accums)
            .map(|(task, accum)| (task.name.clone(), stats(accum, duration)))
            .collect();
        let level_total = stats(&merged(&accums), duration);
        let run_total = stats(&merged(self.recorded.tasks.values()), self.elapsed_secs());
        let verdicts = self.stage_verdicts(stage, &level_tasks, &level_total);
        let (run_tasks, run_failures) = (self.run_tasks(), self.run_failures());
        let new_series = self.series[self.series_reported..].to_vec();
        self.series_reported = self.series.len();
        Snapshot {
            phase,
            elapsed_secs: self.elapsed_secs(),
            scenario_index,
            scenario_count: self.plan.scenarios.len(),
            scenario_name: scenario.compiled.name.clone(),
            level_index,
            // A capacity search has no count (0): it decides its steps as it goes.
            level_count: scenario.compiled.levels.len(),
            level_name,
            level_elapsed_secs: duration,
            level_duration_secs: planned.as_secs_f64(),
            load: info.map(|info| info.load).unwrap_or(LoadModel::Closed {
                users: 0,
                spawn_rate: None,
            }),
            users: self.current_users(stage),
            rps_last_second: self.series.last().map(|point| point.requests.rps).unwrap_or(0.0),
            level_tasks,
            level_total,
            run_total,
            run_tasks,
            run_failures,
            late_starts: self.recorded.late_starts.get(&(stage as u32)).copied().unwrap_or(0),
            new_series,
            failures: self.stage_failures(stage),
            level_buckets: if with_buckets {
                scenario
                    .tasks
                    .iter()
                    .zip(&accums)
                    .map(|(task, accum)| TaskBuckets::new(&task.name, accum))
                    .collect()
            } else {
                Vec::new()
            },
            warmup: info.is_some_and(|info| info.warmup),
            verdicts,
            capacity: self.capacity.get(scenario_index).cloned().flatten(),
            resources: self.latest_resources.clone(),
            monitor_status: self.monitor_status.clone(),
        }
    }

    pub(super) fn level_record(&self, stage: usize) -> Option<LevelRecord> {
        let info = self.stages.get(stage).filter(|info| !info.warmup)?;
        let scenario = &self.plan.scenarios[info.scenario];
        let duration = self.stage_duration_secs(stage);
        let accums = self.stage_tasks(stage);
        let tasks: Vec<_> = scenario
            .tasks
            .iter()
            .zip(&accums)
            .map(|(task, accum)| summary(&task.name, accum, duration))
            .collect();
        let total = summary("Aggregated", &merged(&accums), duration);
        let task_stats: Vec<(String, TaskStats)> = tasks.iter().map(|task| (task.task.clone(), task.stats.clone())).collect();
        let verdicts = self.stage_verdicts(stage, &task_stats, &total.stats);
        let resends = self.recorded.resends.get(&(stage as u32)).copied().unwrap_or_default();
        Some(LevelRecord {
            index: info.level,
            name: info.name.clone(),
            load: info.load,
            planned_duration_secs: info.planned.as_secs_f64(),
            started_offset_secs: info.started_secs,
            ended_offset_secs: info.ended_secs,
            tasks,
            total,
            late_starts: self.recorded.late_starts.get(&(stage as u32)).copied().unwrap_or(0),
            reconnects: resends.reconnects,
            retries: resends.retries,
            in_flight_at_start: info.in_flight_at_start.map(u64::from),
            in_flight_at_end: info.in_flight_at_end.map(u64::from),
            failures: self.stage_failures(stage),
            verdicts,
            resources: self.stage_peaks.get(stage).filter(|peaks| !peaks.is_empty()).cloned(),
            warnings: self.stage_warnings(stage),
            generator: self.generator_load(stage),
        })
    }

    pub(super) fn record(&self, status: RunStatus) -> RunRecord {
        let mut scenarios: Vec<ScenarioRecord> = Vec::new();
        for (stage, info) in self.stages.iter().enumerate() {
            if scenarios.len() <= info.scenario {
                let scenario = &self.plan.scenarios[info.scenario];
                scenarios.push(ScenarioRecord {
                    name: scenario.compiled.name.clone(),
                    base_url: scenario.compiled.base.text.clone(),
                    tasks: scenario.tasks.iter().map(|task| task.name.clone()).collect(),
                    failure_classes: scenario.compiled.failure_classes.iter().map(|class| class.name.clone()).collect(),
                    targets: self.targets[info.scenario].clone(),
                    levels: Vec::new(),
                    total: None,
                    baseline: self.baseline(info.scenario),
                    objectives: scenario.compiled.objectives.clone(),
                    capacity: self.capacity.get(info.scenario).cloned().flatten(),
                });
            }
            if let (Some(level), Some(scenario)) = (self.level_record(stage), scenarios.last_mut()) {
                scenario.levels.push(level);
            }
        }
        for (index, scenario) in scenarios.iter_mut().enumerate() {
            let stage_range: Vec<u32> = self
                .stages
                .iter()
                .enumerate()
                .filter(|(_, info)| info.scenario == index)
                .map(|(stage, _)| stage as u32)
                .collect();
            let accum = merged(
                self.recorded
                    .tasks
                    .iter()
                    .filter(|((stage, _), _)| stage_range.contains(stage))
                    .map(|(_, accum)| accum),
            );
            let duration: f64 = scenario.levels.iter().map(LevelRecord::duration_secs).sum();
            scenario.total = Some(summary("Aggregated", &accum, duration));
        }
        let passed = if status == RunStatus::Running {
            None
        } else {
            // A capacity search's steps fail by design: its scenario passes on the search's
            // result and capacity targets.
            let levels = all_passed(
                scenarios
                    .iter()
                    .filter(|scenario| scenario.capacity.is_none())
                    .flat_map(|scenario| scenario.levels.iter().flat_map(|level| level.verdicts.iter())),
            );
            let searches: Vec<bool> = scenarios
                .iter()
                .filter_map(|scenario| scenario.capacity.as_ref().map(CapacityRecord::passed))
                .collect();
            match (levels, searches.is_empty()) {
                (levels, true) => levels,
                (levels, false) => Some(levels.unwrap_or(true) && searches.iter().all(|passed| *passed)),
            }
        };
        let total = summary("Aggregated", &merged(self.recorded.tasks.values()), self.elapsed_secs());
        let now = SystemTime::now();
        let mut record = RunRecord {
            format: RUN_FORMAT.into(),
            version: RUN_VERSION,
            app_version: env!("CARGO_PKG_VERSION").into(),
            id: self.id.clone(),
            host: HostInfo::current(),
            started_at: humantime::format_rfc3339_millis(self.started_at).to_string(),
            ended_at: (status != RunStatus::Running).then(|| humantime::format_rfc3339_millis(now).to_string()),
            saved_at: humantime::format_rfc3339_millis(now).to_string(),
            status,
            stop_reason: self.stop_reason.clone(),
            preset: PresetRecord::new(
                self.plan.preset.name.clone(),
                self.plan.preset.source.clone(),
                preset_document(&self.plan.preset.document),
            ),
            scenarios,
            series: self.series.clone(),
            passed,
            total: Some(total),
            monitors: self.monitor_status.clone(),
            notes: String::new(),
            title: None,
            tags: Vec::new(),
            findings: Vec::new(),
            warnings: self.warnings.clone(),
            imported: None,
            segment: self.plan.segment.map(|segment| crate::run::SegmentRecord {
                index: segment.index,
                count: segment.count,
                start_at: self.plan.start_at.map(|at| humantime::format_rfc3339_millis(at).to_string()),
                start_offset_millis: self.start_offset_millis,
            }),
            merged_from: Vec::new(),
            missing_segments: Vec::new(),
            repeat: self.plan.repeat.clone(),
        };
        if status != RunStatus::Running {
            record.findings = crate::analysis::findings::find(&record);
        }
        record
    }

    /// Hands the record to the saver thread: disk writes (an fsync can take seconds on a busy
    /// disk) never stall the controller's ticks, snapshots or a stop.
    pub(super) fn save(&self, status: RunStatus, saver: &RunSaver) -> RunRecord {
        let record = self.record(status);
        saver.save(record.clone(), status != RunStatus::Running);
        record
    }
}

/// The preset as run, as JSON, with literal credentials in headers replaced.
pub(super) fn preset_document(preset: &crate::preset::model::Preset) -> serde_json::Value {
    let mut copy = preset.clone();
    for scenario in &mut copy.scenarios {
        // A password in the base URL is shown and stored as `***`.
        let masked = crate::preset::compiled::mask_password(scenario.service.base_url.get_ref());
        if &masked != scenario.service.base_url.get_ref() {
            *scenario.service.base_url.get_mut() = masked;
        }
        for (name, value) in scenario.service.headers.iter_mut() {
            *value = redact_header_value(name, value);
        }
        for task in &mut scenario.tasks {
            for (name, value) in task.get_mut().headers.iter_mut() {
                *value = redact_header_value(name, value);
            }
        }
    }
    serde_json::to_value(&copy).unwrap_or(serde_json::Value::Null)
}
